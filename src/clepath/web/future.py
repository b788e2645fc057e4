"""Dates after today on entry (issue 9 item 5): a form whose date lies after today is shown
again with a warning, unsaved, until the user ticks that the date is right.

Why ask before saving rather than warn after: a future date is almost always a typing error
(2062 for 2026), and once stored it silently changes the assessment (an observation after the
assessment date is not used; an assessment date ahead reads everything up to it). Asking first
keeps the wrong date out of the record, the form keeps every value typed so confirming costs
one tick, and a date that is meant (a planned stop of a therapy) can still be saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from clepath.domain.case import ClasiExam, Finding, LabResult, Measurement, TherapyCourse
from clepath.domain.future import FutureDate, entry_future_dates

__all__ = ["CONFIRM_FIELD", "as_of_warnings", "entry_warnings", "measurement_warnings"]

CONFIRM_FIELD = "confirm_future_date"
"""The form field (a checkbox) that confirms a date after today."""

_WORDS = {"date": "Date", "start": "Start", "stop": "Stop", "as_of": "Assessment date",
          "weight_date": "Weight measured on", "height_date": "Height measured on"}


def _confirmed(form: Mapping[str, Any]) -> bool:
    return bool(str(form.get(CONFIRM_FIELD) or "").strip())


def _sentence(found: FutureDate) -> str:
    word = _WORDS.get(found.field, found.field)
    return (
        f"{word} {found.value} ({found.what}) is after today ({found.today.isoformat()}). "
        "A future date is usually a typing error."
    )


def entry_warnings(
    form: Mapping[str, Any],
    item: Finding | LabResult | ClasiExam | TherapyCourse | Measurement,
    today: dt.date,
) -> list[str]:
    """One sentence per date of `item` after `today`; none when the form confirms them."""
    if _confirmed(form):
        return []
    return [_sentence(found) for found in entry_future_dates(item, today)]


def as_of_warnings(form: Mapping[str, Any], as_of: dt.date, today: dt.date) -> list[str]:
    """A sentence when the assessment date lies after `today` and the form does not confirm it."""
    if _confirmed(form) or as_of <= today:
        return []
    return [_sentence(FutureDate("as_of", as_of.isoformat(), "assessment date", today))]


def measurement_warnings(
    form: Mapping[str, Any], measurements: Iterable[Measurement], today: dt.date
) -> list[str]:
    """One sentence per weight or height dated after `today` (the details form's boxes);
    none when the form confirms them."""
    if _confirmed(form):
        return []
    return [
        _sentence(found)
        for m in measurements
        for found in entry_future_dates(m, today, f"{m.name}_")
    ]
