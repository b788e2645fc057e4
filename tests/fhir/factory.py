"""Small builders for the FHIR tests: cases from the domain dataclasses, FHIR resources by hand.

Cases carry canonical units and vocabulary ids, as the case parser leaves them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from clepath.domain.case import Case, CleEntry, Finding, LabResult, Patient, TherapyCourse
from clepath.domain.dates import PartialDate
from clepath.domain.units import Quantity, Titre
from clepath.fhir import terminology as t

__all__ = ["AS_OF", "condition", "lab_observation", "medication_statement", "small_case"]

AS_OF = dt.date(2024, 3, 15)


def small_case(**changes: Any) -> Case:
    """A compact SCLE case with a titre, a range, an attributed finding and a weekly drug."""
    base = Case(
        id="small-0001",
        as_of=AS_OF,
        patient=Patient(sex="female", age_years=40, weight_kg=70.0, height_cm=165.0,
                        smoking="never", blood_group="O", conditions=frozenset({"diabetes"})),
        cle=(CleEntry("SCLE_ANNULAR", ("arms", "chest"), PartialDate(2022, 5)),),
        findings=(
            Finding("fever", dt.date(2024, 3, 10), value=Quantity(38.6, "Cel"),
                    attributed_to="urinary infection"),
            Finding("arthritis", dt.date(2024, 3, 10), value=Quantity(2.0, "1")),
        ),
        labs=(
            LabResult("ana", dt.date(2023, 1, 5), titre=Titre(160)),
            LabResult("c3", dt.date(2024, 3, 12), value=0.8, unit="g/L", lower=0.9, upper=1.8),
            LabResult("anti_ro", dt.date(2023, 1, 5), result="positive"),
        ),
        therapies=(
            TherapyCourse("methotrexate", dose_mg=15.0, dose_text="15 mg", frequency="weekly",
                          doses_per_week=1.0, route="subcutaneous",
                          start=PartialDate(2023, 6), stop=PartialDate(2023, 12),
                          outcome="intolerant", note="nausea"),
        ),
    )
    return dataclasses.replace(base, **changes)


def lab_observation(code: list[dict[str, str]], date: str = "2024-03-12", **value: Any
                    ) -> dict[str, Any]:
    """A laboratory Observation as an EHR sends it."""
    return {"resourceType": "Observation", "id": f"lab-{len(code)}-{date}", "status": "final",
            "category": [{"coding": [t.coding(t.OBSERVATION_CATEGORY, "laboratory")]}],
            "code": {"coding": code}, "effectiveDateTime": date, **value}


def condition(code: list[dict[str, str]], status: str = "active", **fields: Any
              ) -> dict[str, Any]:
    """A problem-list Condition as an EHR sends it."""
    return {"resourceType": "Condition", "id": f"cond-{code[0]['code'] if code else 'x'}",
            "clinicalStatus": {"coding": [t.coding(t.CONDITION_CLINICAL, status)]},
            "code": {"coding": code}, **fields}


def medication_statement(text: str, status: str = "active", **fields: Any) -> dict[str, Any]:
    """A MedicationStatement naming the drug only in text."""
    return {"resourceType": "MedicationStatement", "id": f"ms-{text[:8].replace(' ', '-')}",
            "status": status, "medicationCodeableConcept": {"text": text},
            "subject": {"reference": "Patient/p"}, **fields}
