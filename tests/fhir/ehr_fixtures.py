"""FHIR payloads shaped like real EHR exports, written for clepath's tests (not copied).

Synthea-shaped: RxNorm-only codings, `doseQuantity` as a count of tablets with no unit, the
strength in the RxNorm clinical drug, conditions coded by SNOMED CT, `urn:uuid:` fullUrls.
Epic-shaped: `medicationReference` to a contained Medication or to one elsewhere in the Bundle,
free-text names with brands in capitals, ICD-10-CM and SNOMED CT codings side by side.
Codes come from the terminology pack (sources in docs/research/terminology.md).
"""

from __future__ import annotations

from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
PATIENT_ID = "8f4c1e2a-0000-4000-8000-000000000001"
SUBJECT = {"reference": f"urn:uuid:{PATIENT_ID}"}

__all__ = ["PATIENT_ID", "condition", "medication", "medication_administration",
           "medication_dispense", "medication_request", "patient",
           "synthea_bundle", "weight"]


def patient(weight_kg: float | None = None) -> dict[str, Any]:
    """A Synthea-like Patient (identifying details left out)."""
    return {"resourceType": "Patient", "id": PATIENT_ID, "gender": "female",
            "birthDate": "1984-02-11"}


def weight(kg: float, day: str = "2024-03-01") -> dict[str, Any]:
    """A vital-signs body weight."""
    return {"resourceType": "Observation", "id": f"weight-{kg:g}", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                      "observation-category", "code": "vital-signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": "29463-7",
                                 "display": "Body Weight"}], "text": "Body Weight"},
            "subject": SUBJECT, "effectiveDateTime": f"{day}T09:30:00-05:00",
            "valueQuantity": {"value": kg, "unit": "kg", "system": "http://unitsofmeasure.org",
                              "code": "kg"}}


def condition(cid: str, *codings: tuple[str, str, str], text: str | None = None
              ) -> dict[str, Any]:
    """An active, confirmed Condition with the given (system, code, display) codings."""
    return {"resourceType": "Condition", "id": cid,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                           "condition-clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/"
                                               "CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "code": {"coding": [{"system": s, "code": c, "display": d} for s, c, d in codings],
                     "text": text or codings[0][2]},
            "subject": SUBJECT, "onsetDateTime": "2021-06-02T10:00:00-05:00"}


def _dosage(tablets: float | None, per_day: int = 1, unit: str | None = None,
            route: str | None = None) -> dict[str, Any]:
    dosage: dict[str, Any] = {"sequence": 1, "timing": {"repeat": {
        "frequency": per_day, "period": 1, "periodUnit": "d"}}}
    if tablets is not None:
        quantity: dict[str, Any] = {"value": tablets}
        if unit:
            quantity.update(unit=unit)
        dosage["doseAndRate"] = [{"type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/dose-rate-type",
            "code": "ordered"}]}, "doseQuantity": quantity}]
    if route:
        dosage["route"] = {"text": route}
    return dosage


def medication_request(rid: str, *, code: tuple[str, str] | None = None,
                       text: str | None = None, reference: str | None = None,
                       reference_display: str | None = None,
                       contained: dict[str, Any] | None = None, tablets: float | None = 1,
                       per_day: int = 1, unit: str | None = None, route: str | None = None,
                       status: str = "active", authored: str = "2023-09-01"
                       ) -> dict[str, Any]:
    """A MedicationRequest naming its drug by RxNorm code, by text, or by reference."""
    res: dict[str, Any] = {"resourceType": "MedicationRequest", "id": rid, "status": status,
                           "intent": "order", "subject": SUBJECT,
                           "authoredOn": f"{authored}T08:00:00-05:00",
                           "dosageInstruction": [_dosage(tablets, per_day, unit, route)]}
    if code is not None or text is not None:
        concept: dict[str, Any] = {}
        if code is not None:
            concept["coding"] = [{"system": RXNORM, "code": code[0], "display": code[1]}]
        if text is not None:
            concept["text"] = text
        res["medicationCodeableConcept"] = concept
    if reference is not None:
        res["medicationReference"] = {"reference": reference}
        if reference_display:
            res["medicationReference"]["display"] = reference_display
    if contained is not None:
        res["contained"] = [contained]
    return res


