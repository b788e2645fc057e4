"""A synthetic CLE cohort as a FHIR Bulk Data export: NDJSON per resource type, manifest.json,
and the planted patients of each screening rule in ground_truth.csv.

Synthea-shaped (shared/screening.md): MedicationRequests coded by RxNorm clinical drug with only
about a quarter carrying a dosageInstruction, doses as unitless tablet counts
(`{"value": 2.0}`), topical creams as MedicationRequests known only by text, body weight as
LOINC 29463-7. Real-EHR shapes beside them: pharmacy fills (MedicationDispense with days'
supply), active MedicationStatements coded by RxNorm, and infusion-centre
MedicationAdministrations referring to a Medication resource (IVIG, anifrolumab). Codes come
from the knowledge packs or are the public codes recorded in shared/interop.md (SNOMED CT CLE
concepts, LOINC 6690-2 WBC, 29463-7 body weight, RxNorm 979092 and 312617); drugs without a
verified RxNorm code (methotrexate, mycophenolate, IVIG) carry clepath's local drug code only,
as clepath's own FHIR export writes them, or a product name only.

Each patient is drawn from its own seeded generator (seed and index), so a cohort is the same
for a seed whatever its size or chunking, and patients are written one at a time: a million
patients never sit in memory. Planted patients (and near-miss decoys) come at fixed positions:
every `plant_every`-th block of eight patients starts with one planted and one decoy per rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

from clepath.fhir import terminology as t

__all__ = ["RULES", "generate_cohort"]

RULES = ("hcq_above_5_mg_per_kg", "glucocorticoid_above_target", "refractory_not_escalated",
         "ivig_without_review")
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
_TYPES = ("Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
          "MedicationAdministration", "MedicationDispense", "Medication", "Encounter")
# SNOMED CT concepts listed in shared/interop.md section 2.2 (CLE subtypes and SLE).
_CONDITIONS = (("239891002", "Subacute cutaneous lupus erythematosus"),
               ("200938002", "Discoid lupus erythematosus"),
               ("7119001", "Cutaneous lupus erythematosus"),
               ("55464009", "Systemic lupus erythematosus"))
_HCQ = ("979092", "Hydroxychloroquine Sulfate 200 MG Oral Tablet")
_PRED = ("312617", "predniSONE 5 MG Oral Tablet")
_ROLES = [(rule, kind) for rule in RULES for kind in ("planted", "decoy")]


class _Patient:
    """The resources of one patient, built from the patient's own random generator."""

    def __init__(self, rng: random.Random, as_of: dt.date, stamp: str) -> None:
        self.rng, self.as_of, self.stamp = rng, as_of, stamp
        self.id = self.uid()
        self.out: dict[str, list[dict[str, Any]]] = {k: [] for k in _TYPES}
        self.ref = {"reference": f"Patient/{self.id}"}

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day(self, days_before: int) -> str:
        return (self.as_of - dt.timedelta(days=days_before)).isoformat()

    def add(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        rid = self.id if kind == "Patient" else self.uid()
        res = {"resourceType": kind, "id": rid, "meta": {"lastUpdated": self.stamp}}
        res.update(body)
        if kind not in ("Patient", "Medication"):
            res["subject"] = self.ref
        self.out[kind].append(res)
        return res

    def weight(self, kg: float, days_before: int) -> None:
        self.add("Observation", {
            "status": "final",
            "category": [t.codeable(t.coding(t.OBSERVATION_CATEGORY, "vital-signs"))],
            "code": t.codeable(t.coding(t.LOINC, *t.BODY_WEIGHT_LOINC)),
            "effectiveDateTime": self.day(days_before) + "T09:00:00Z",
            "valueQuantity": t.quantity(round(kg, 1), "kg"),
        })

    def order(self, code: tuple[str, str] | None, *, local: str | None = None,
              text: str | None = None, days_before: int, status: str = "active",
              dose: dict[str, Any] | None = None, per: tuple[int, float, str] | None = None,
              end_days_before: int | None = None) -> None:
        codings = []
        if code:
            codings.append(t.coding(RXNORM, *code))
        if local:
            codings.append(t.coding(t.local_system("drug"), local, local))
        body: dict[str, Any] = {
            "status": status, "intent": "order",
            "medicationCodeableConcept": t.codeable(*codings, text=text or (code or ("", ""))[1]),
            "authoredOn": self.day(days_before) + "T10:00:00Z",
        }
        if dose is not None:
            frequency, period, unit = per or (1, 1, "d")
            body["dosageInstruction"] = [{
                "timing": {"repeat": {"frequency": frequency, "period": period,
                                      "periodUnit": unit}},
                "doseAndRate": [{"doseQuantity": dose}],
            }]
        if end_days_before is not None:
            body["dispenseRequest"] = {"validityPeriod": {
                "start": self.day(days_before), "end": self.day(end_days_before)}}
        self.add("MedicationRequest", body)

    def statement(self, code: tuple[str, str], *, days_before: int, tablets: float) -> None:
        """A Synthea-like active MedicationStatement: RxNorm only, a unitless tablet count."""
        self.add("MedicationStatement", {
            "status": "active",
            "medicationCodeableConcept": t.codeable(t.coding(RXNORM, *code), text=code[1]),
            "effectivePeriod": {"start": self.day(days_before) + "T10:00:00Z"},
            "dosage": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                        "doseAndRate": [{"doseQuantity": {"value": tablets}}]}],
        })

    def dispense(self, code: tuple[str, str], *, days_before: int, tablets: float,
                 per_day: int = 1, supply: int = 90) -> None:
        """A pharmacy fill: RxNorm clinical drug, tablets, days' supply, the prescriber's sig."""
        self.add("MedicationDispense", {
            "status": "completed",
            "medicationCodeableConcept": t.codeable(t.coding(RXNORM, *code), text=code[1]),
            "quantity": {"value": tablets * per_day * supply, "unit": "tablet"},
            "daysSupply": t.quantity(supply, "d"),
            "whenHandedOver": self.day(days_before) + "T16:00:00Z",
            "dosageInstruction": [{
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": tablets}}]}],
        })

    def infusions(self, product: str, days_before: tuple[int, ...], dose: dict[str, Any]
                  ) -> None:
        """Infusion-centre administrations (Epic-like): a Medication resource referred to by
        each MedicationAdministration, the dose per infusion in `dosage.dose`."""
        med = self.add("Medication", {"code": t.codeable(text=product)})
        for days in days_before:
            self.add("MedicationAdministration", {
                "status": "completed",
                "medicationReference": {"reference": f"Medication/{med['id']}",
                                        "display": product},
                "effectivePeriod": {"start": self.day(days) + "T09:00:00Z",
                                    "end": self.day(days) + "T13:00:00Z"},
                "dosage": {"route": t.codeable(text="Intravenous"), "dose": dose},
            })

    def history(self, drug: str, outcome: str, start: int, end: int) -> None:
        self.add("MedicationStatement", {
            "status": "stopped",
            "statusReason": [t.codeable(t.coding(t.local_system("therapy-outcome"), outcome))],
            "medicationCodeableConcept": t.codeable(t.coding(t.local_system("drug"), drug, drug),
                                                    text=drug),
            "effectivePeriod": {"start": self.day(start), "end": self.day(end)},
        })

    def clasi(self, days_before: int) -> None:
        items = [("v_neck.erythema", 1), ("arms.erythema", 2), ("arms.scale", 1)]
        self.add("Observation", {
            "status": "final",
            "category": [t.codeable(t.coding(t.OBSERVATION_CATEGORY, "survey"))],
            "code": t.codeable(t.coding(t.local_system("instrument"), "clasi", "CLASI")),
            "effectiveDateTime": self.day(days_before),
            "component": [{"code": t.codeable(t.coding(t.local_system("clasi-item"), c)),
                           "valueInteger": v} for c, v in items],
        })


def _background(p: _Patient) -> float:
    rng = p.rng
    p.add("Patient", {"gender": "female" if rng.random() < 0.85 else "male",
                      "birthDate": f"{rng.randint(1950, 2002)}-{rng.randint(1, 12):02d}-"
                                   f"{rng.randint(1, 28):02d}"})
    code = rng.choice(_CONDITIONS)
    p.add("Condition", {
        "clinicalStatus": t.codeable(t.coding(t.CONDITION_CLINICAL, "active")),
        "verificationStatus": t.codeable(t.coding(t.CONDITION_VERIFICATION, "confirmed")),
        "code": t.codeable(t.coding(t.SNOMED, *code), text=code[1]),
        "onsetDateTime": p.day(rng.randint(400, 4000)),
    })
    weight = rng.uniform(45, 110)
    for k in range(rng.randint(1, 3)):
        p.weight(weight + rng.uniform(-3, 3), 30 + 300 * k + rng.randint(0, 200))
    if rng.random() < 0.1:  # a weight after the screening date: never used
        p.weight(weight + 25, -rng.randint(5, 60))
    for _ in range(rng.randint(1, 2)):
        p.add("Observation", {
            "status": "final",
            "category": [t.codeable(t.coding(t.OBSERVATION_CATEGORY, "laboratory"))],
            "code": t.codeable(t.coding(t.LOINC, "6690-2",
                                        "Leukocytes [#/volume] in Blood by Automated count")),
            "effectiveDateTime": p.day(rng.randint(10, 700)),
            "valueQuantity": t.quantity(round(rng.uniform(4.0, 9.5), 1), "10*9/L"),
        })
    for _ in range(rng.randint(1, 3)):
        start = rng.randint(1, 900)
        p.add("Encounter", {"status": "finished", "class": t.coding(
            "http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"),
            "period": {"start": p.day(start), "end": p.day(start)}})
    if rng.random() < 0.2:
        p.order(None, text="clobetasol propionate 0.5 MG/G Topical Cream",
                days_before=rng.randint(20, 400))
    return weight


def _safe_hcq(p: _Patient, weight: float) -> None:
    tablets = 2 if weight >= 84 else 1  # at most 5 mg/kg at every weight (base +-3 kg, >= 42)
    if p.rng.random() < 0.3:  # a pharmacy fill instead of an order
        p.dispense(_HCQ, days_before=p.rng.randint(20, 400), tablets=tablets, supply=30)
        return
    dose = {"value": float(tablets)} if p.rng.random() < 0.25 else None
    p.order(_HCQ, days_before=p.rng.randint(100, 2000), dose=dose)


def _plant(p: _Patient, rule: str, kind: str) -> None:
    rng = p.rng
    if rule == "hcq_above_5_mg_per_kg":
        p.weight(90, 1200)  # an older, heavier weight: the latest one counts
        weight = 80.0 if kind == "decoy" else rng.uniform(50, 75)
        p.weight(weight, rng.randint(1, 25))  # the latest weight (background ones are older)
        variant = rng.randrange(4)
        if variant == 3:  # a pharmacy fill covering the screening date
            p.dispense(_HCQ, days_before=rng.randint(5, 60), tablets=2.0)
            return
        if variant == 0:
            dose, per = {"value": 2.0}, (1, 1, "d")
        elif variant == 1:
            dose, per = {"value": 1.0}, (2, 1, "d")
        else:
            dose, per = t.quantity(400, "mg"), (1, 1, "d")
        p.order(_HCQ, days_before=rng.randint(100, 900), dose=dose, per=per)
    elif rule == "glucocorticoid_above_target":
        start = rng.randint(60, 80) if kind == "decoy" else rng.randint(95, 600)
        if rng.random() < 0.5:
            p.statement(_PRED, days_before=start, tablets=2.0)
        else:
            p.order(_PRED, days_before=start, dose={"value": 2.0}, per=(1, 1, "d"))
    elif rule == "refractory_not_escalated":
        p.history("hydroxychloroquine", "failed", 900, 500)
        p.history("methotrexate", "failed", 480, 200)
        if kind == "decoy" and rng.random() < 0.5:
            p.infusions("anifrolumab-fnia (SAPHNELO) 300 mg in sodium chloride 0.9 % 100 mL IV",
                        (61, 33, 5), t.quantity(300, "mg"))
        elif kind == "decoy":
            p.order(None, local="mycophenolate mofetil", text="mycophenolate mofetil",
                    days_before=150, dose=t.quantity(1000, "mg"), per=(2, 1, "d"))
    elif rule == "ivig_without_review":
        if kind == "decoy":
            p.clasi(130)
        if rng.random() < 0.5:  # given at an infusion centre: administrations only
            p.infusions("PRIVIGEN 10 % intravenous solution", (100, 99, 72, 44, 16),
                        t.quantity(35, "g"))
        else:
            p.order(None, local="intravenous immunoglobulin", text="immune globulin (IVIG)",
                    days_before=100, dose=t.quantity(35, "g"), per=(1, 4, "wk"))


def _role(index: int, plant_every: int) -> tuple[str, str] | None:
    block, pos = divmod(index, len(_ROLES))
    if block % plant_every == 0:
        return _ROLES[pos]
    return None


def generate_cohort(
    out: Path, patients: int, *, seed: int = 1, as_of: dt.date = dt.date(2025, 6, 30),
    plant_every: int = 5, gzip_files: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write a cohort export into `out`; return the number of resources per type."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = f"{as_of.isoformat()}T00:00:00Z"
    suffix = ".ndjson.gz" if gzip_files else ".ndjson"
    handles: dict[str, IO[bytes]] = {}
    counts = dict.fromkeys(_TYPES, 0)
    truth_rows: list[tuple[str, str, str]] = []
    try:
        for kind in _TYPES:
            path = out / f"{kind}{suffix}"
            handles[kind] = (gzip.open(path, "wb", compresslevel=3) if gzip_files
                             else path.open("wb", buffering=1 << 20))
        for index in range(patients):
            rng = random.Random(f"clepath-cohort:{seed}:{index}")  # noqa: S311 - synthetic
            p = _Patient(rng, as_of, stamp)
            weight = _background(p)
            role = _role(index, plant_every)
            if role is not None:
                _plant(p, *role)
                truth_rows.append((p.id, role[0], role[1]))
            elif rng.random() < 0.6:
                _safe_hcq(p, weight)
            if role is None and rng.random() < 0.2:
                p.order(_PRED, days_before=rng.randint(20, 900), dose={"value": 1.0})
            for kind, items in p.out.items():
                for res in items:
                    handles[kind].write(orjson.dumps(res) + b"\n")
                counts[kind] += len(items)
            if progress is not None and index % 1000 == 999:
                progress(1000)
    finally:
        for handle in handles.values():
            handle.close()
    manifest = {
        "transactionTime": stamp, "request": "[base]/$export", "requiresAccessToken": False,
        "output": [{"type": k, "url": f"{k}{suffix}", "count": counts[k]} for k in _TYPES],
        "error": [],
        "extension": {"https://clepath.org/fhir/StructureDefinition/synthetic-cohort": {
            "seed": seed, "patients": patients, "as_of": as_of.isoformat()}},
    }
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    with (out / "ground_truth.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["patient", "rule", "kind", "as_of"])
        for pid, rule, kind in truth_rows:
            writer.writerow([pid, rule, kind, as_of.isoformat()])
    return counts
