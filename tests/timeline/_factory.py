"""Small builders of cases for the timeline tests, straight from the domain dataclasses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from clepath.domain.case import (
    Case,
    ClasiExam,
    ClasiRegionScore,
    Finding,
    IvigCourseRequest,
    IvigRequest,
    LabResult,
    Patient,
    TherapyCourse,
)
from clepath.domain.dates import PartialDate

__all__ = ["AS_OF", "case", "course", "day", "exam", "finding", "ivig_request", "lab"]

AS_OF = dt.date(2024, 3, 15)
_PER_WEEK = {"daily": 7.0, "twice_daily": 14.0, "weekly": 1.0, "every_4_weeks": 0.25}


def day(text: str) -> dt.date:
    """A date from ISO text."""
    return dt.date.fromisoformat(text)


def _partial(text: str | None) -> PartialDate | None:
    if text is None:
        return None
    return PartialDate(*(int(p) for p in text.split("-")))


def course(
    drug: str,
    outcome: str = "ongoing",
    *,
    dose_mg: float | None = None,
    frequency: str | None = None,
    start: str | None = None,
    stop: str | None = None,
    route: str | None = None,
) -> TherapyCourse:
    """One therapy course; dates as ISO text (`2019`, `2019-05`, `2019-05-04`)."""
    return TherapyCourse(
        drug=drug,
        dose_mg=dose_mg,
        dose_text=f"{dose_mg:g} mg" if dose_mg is not None else None,
        frequency=frequency,
        doses_per_week=_PER_WEEK.get(frequency or ""),
        route=route,
        start=_partial(start),
        stop=_partial(stop),
        outcome=outcome,
    )


def lab(test: str, date: str, value: float | None = None, unit: str | None = None,
        **fields: object) -> LabResult:
    """One laboratory result."""
    return LabResult(test, day(date), value=value, unit=unit, **fields)  # type: ignore[arg-type]


def finding(name: str, date: str) -> Finding:
    """One finding without a value."""
    return Finding(name, day(date))


def exam(date: str, erythema: int) -> ClasiExam:
    """A CLASI examination with erythema on the cheeks only (CLASI-A = erythema)."""
    return ClasiExam(day(date), regions=(("nose_malar", ClasiRegionScore(erythema=erythema)),))


def ivig_request(start: str = "2024-04-01") -> IvigRequest:
    """Induction 2 g/kg over 5 days, no maintenance."""
    return IvigRequest(induction=IvigCourseRequest(2.0, days=5), start=day(start))


def case(
    *,
    therapies: Iterable[TherapyCourse] = (),
    labs: Iterable[LabResult] = (),
    findings: Iterable[Finding] = (),
    clasi: Iterable[ClasiExam] = (),
    ivig: IvigRequest | None = None,
    weight_kg: float | None = 70.0,
    case_id: str = "timeline-test",
    as_of: dt.date = AS_OF,
) -> Case:
    """A case with a 45-year-old woman of 70 kg and 165 cm, and the given observations."""
    return Case(
        id=case_id,
        as_of=as_of,
        patient=Patient(sex="female", age_years=45, weight_kg=weight_kg, height_cm=165.0),
        findings=tuple(findings),
        labs=tuple(labs),
        clasi=tuple(clasi),
        therapies=tuple(therapies),
        ivig_request=ivig,
    )
