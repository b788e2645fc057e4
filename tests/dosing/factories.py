"""Small builders of domain objects for the IVIG planner tests."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from clepath.domain.case import (
    Case,
    IvigCourseRequest,
    IvigRequest,
    LabResult,
    Patient,
    TherapyCourse,
)
from clepath.knowledge.base import KnowledgeBase, Pack
from clepath.knowledge.loader import PACKS_DIR, load_pack

__all__ = ["case", "demo_case", "ivig_kb", "patient", "request", "seed_case"]

AS_OF = dt.date(2024, 3, 15)


@functools.cache
def _pack() -> Pack:
    return load_pack(PACKS_DIR / "ivig")


def ivig_kb(**overrides: object) -> KnowledgeBase:
    """A knowledge base of the `ivig` pack alone, with parameter overrides (no prefix)."""
    return KnowledgeBase({"ivig": _pack()}, {f"ivig.{k}": v for k, v in overrides.items()})


def patient(
    sex: str | None = "female",
    weight_kg: float | None = 70.0,
    height_cm: float | None = 165.0,
    age_years: int | None = 45,
    conditions: Iterable[str] = (),
    **extra: object,
) -> Patient:
    """A patient; any other Patient field can be given by keyword."""
    return Patient(
        sex=sex,
        weight_kg=weight_kg,
        height_cm=height_cm,
        age_years=age_years,
        conditions=frozenset(conditions),
        **extra,  # type: ignore[arg-type]
    )


def request(
    induction: tuple[float, int] | None = (2.0, 5),
    maintenance: tuple[float, int, int] | None = None,
    product: str | None = None,
    policy: str | None = None,
    start: dt.date | None = dt.date(2024, 4, 1),
) -> IvigRequest:
    """An IVIG request: induction (g/kg, days), maintenance (g/kg, every days, cycles)."""
    return IvigRequest(
        induction=IvigCourseRequest(induction[0], days=induction[1]) if induction else None,
        maintenance=(
            IvigCourseRequest(maintenance[0], every_days=maintenance[1], cycles=maintenance[2])
            if maintenance
            else None
        ),
        product=product,
        policy=policy,
        start=start,
    )


def case(
    pt: Patient | None = None,
    ivig: IvigRequest | None = None,
    labs: Iterable[LabResult] = (),
    therapies: Iterable[TherapyCourse] = (),
    as_of: dt.date = AS_OF,
) -> Case:
    """A case holding only what the planner reads."""
    return Case(
        id="test-case",
        as_of=as_of,
        patient=pt or patient(),
        labs=tuple(labs),
        therapies=tuple(therapies),
        ivig_request=ivig if ivig is not None else request(),
    )


def seed_case() -> Case:
    """Example 1 of the case format: the published case (female, 60 kg, 158 cm)."""
    return Case(
        id="idoj-2020-ivig-rescue",
        as_of=dt.date(2019, 6, 1),
        patient=patient(weight_kg=60.0, height_cm=158.0, age_years=47),
        ivig_request=request(induction=(2.0, 5), maintenance=(1.0, 28, 4),
                             start=dt.date(2019, 6, 3)),
    )


def demo_case() -> Case:
    """Example 2 of the case format: 176 lb, 5 ft 3 in, Privigen, estrogens, group A."""
    return Case(
        id="demo-scle-0001",
        as_of=AS_OF,
        patient=patient(
            weight_kg=176 * 0.45359237,
            height_cm=63 * 2.54,
            age_years=42,
            conditions=("estrogen_use",),
            smoking="current",
            pregnant=False,
            blood_group="A",
        ),
        ivig_request=request(induction=(2.0, 5), product="privigen", policy="UK_DDW",
                             start=dt.date(2024, 4, 2)),
    )
