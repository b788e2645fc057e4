"""Dates after today: an observation, examination, therapy date or assessment date that lies in
the future is almost always a typing error (2062 for 2026), so every interface warns on entry
and the assessment raises the `future_date` alert.

"Today" is always a parameter: the core never reads the clock. The interfaces pass the real
date; tests pass a fixed one. A partial date (a year, a month) is in the future only when all
of it is: its first day lies after today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clepath.domain.case import Case, ClasiExam, Finding, LabResult, Measurement, TherapyCourse
from clepath.domain.dates import PartialDate

__all__ = ["FutureDate", "entry_future_dates", "future_dates"]


@dataclass(frozen=True, slots=True)
class FutureDate:
    """One date after today: the case-file field, its value as recorded and what it dates."""

    field: str  # e.g. "as_of", "findings[0].date", "clasi[2031-05-04].date", "therapies[1].start"
    value: str  # ISO date or partial date, as recorded
    what: str  # e.g. "finding malar_rash", "lab wbc", "CLASI examination", "methotrexate start"
    today: dt.date

    def __str__(self) -> str:
        today = self.today.isoformat()
        return f"{self.field} = {self.value} ({self.what}) is after today ({today})"


def _after(value: dt.date | PartialDate | None, today: dt.date) -> bool:
    if value is None:
        return False
    first = value.earliest if isinstance(value, PartialDate) else value
    return first > today


def entry_future_dates(
    item: Finding | LabResult | ClasiExam | TherapyCourse | Measurement,
    today: dt.date,
    prefix: str = "",
) -> tuple[FutureDate, ...]:
    """The dates of one entry that lie after `today`; fields are `prefix` + `date` / `start` /
    `stop` (an empty prefix names the entry's own field, as a web form does)."""
    found: list[FutureDate] = []
    if isinstance(item, TherapyCourse):
        for name in ("start", "stop"):
            value = getattr(item, name)
            if _after(value, today):
                found.append(FutureDate(prefix + name, str(value), f"{item.drug} {name}", today))
        return tuple(found)
    if isinstance(item, Finding):
        what = f"finding {item.name}"
    elif isinstance(item, LabResult):
        what = f"lab {item.test}"
    elif isinstance(item, Measurement):
        what = item.name
    else:
        what = "CLASI examination"
    if _after(item.date, today):
        found.append(FutureDate(prefix + "date", item.date.isoformat(), what, today))
    return tuple(found)


def future_dates(case: Case, today: dt.date) -> tuple[FutureDate, ...]:
    """Every date of the case after `today`: the assessment date, then each finding, lab result,
    CLASI examination, therapy start or stop and dated weight or height, in case-file order."""
    found: list[FutureDate] = []
    if case.as_of > today:
        found.append(FutureDate("as_of", case.as_of.isoformat(), "assessment date", today))
    for index, finding in enumerate(case.findings):
        found.extend(entry_future_dates(finding, today, f"findings[{index}]."))
    for index, result in enumerate(case.labs):
        found.extend(entry_future_dates(result, today, f"labs[{index}]."))
    for exam in case.clasi:
        found.extend(entry_future_dates(exam, today, f"clasi[{exam.date.isoformat()}]."))
    for index, course in enumerate(case.therapies):
        found.extend(entry_future_dates(course, today, f"therapies[{index}]."))
    for index, measurement in enumerate(case.measurements):
        found.extend(entry_future_dates(measurement, today, f"measurements[{index}]."))
    return tuple(found)
