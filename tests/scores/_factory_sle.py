"""Builders for the SLEDAI-2K, EULAR/ACR 2019 and SLICC 2012 tests.

Cases are built directly from the domain dataclasses, with values already in their canonical
units (as the case parser would leave them). The two case-format examples are rebuilt here by
hand from shared/case-format.md. The per-item builders (`SLEDAI_ITEMS`, `EULAR_ITEMS`) make one
observation that unambiguously satisfies one descriptor or criterion, for property tests; the
weights next to them are written out from instruments.md on purpose, independently of the packs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from clepath.domain.case import Case, CleEntry, Finding, LabResult, Patient
from clepath.domain.dates import PartialDate
from clepath.domain.units import Quantity, Titre

__all__ = [
    "AS_OF",
    "EULAR_ITEMS",
    "SLEDAI_ITEMS",
    "Observation",
    "case",
    "cle",
    "example_1",
    "example_2",
    "finding",
    "lab",
]

AS_OF = dt.date(2024, 3, 15)

Observation = Finding | LabResult


def finding(
    name: str,
    date: dt.date = AS_OF,
    value: float | None = None,
    unit: str = "1",
    *,
    attributed_to: str | None = None,
) -> Finding:
    """A dated finding; `value` in `unit` (joints are unit `1`, as the parser leaves them)."""
    quantity = None if value is None else Quantity(value, unit)
    return Finding(name=name, date=date, value=quantity, attributed_to=attributed_to)


def lab(
    test: str,
    date: dt.date = AS_OF,
    value: float | None = None,
    unit: str | None = None,
    *,
    result: str | None = None,
    titre: int | None = None,
    lower: float | None = None,
    upper: float | None = None,
    attributed_to: str | None = None,
) -> LabResult:
    """A dated lab result in its canonical unit."""
    return LabResult(
        test=test,
        date=date,
        value=value,
        unit=unit,
        titre=None if titre is None else Titre(titre),
        result=result,
        lower=lower,
        upper=upper,
        attributed_to=attributed_to,
    )


def cle(subtype: str, since: PartialDate | None = None) -> CleEntry:
    """A CLE entry of one subtype."""
    return CleEntry(subtype=subtype, since=since)


def case(
    observations: Iterable[Observation] = (),
    *,
    as_of: dt.date = AS_OF,
    cle_entries: Iterable[CleEntry] = (),
) -> Case:
    """A case holding the given findings and lab results."""
    items = list(observations)
    return Case(
        id="sle-test",
        as_of=as_of,
        patient=Patient(sex="female", age_years=40),
        cle=tuple(cle_entries),
        findings=tuple(o for o in items if isinstance(o, Finding)),
        labs=tuple(o for o in items if isinstance(o, LabResult)),
    )


def example_1() -> Case:
    """Case-format example 1 (the seed report), as the parser would build it."""
    day = dt.date(2019, 5, 28)
    return Case(
        id="idoj-2020-ivig-rescue",
        as_of=dt.date(2019, 6, 1),
        patient=Patient(sex="female", age_years=47, weight_kg=60, height_cm=158),
        cle=(
            CleEntry(
                subtype="unspecified",
                sites=("back_buttocks", "chest", "abdomen", "rest_of_face", "hands", "feet"),
                since=PartialDate(2009),
            ),
        ),
        findings=(
            Finding(
                name="inflammatory_rash",
                date=dt.date(2019, 6, 1),
                note="worsening scaly erythematous plaques",
            ),
            Finding(name="joint_pain", date=dt.date(2019, 6, 1)),
        ),
        labs=(
            LabResult(test="wbc", date=day, value=1.3, unit="10*9/L", original="1300 /mm3"),
            LabResult(test="c4", date=day, result="low"),
            LabResult(test="anti_dsdna", date=day, result="positive"),
            LabResult(test="anti_ro", date=day, result="positive"),
        ),
    )


def example_2() -> Case:
    """Case-format example 2 (a fully recorded SCLE patient), findings and labs only."""
    labs_day = dt.date(2024, 3, 12)
    return Case(
        id="demo-scle-0001",
        as_of=dt.date(2024, 3, 15),
        patient=Patient(sex="female", age_years=42, weight_kg=79.8, height_cm=160.0),
        cle=(
            CleEntry(
                subtype="SCLE_ANNULAR",
                sites=("v_neck", "post_neck_shoulders", "chest", "back_buttocks", "arms"),
                since=PartialDate(2021, 9),
            ),
        ),
        findings=(
            Finding(name="inflammatory_rash", date=dt.date(2024, 3, 15)),
            Finding(name="alopecia_nonscarring", date=dt.date(2024, 3, 15)),
            Finding(name="arthritis", date=dt.date(2024, 3, 10), value=Quantity(3, "1")),
        ),
        labs=(
            lab("ana", dt.date(2021, 10, 4), titre=640),
            lab("anti_ro", dt.date(2021, 10, 4), result="positive"),
            lab("anti_dsdna", labs_day, 12, "[iU]/mL", upper=10),
            lab("c3", labs_day, 0.78, "g/L", lower=0.9, upper=1.8),
            lab("c4", labs_day, 0.12, "g/L", lower=0.1, upper=0.4),
            lab("wbc", labs_day, 3.6, "10*9/L"),
            lab("platelets", labs_day, 210, "10*9/L"),
            lab("creatinine", labs_day, 68, "umol/L"),
            lab("iga", labs_day, 2.1, "g/L"),
        ),
    )


Builder = Callable[[dt.date], tuple[Observation, ...]]

# One unambiguous observation per SLEDAI-2K descriptor, with the descriptor's weight (§2.1).
SLEDAI_ITEMS: dict[str, tuple[int, Builder]] = {
    "seizure": (8, lambda d: (finding("seizure", d),)),
    "psychosis": (8, lambda d: (finding("psychosis", d),)),
    "organic_brain_syndrome": (8, lambda d: (finding("organic_brain_syndrome", d),)),
    "visual_disturbance": (8, lambda d: (finding("visual_disturbance", d),)),
    "cranial_nerve_disorder": (8, lambda d: (finding("cranial_nerve_disorder", d),)),
    "lupus_headache": (8, lambda d: (finding("lupus_headache", d),)),
    "cva": (8, lambda d: (finding("cva", d),)),
    "vasculitis": (8, lambda d: (finding("vasculitis", d),)),
    "arthritis": (4, lambda d: (finding("arthritis", d, 4),)),
    "myositis": (4, lambda d: (finding("myositis", d),)),
    "urinary_casts": (4, lambda d: (lab("urine_casts", d, result="positive"),)),
    "haematuria": (4, lambda d: (lab("urine_rbc", d, 12, "/[HPF]"),)),
    "proteinuria": (4, lambda d: (lab("urine_protein_24h", d, 1.8, "g/d"),)),
    "pyuria": (4, lambda d: (lab("urine_wbc", d, 9, "/[HPF]"),)),
    "rash": (2, lambda d: (finding("inflammatory_rash", d),)),
    "alopecia": (2, lambda d: (finding("alopecia_nonscarring", d),)),
    "mucosal_ulcers": (2, lambda d: (finding("oral_ulcers", d),)),
    "pleurisy": (2, lambda d: (finding("pleurisy", d),)),
    "pericarditis": (2, lambda d: (finding("pericarditis", d),)),
    "low_complement": (2, lambda d: (lab("c3", d, 0.6, "g/L", lower=0.9),)),
    "increased_dna_binding": (2, lambda d: (lab("anti_dsdna", d, 80, "[iU]/mL", upper=10),)),
    "fever": (1, lambda d: (finding("fever", d, 38.6, "Cel"),)),
    "thrombocytopenia": (1, lambda d: (lab("platelets", d, 60, "10*9/L"),)),
    "leukopenia": (1, lambda d: (lab("wbc", d, 2.1, "10*9/L"),)),
}

# One unambiguous observation per EULAR/ACR 2019 criterion: (domain, points, builder) (§3.2).
EULAR_ITEMS: dict[str, tuple[str, int, Builder]] = {
    "fever": ("constitutional", 2, lambda d: (finding("fever", d, 38.9, "Cel"),)),
    "leukopenia": ("haematologic", 3, lambda d: (lab("wbc", d, 3.5, "10*9/L"),)),
    "thrombocytopenia": ("haematologic", 4, lambda d: (lab("platelets", d, 80, "10*9/L"),)),
    "autoimmune_haemolysis": (
        "haematologic",
        4,
        lambda d: (
            lab("haptoglobin", d, 0.05, "g/L", lower=0.3),
            lab("direct_coombs", d, result="positive"),
        ),
    ),
    "delirium": ("neuropsychiatric", 2, lambda d: (finding("delirium", d),)),
    "psychosis": ("neuropsychiatric", 3, lambda d: (finding("psychosis", d),)),
    "seizure": ("neuropsychiatric", 5, lambda d: (finding("seizure", d),)),
    "alopecia_nonscarring": ("mucocutaneous", 2, lambda d: (finding("alopecia_nonscarring", d),)),
    "oral_ulcers": ("mucocutaneous", 2, lambda d: (finding("oral_ulcers", d),)),
    "acle": ("mucocutaneous", 6, lambda d: (finding("malar_rash", d),)),
    "serosal_effusion": ("serosal", 5, lambda d: (finding("pleural_effusion", d),)),
    "acute_pericarditis": ("serosal", 6, lambda d: (finding("pericarditis", d),)),
    "joint_involvement": ("musculoskeletal", 6, lambda d: (finding("arthritis", d, 4),)),
    "proteinuria": ("renal", 4, lambda d: (lab("urine_protein_24h", d, 1.2, "g/d"),)),
    "lupus_nephritis_class_ii_or_v": (
        "renal",
        8,
        lambda d: (finding("lupus_nephritis_class_ii_or_v", d),),
    ),
    "lupus_nephritis_class_iii_or_iv": (
        "renal",
        10,
        lambda d: (finding("lupus_nephritis_class_iii_or_iv", d),),
    ),
    "antiphospholipid": (
        "antiphospholipid",
        2,
        lambda d: (lab("lupus_anticoagulant", d, result="positive"),),
    ),
    "low_c3_or_c4": ("complement", 3, lambda d: (lab("c4", d, 0.05, "g/L", lower=0.1),)),
    "low_c3_and_c4": (
        "complement",
        4,
        lambda d: (lab("c3", d, 0.5, "g/L", lower=0.9), lab("c4", d, 0.05, "g/L", lower=0.1)),
    ),
    "anti_dsdna_or_anti_sm": (
        "sle_specific_antibodies",
        6,
        lambda d: (lab("anti_sm", d, result="positive"),),
    ),
}
