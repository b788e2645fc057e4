"""The code systems, extensions and fixed FHIR R4 vocabularies the clepath mapping uses.

Standard systems are named by their canonical URIs (FHIR R4 §Terminologies: LOINC, SNOMED CT,
ICD-10, UCUM and HL7's own code systems). Clinical codes themselves (LOINC for lab tests, ICD-10
and SNOMED CT for CLE subtypes) come from the knowledge packs, never from here. The two
exceptions are the body-weight and body-height LOINC codes, which the FHIR R4 vital-signs
profiles fix (hl7.org/fhir/R4/bodyweight.html, bodyheight.html; shared/interop.md §2.2).

Everything clepath records without a standard code (findings, drugs, CLASI items, the instruments
CLASI, SLEDAI-2K and EULAR/ACR 2019, for which no LOINC code exists) uses a local CodeSystem under
`https://clepath.org/fhir/CodeSystem/`, and clepath-specific data elements use extensions under
`https://clepath.org/fhir/StructureDefinition/`.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BODY_HEIGHT_LOINC",
    "BODY_WEIGHT_LOINC",
    "CARE_PLAN_INTENT",
    "CARE_PLAN_STATUS",
    "CASE_ID_SYSTEM",
    "CLINICAL_IMPRESSION_STATUS",
    "CONDITION_CATEGORY",
    "CONDITION_CLINICAL",
    "CONDITION_CLINICAL_CODES",
    "CONDITION_VERIFICATION",
    "CONDITION_VERIFICATION_CODES",
    "DATA_ABSENT_REASON",
    "ICD10",
    "ICD10_CM",
    "INTERPRETATION",
    "INTERPRETATION_BY_RESULT",
    "LOCAL_CODE_SYSTEM",
    "LOCAL_EXTENSION",
    "LOINC",
    "MEDICATION_REQUEST_INTENT",
    "MEDICATION_REQUEST_STATUS",
    "MEDICATION_STATEMENT_STATUS",
    "OBSERVATION_CATEGORY",
    "OBSERVATION_CATEGORY_CODES",
    "OBSERVATION_STATUS",
    "PATIENT_GENDER",
    "RESULT_BY_INTERPRETATION",
    "SNOMED",
    "UCUM",
    "codeable",
    "coding",
    "extension_url",
    "local_system",
    "quantity",
]

LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
ICD10: Final = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM: Final = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
INTERPRETATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
DATA_ABSENT_REASON: Final = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

LOCAL_CODE_SYSTEM: Final = "https://clepath.org/fhir/CodeSystem/"
LOCAL_EXTENSION: Final = "https://clepath.org/fhir/StructureDefinition/"
CASE_ID_SYSTEM: Final = "https://clepath.org/fhir/case-id"

# Fixed by the FHIR R4 vital-signs profiles (bodyweight, bodyheight).
BODY_WEIGHT_LOINC: Final = ("29463-7", "Body weight")
BODY_HEIGHT_LOINC: Final = ("8302-2", "Body height")

# Required bindings of the R4 elements clepath writes or reads (R4 4.0.1 value sets).
OBSERVATION_STATUS: Final = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
     "entered-in-error", "unknown"}
)
OBSERVATION_CATEGORY_CODES: Final = frozenset(
    {"social-history", "vital-signs", "imaging", "laboratory", "procedure", "survey", "exam",
     "therapy", "activity"}
)
CONDITION_CLINICAL_CODES: Final = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)
CONDITION_VERIFICATION_CODES: Final = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)
MEDICATION_STATEMENT_STATUS: Final = frozenset(
    {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown",
     "not-taken"}
)
MEDICATION_REQUEST_STATUS: Final = frozenset(
    {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft",
     "unknown"}
)
MEDICATION_REQUEST_INTENT: Final = frozenset(
    {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
     "instance-order", "option"}
)
CARE_PLAN_STATUS: Final = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)
CARE_PLAN_INTENT: Final = frozenset({"proposal", "plan", "order", "option"})
CLINICAL_IMPRESSION_STATUS: Final = frozenset({"in-progress", "completed", "entered-in-error"})
PATIENT_GENDER: Final = frozenset({"male", "female", "other", "unknown"})

# The case file's result words and the v3 ObservationInterpretation codes that carry them.
INTERPRETATION_BY_RESULT: Final = {
    "low": ("L", "Low"),
    "high": ("H", "High"),
    "normal": ("N", "Normal"),
    "positive": ("POS", "Positive"),
    "negative": ("NEG", "Negative"),
}
RESULT_BY_INTERPRETATION: Final = {
    "L": "low",
    "LL": "low",
    "H": "high",
    "HH": "high",
    "N": "normal",
    "POS": "positive",
    "NEG": "negative",
    "DET": "positive",
    "ND": "negative",
}


def local_system(name: str) -> str:
    """The URL of one of clepath's local CodeSystems, e.g. `local_system("drug")`."""
    return LOCAL_CODE_SYSTEM + name


def extension_url(name: str) -> str:
    """The URL of one of clepath's extensions, e.g. `extension_url("attributed-to")`."""
    return LOCAL_EXTENSION + name


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """A FHIR Coding as JSON (display left out when unknown)."""
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def codeable(*codings: dict[str, str], text: str | None = None) -> dict[str, object]:
    """A FHIR CodeableConcept as JSON."""
    out: dict[str, object] = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def quantity(value: float, code: str, unit: str | None = None) -> dict[str, object]:
    """A FHIR Quantity in UCUM (`code` is the UCUM code; `unit` the human-readable form)."""
    return {"value": value, "unit": unit or code, "system": UCUM, "code": code}