def medication(mid: str, text: str, *, code: tuple[str, str] | None = None,
               form: str | None = None, strength_mg: float | None = None) -> dict[str, Any]:
    """An Epic-like Medication: local text name, an optional RxNorm coding, form, strength."""
    res: dict[str, Any] = {"resourceType": "Medication", "id": mid,
                           "code": {"text": text}}
    if code is not None:
        res["code"]["coding"] = [{"system": RXNORM, "code": code[0], "display": code[1]}]
    if form is not None:
        res["form"] = {"text": form}
    if strength_mg is not None:
        res["ingredient"] = [{"itemCodeableConcept": {"text": text}, "strength": {
            "numerator": {"value": strength_mg, "unit": "mg", "system":
                          "http://unitsofmeasure.org", "code": "mg"},
            "denominator": {"value": 1, "unit": "tablet"}}}]
    return res


def synthea_bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A Synthea-like transaction Bundle (urn:uuid fullUrls) of the patient and `resources`."""
    everything = [patient(), *resources]
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{r['id']}", "resource": r,
         "request": {"method": "POST", "url": r["resourceType"]}} for r in everything]}


def medication_administration(rid: str, day: str, *, text: str | None = None,
                              code: tuple[str, str] | None = None,
                              reference: str | None = None, display: str | None = None,
                              grams: float | None = None, ml: float | None = None,
                              mg: float | None = None, status: str = "completed",
                              request: str | None = None, rate_ml_h: float | None = None,
                              route: str | None = "Intravenous") -> dict[str, Any]:
    """An infusion as an Epic-like EHR records it (effectivePeriod over the infusion hours,
    `dosage.dose`, `dosage.rateQuantity`, an EHR-local route coding) or, with `code` only and
    no dose, as Synthea does (effectiveDateTime, RxNorm coding)."""
    res: dict[str, Any] = {"resourceType": "MedicationAdministration", "id": rid,
                           "status": status, "subject": SUBJECT}
    if code is not None or text is not None:
        concept: dict[str, Any] = {}
        if code is not None:
            concept["coding"] = [{"system": RXNORM, "code": code[0], "display": code[1]}]
        if text is not None:
            concept["text"] = text
        res["medicationCodeableConcept"] = concept
    if reference is not None:
        res["medicationReference"] = {"reference": reference}
        if display:
            res["medicationReference"]["display"] = display
    if grams is None and ml is None and mg is None and code is not None:
        res["effectiveDateTime"] = f"{day}T10:00:00-05:00"
        return res
    res["effectivePeriod"] = {"start": f"{day}T09:12:00-05:00", "end": f"{day}T13:40:00-05:00"}
    dosage: dict[str, Any] = {}
    if route:
        dosage["route"] = {"coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.4.698288.330",
                                       "code": "11", "display": route}], "text": route}
    if grams is not None:
        dosage["dose"] = {"value": grams, "unit": "g", "system": "http://unitsofmeasure.org",
                          "code": "g"}
    elif ml is not None:
        dosage["dose"] = {"value": ml, "unit": "mL", "system": "http://unitsofmeasure.org",
                          "code": "mL"}
    elif mg is not None:
        dosage["dose"] = {"value": mg, "unit": "mg", "system": "http://unitsofmeasure.org",
                          "code": "mg"}
    if rate_ml_h is not None:
        dosage["rateQuantity"] = {"value": rate_ml_h, "unit": "mL/hr",
                                  "system": "http://unitsofmeasure.org", "code": "mL/h"}
    res["dosage"] = dosage
    if request is not None:
        res["request"] = {"reference": request}
    return res


def medication_dispense(rid: str, day: str, *, code: tuple[str, str], tablets: float = 1,
                        per_day: int = 1, days_supply: int = 30, quantity: int = 30,
                        status: str = "completed",
                        prescription: str | None = None) -> dict[str, Any]:
    """A pharmacy fill as a US EHR exports it: RxNorm clinical drug, quantity in tablets,
    daysSupply, whenHandedOver, and the dosage instruction copied from the prescription."""
    res: dict[str, Any] = {
        "resourceType": "MedicationDispense", "id": rid, "status": status,
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code[0],
                                                  "display": code[1]}], "text": code[1]},
        "subject": SUBJECT,
        "quantity": {"value": quantity, "unit": "tablet"},
        "daysSupply": {"value": days_supply, "unit": "Day", "system":
                       "http://unitsofmeasure.org", "code": "d"},
        "whenPrepared": f"{day}T08:00:00-05:00", "whenHandedOver": f"{day}T16:30:00-05:00",
        "dosageInstruction": [_dosage(tablets, per_day)]}
    if prescription is not None:
        res["authorizingPrescription"] = [{"reference": prescription}]
    return res
