"""Cases for store and web tests: the two bundled examples, a 10-year record, a small one."""

from __future__ import annotations

import datetime as dt

from benchmarks.generate import ten_year_case
from clepath.casefile import load_case, parse_case
from clepath.domain import (
    Case,
    ClasiExam,
    ClasiRegionScore,
    CleEntry,
    Finding,
    IvigCourseRequest,
    IvigRequest,
    LabResult,
    PartialDate,
    Patient,
    Quantity,
    TherapyCourse,
    Titre,
)
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE, SEED_CASE

__all__ = ["built_case", "scle_case", "seed_case", "ten_years"]


def seed_case(kb: KnowledgeBase) -> Case:
    """The published case (idoj-2020-ivig-rescue): SLEDAI-2K 7, refractory, no CLASI."""
    return load_case(SEED_CASE, kb)


def scle_case(kb: KnowledgeBase) -> Case:
    """The fully recorded synthetic patient (demo-scle-0001)."""
    return load_case(SCLE_CASE, kb)


def ten_years(kb: KnowledgeBase) -> Case:
    """The benchmark's generated 10-year record (521 labs, 50 courses, 40 CLASI exams)."""
    return parse_case(ten_year_case(), kb)


def built_case(case_id: str = "built-0001") -> Case:
    """A case built from the domain dataclasses, with every kind of observation."""
    day = dt.date(2024, 5, 2)
    return Case(
        id=case_id,
        as_of=day,
        patient=Patient(
            sex="female", age_years=52, weight_kg=71.5, height_cm=166.0, smoking="never",
            pregnant=False, blood_group="O+", conditions=frozenset({"diabetes"}),
        ),
        cle=(CleEntry("DLE_LOCALIZED", ("scalp", "ears"), PartialDate(2018, 3)),),
        findings=(Finding("fever", day, Quantity(38.4, "Cel"), note="evening"),),
        labs=(
            LabResult("wbc", day, 2.9, "10*9/L", lower=4.0, upper=11.0, original="2.9 10*9/L"),
            LabResult("ana", day, titre=Titre(320), original="1:320"),
            LabResult("c4", day, result="low"),
        ),
        clasi=(
            ClasiExam(
                day,
                (("scalp", ClasiRegionScore(erythema=2, dyspigmentation=1)),
                 ("ears", ClasiRegionScore(erythema=1, scale=1, scarring=1))),
                nonscarring_alopecia=2,
                dyspigmentation_lasts_12_months=True,
            ),
        ),
        therapies=(
            TherapyCourse("hydroxychloroquine", 200.0, "200 mg", "twice_daily", 14.0, "oral",
                          PartialDate(2019), None, "ongoing"),
            TherapyCourse("methotrexate", start=PartialDate(2020, 1), stop=PartialDate(2020, 9),
                          outcome="intolerant", note="nausea"),
        ),
        ivig_request=IvigRequest(
            induction=IvigCourseRequest(2.0, days=5),
            maintenance=IvigCourseRequest(1.0, every_days=28, cycles=3),
            product="privigen", policy="UK_DDW", start=dt.date(2024, 5, 20),
        ),
    )
