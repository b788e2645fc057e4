"""Builders for the engine tests: the two case-format examples and small variations.

Cases are built directly from the domain dataclasses with canonical units and ids, as the case
parser would leave them. The examples are rebuilt by hand from shared/case-format.md: Example 1
is the published case (Singh 2020), Example 2 the fully recorded SCLE patient.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from clepath.domain.case import Case, CleEntry, LabResult, Patient, TherapyCourse
from clepath.domain.dates import PartialDate
from clepath.engine.options import OptionContext

__all__ = [
    "LB_TO_KG",
    "context",
    "course",
    "example_1",
    "example_2",
    "with_therapies",
]

LB_TO_KG = 0.45359237

_PER_WEEK = {"daily": 7.0, "twice_daily": 14.0, "weekly": 1.0, "every_4_weeks": 0.25}


def _partial(value: str | None) -> PartialDate | None:
    if value is None:
        return None
    parts = [int(p) for p in value.split("-")]
    return PartialDate(*parts)


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
        frequency=frequency,
        doses_per_week=_PER_WEEK.get(frequency or ""),
        route=route,
        start=_partial(start),
        stop=_partial(stop),
        outcome=outcome,
    )


def example_1() -> Case:
    """Case-format Example 1: the published case (Singh 2020), as sparse as the report."""
    day = dt.date(2019, 5, 28)
    return Case(
        id="idoj-2020-ivig-rescue",
        as_of=dt.date(2019, 6, 1),
        patient=Patient(sex="female", age_years=47, weight_kg=60.0, height_cm=158.0),
        cle=(CleEntry("unspecified", ("back_buttocks", "chest", "abdomen"), PartialDate(2009)),),
        labs=(
            LabResult("wbc", day, value=1.3, unit="10*9/L"),
            LabResult("c4", day, result="low"),
            LabResult("anti_dsdna", day, result="positive"),
            LabResult("anti_ro", day, result="positive"),
        ),
        therapies=(
            course("hydroxychloroquine", "failed"),
            course("azathioprine", "failed"),
            course("methotrexate", "failed"),
            course("dapsone", "failed"),
            course("cyclophosphamide", "failed"),
            course("mycophenolate mofetil", "failed"),
            course("tacrolimus", "failed", route="oral"),
            course("rituximab", "failed"),
            course("deflazacort", dose_mg=18, frequency="daily", start="2019-05-04"),
            course("apremilast", dose_mg=30, frequency="twice_daily", start="2019-05-04"),
        ),
    )


def example_2() -> Case:
    """Case-format Example 2: SCLE, current smoker, 176 lb, HCQ 400 mg daily since 2021."""
    return Case(
        id="demo-scle-0001",
        as_of=dt.date(2024, 3, 15),
        patient=Patient(
            sex="female",
            age_years=42,
            birth_date=dt.date(1981, 7, 2),
            weight_kg=176 * LB_TO_KG,
            height_cm=160.02,
            smoking="current",
            pregnant=False,
            blood_group="A",
            conditions=frozenset({"estrogen_use"}),
        ),
        cle=(CleEntry("SCLE_ANNULAR", ("v_neck", "chest", "arms"), PartialDate(2021, 9)),),
        labs=(
            LabResult("anti_ro", dt.date(2021, 10, 4), result="positive"),
            LabResult("wbc", dt.date(2024, 3, 12), value=3.6, unit="10*9/L"),
            LabResult("creatinine", dt.date(2024, 3, 12), value=68.0, unit="umol/L"),
        ),
        therapies=(
            course("hydroxychloroquine", dose_mg=400, frequency="daily", start="2021-10-10"),
            course("prednisolone", dose_mg=10, frequency="daily", start="2023-06-01"),
            course(
                "methotrexate",
                "failed",
                dose_mg=15,
                frequency="weekly",
                route="subcutaneous",
                start="2023-06-15",
                stop="2023-11-20",
            ),
        ),
    )


def with_therapies(case: Case, therapies: Iterable[TherapyCourse], **patient: object) -> Case:
    """A copy of `case` with other therapies (and patient fields changed, if given)."""
    new_patient = dataclasses.replace(case.patient, **patient) if patient else case.patient
    return dataclasses.replace(case, therapies=tuple(therapies), patient=new_patient)


def context(**changes: object) -> OptionContext:
    """An option context with nothing known, then `changes` applied."""
    base = OptionContext(
        pregnant=None,
        leukopenia=None,
        wbc_10e9_per_l=None,
        neutropenia=None,
        anti_ro_positive=None,
        smoking=None,
        hcq_mg_per_kg=None,
        egfr=None,
        subtypes=(),
        sle_features=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
