"""Which weight and height count on a given day.

A case may hold one undated `patient.weight` / `patient.height` (read as current, as before
dated histories existed) and dated `measurements`. On a day D (the assessment's as-of date, an
IVIG plan's start) the value used is the latest measurement dated on or before D; a measurement
dated after D is never used (and is named, so the reader knows it exists). The undated value is
used only when no dated measurement lies on or before D.

No recency threshold is applied: no source found gives one for weight-based dosing
(docs/research/weight-history.md); outputs state the date so the reader can judge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from clepath.domain.case import Case, Measurement
from clepath.domain.display import fmt

__all__ = ["BodyValue", "body_value", "case_on", "dated", "latest_on_or_before"]

_KIND = {"weight": "kg", "height": "cm"}


@dataclass(frozen=True, slots=True)
class BodyValue:
    """The weight or height chosen for `day`: its value, its date (None: undated or none) and
    the dated measurements left out because they lie after `day`."""

    name: str  # "weight" | "height"
    day: dt.date
    value: float | None
    date: dt.date | None
    later: tuple[Measurement, ...] = ()
    undated_set_aside: float | None = None  # an undated value not used (a dated one was)

    def text(self) -> str:
        """`60.0 kg on 2019-05-28`, `60.0 kg (undated)` or `not recorded`."""
        if self.value is None:
            return "not recorded"
        shown = fmt(self.value, _KIND[self.name])
        return f"{shown} on {self.date.isoformat()}" if self.date else f"{shown} (undated)"

    def notes(self, day_name: str) -> tuple[str, ...]:
        """Sentences on what was left out, e.g. "weight 70.0 kg on 2019-07-01 is after the plan
        start (2019-06-03): not used"."""
        out = [
            f"{self.name} {fmt(m.value, _KIND[self.name])} on {m.date.isoformat()} is after "
            f"the {day_name} ({self.day.isoformat()}): not used"
            for m in self.later
        ]
        if self.undated_set_aside is not None and self.date is not None:
            out.append(
                f"undated {self.name} {fmt(self.undated_set_aside, _KIND[self.name])} not used: "
                f"the dated {self.name} of {self.date.isoformat()} is used"
            )
        return tuple(out)


def dated(shown: str, day: dt.date | str | None) -> str:
    """`60.0 kg` with its day when there is one: `60.0 kg on 2019-05-28`."""
    if day is None or shown == "not recorded":
        return shown
    return f"{shown} on {day.isoformat() if isinstance(day, dt.date) else day}"


def latest_on_or_before(
    measurements: Iterable[Measurement], name: str, day: dt.date
) -> Measurement | None:
    """The latest `name` measurement dated on or before `day` (the later one of a day's two:
    the last in record order), or None."""
    chosen: Measurement | None = None
    for m in measurements:
        if m.name == name and m.date <= day and (chosen is None or m.date >= chosen.date):
            chosen = m
    return chosen


def _undated(case: Case, name: str) -> float | None:
    p = case.patient
    if name == "weight":
        return p.weight_kg if p.weight_date is None else None
    return p.height_cm if p.height_date is None else None


def body_value(case: Case, name: str, day: dt.date) -> BodyValue:
    """The weight or height that counts on `day` (see the module's rule)."""
    if name not in _KIND:
        raise ValueError(f"unknown body measurement {name!r}")
    later = tuple(
        sorted((m for m in case.measurements if m.name == name and m.date > day),
               key=lambda m: m.date)
    )
    undated = _undated(case, name)
    chosen = latest_on_or_before(case.measurements, name, day)
    if chosen is None:
        return BodyValue(name, day, undated, None, later)
    return BodyValue(name, day, chosen.value, chosen.date, later, undated)


def case_on(case: Case, day: dt.date) -> Case:
    """The case with the patient's weight and height those that count on `day`, each with its
    date (None: undated). A case without dated measurements is returned unchanged."""
    if not case.measurements:
        return case
    weight = body_value(case, "weight", day)
    height = body_value(case, "height", day)
    patient = replace(
        case.patient,
        weight_kg=weight.value,
        weight_date=weight.date,
        height_cm=height.value,
        height_date=height.date,
    )
    return replace(case, patient=patient)
