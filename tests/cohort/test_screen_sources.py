"""The screen reads the medication resources the FHIR importer reads (orders, statements,
administrations, dispenses, referenced Medications) and takes drugs and RxNorm strengths from the
one terminology pack, through the importer's own recogniser."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

from clepath.cohort.screen import run_screen
from clepath.fhir.medication import recogniser
from clepath.knowledge.loader import load_knowledge

AS_OF = dt.date(2025, 6, 30)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HCQ = {"coding": [{"system": RXNORM, "code": "979092",
                   "display": "Hydroxychloroquine Sulfate 200 MG Oral Tablet"}],
       "text": "Hydroxychloroquine Sulfate 200 MG Oral Tablet"}
DAILY_2_TABLETS = {"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                   "doseAndRate": [{"doseQuantity": {"value": 2}}]}


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _export(folder: Path, *resources: dict[str, Any]) -> Path:
    """A Bulk Data export without a manifest: one NDJSON file per resource type."""
    folder.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[bytes]] = {}
    for res in resources:
        by_kind.setdefault(res["resourceType"], []).append(orjson.dumps(res))
    for kind, lines in by_kind.items():
        (folder / f"{kind}.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    return folder


def _patient(pid: str, kg: float) -> list[dict[str, Any]]:
    return [{"resourceType": "Patient", "id": pid, "gender": "female",
             "birthDate": "1980-01-01"},
            {"resourceType": "Observation", "id": f"w-{pid}", "status": "final",
             "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
             "subject": {"reference": f"Patient/{pid}"},
             "effectiveDateTime": "2025-06-01",
             "valueQuantity": {"value": kg, "unit": "kg", "system": "http://unitsofmeasure.org",
                               "code": "kg"}}]


def _flags(result: Any) -> dict[tuple[str, str], float]:
    return {(f.patient, f.rule): f.value for f in result.flags}


def test_hcq_known_only_from_a_statement_or_a_dispense_is_flagged(kb, tmp_path) -> None:
    """HCQ 2 x 200 mg a day for 70 kg (5.714 mg/kg) recorded only as an active
    MedicationStatement, or only as a pharmacy fill covering the screening date, is flagged
    like an order, and the engine confirms both."""
    statement = {"resourceType": "MedicationStatement", "id": "ms-1", "status": "active",
                 "subject": {"reference": "Patient/a"}, "medicationCodeableConcept": HCQ,
                 "effectivePeriod": {"start": "2025-01-10"}, "dosage": [DAILY_2_TABLETS]}
    fill = {"resourceType": "MedicationDispense", "id": "md-1", "status": "completed",
            "subject": {"reference": "Patient/b"}, "medicationCodeableConcept": HCQ,
            "daysSupply": {"value": 90, "unit": "d"}, "whenHandedOver": "2025-05-20",
            "dosageInstruction": [DAILY_2_TABLETS]}
    export = _export(tmp_path / "x", *_patient("a", 70), *_patient("b", 70), statement, fill)

    result = run_screen([export], kb, AS_OF)

    assert {("a", "hcq_above_5_mg_per_kg"): 5.714,
            ("b", "hcq_above_5_mg_per_kg"): 5.714} == _flags(result)
    assert [] == result.disagreements


def test_ivig_given_at_an_infusion_centre_is_screened(kb, tmp_path) -> None:
    """IVIG known only from MedicationAdministrations that refer to a Privigen Medication
    (first infusion 2025-03-20, no CLASI before it) is flagged for a missing review, 102 days
    before the screening date."""
    med = {"resourceType": "Medication", "id": "priv",
           "code": {"text": "PRIVIGEN 10 % intravenous solution"}}
    given = [{"resourceType": "MedicationAdministration", "id": f"ma-{i}",
              "status": "completed", "subject": {"reference": "Patient/c"},
              "medicationReference": {"reference": "Medication/priv"},
              "effectivePeriod": {"start": f"{day}T09:00:00Z"},
              "dosage": {"dose": {"value": 35, "unit": "g", "code": "g"}}}
             for i, day in enumerate(("2025-03-20", "2025-03-21", "2025-04-17"))]
    export = _export(tmp_path / "x", *_patient("c", 60), med, *given)

    result = run_screen([export], kb, AS_OF)

    assert {("c", "ivig_without_review"): 102.0} == _flags(result)
    assert {"Medication", "MedicationAdministration"} <= set(result.resources)


def test_the_terminology_row_is_the_one_source_of_the_strength(kb, tmp_path,
                                                               monkeypatch) -> None:
    """The screen and the import read 979092's strength from the one terminology row: at
    200 mg, 2 tablets for 70 kg is 5.714 mg/kg and flagged; with that row changed to 100 mg
    both move together (2.857 mg/kg, no flag), so they cannot disagree."""
    order = {"resourceType": "MedicationRequest", "id": "mr-1", "status": "active",
             "intent": "order", "subject": {"reference": "Patient/d"},
             "medicationCodeableConcept": HCQ, "authoredOn": "2025-01-10",
             "dosageInstruction": [DAILY_2_TABLETS]}
    export = _export(tmp_path / "x", *_patient("d", 70), order)
    assert "rxnorm" not in {t.name for t in kb.pack("screening").manifest.tables}
    assert {("d", "hcq_above_5_mg_per_kg"): 5.714} == _flags(run_screen([export], kb, AS_OF))

    meds = recogniser(kb)
    monkeypatch.setitem(meds.rxnorm, "979092",
                        meds.rxnorm["979092"].model_copy(update={"strength": 100.0}))

    again = run_screen([export], kb, AS_OF)
    assert ({}, 0, []) == (_flags(again), again.candidates["hcq_above_5_mg_per_kg"],
                           again.disagreements)
