"""Validation of FHIR R4 JSON at clepath's boundaries: fhir.resources R4B models plus our checks.

fhir.resources (8.x, `fhir.resources.R4B`; its default package is R5) checks structure: required
elements, unknown elements, datatypes, one `value[x]`. It does not check required code bindings
or FHIRPath invariants (nazrulworld/fhir.resources#23, #76), so the enumerations and invariants
clepath writes or reads are checked here, by the rules of FHIR R4 4.0.1:

* required bindings: Bundle.type, Patient.gender, Observation.status and category,
  Condition clinical and verification status, MedicationStatement.status,
  MedicationRequest.status and intent, CarePlan.status and intent, ClinicalImpression.status;
* invariants: obs-6 (no dataAbsentReason beside a value, also per component), obs-7 (a
  component does not repeat the Observation's code with a value), con-3/con-4/con-5 (Condition
  statuses), cpl-3 (a CarePlan activity has a reference or a detail, not both), ext-1 (an
  extension has a value or sub-extensions, not both), qty-3 (a Quantity's code needs its
  system), bdl-7 (fullUrl unique);
* the vital-signs profile for the category `vital-signs` (a LOINC code, a UCUM quantity);
* UCUM codes are valid UCUM; `urn:uuid:` references resolve inside the Bundle;
* with a knowledge base: every clepath-local code is a known term of its vocabulary.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from clepath.domain.units import UnitProblem, normalise_unit
from clepath.fhir import terminology as t
from clepath.fhir.shape import bundle_problems, resource_problems
from clepath.knowledge.base import KnowledgeBase

__all__ = ["FhirIssue", "check_bundle", "r4b_errors", "validate_bundle"]

_BUNDLE_TYPES = frozenset({"document", "message", "transaction", "transaction-response",
                           "batch", "batch-response", "history", "searchset", "collection"})
_LOCAL_VOCABULARIES = {
    "cle-subtype": "cle_subtype",
    "clasi-region": "clasi_region",
    "condition": "condition",
    "drug": "drug",
    "finding": "finding",
    "frequency": "frequency",
    "ivig-policy": "ivig_policy",
    "ivig-product": "ivig_product",
    "lab-test": "lab_test",
    "route": "route",
    "smoking": "smoking",
    "therapy-outcome": "outcome",
}
_STATUS_FIELDS: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "Patient": (("gender", t.PATIENT_GENDER),),
    "Observation": (("status", t.OBSERVATION_STATUS),),
    "MedicationStatement": (("status", t.MEDICATION_STATEMENT_STATUS),),
    "MedicationRequest": (("status", t.MEDICATION_REQUEST_STATUS),
                          ("intent", t.MEDICATION_REQUEST_INTENT)),
    "CarePlan": (("status", t.CARE_PLAN_STATUS), ("intent", t.CARE_PLAN_INTENT)),
    "ClinicalImpression": (("status", t.CLINICAL_IMPRESSION_STATUS),),
}


@dataclass(frozen=True, slots=True)
class FhirIssue:
    """One validation problem: where (a JSON path), what, and how bad."""

    where: str
    message: str
    severity: Literal["error", "warning"] = "error"
    rule: str = "structure"

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message} [{self.rule}]"


def r4b_errors(resource: Mapping[str, Any]) -> list[FhirIssue]:
    """Structural errors found by the fhir.resources R4B model of the resource."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        return [FhirIssue("resourceType", "missing or not a string", rule="r4b")]
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError):
        return [FhirIssue("resourceType", f"{kind!r} is not an R4B resource type", rule="r4b")]
    try:
        model.model_validate(resource)
    except (TypeError, KeyError, AttributeError) as exc:  # the library trips on wrong JSON types
        return [FhirIssue(kind, f"cannot be validated ({type(exc).__name__})", rule="r4b")]
    except ValidationError as exc:
        return [
            FhirIssue(".".join(str(p) for p in err["loc"]) or kind, err["msg"], rule="r4b")
            for err in exc.errors()
        ]
    return []


@functools.cache
def _ucum_ok(code: str) -> bool:
    try:
        normalise_unit(code)
    except UnitProblem:
        return False
    return True


def _walk(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every JSON object inside `value`, with its path."""
    if isinstance(value, Mapping):
        yield path, value
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")


def _codes(concept: Any, system: str) -> set[str]:
    if not isinstance(concept, Mapping):
        return set()
    return {c.get("code") for c in concept.get("coding") or ()
            if isinstance(c, Mapping) and c.get("system") == system}


def _datatype_checks(where: str, resource: Mapping[str, Any],
                     kb: KnowledgeBase | None) -> list[FhirIssue]:
    issues: list[FhirIssue] = []
    for path, obj in _walk(resource, where):
        if "url" in obj and any(k.startswith("value") for k in obj) and "extension" in obj:
            issues.append(FhirIssue(path, "an extension has both a value and extensions",
                                    rule="ext-1"))
        if "code" in obj and "value" in obj and isinstance(obj.get("code"), str):
            if "system" not in obj:
                issues.append(FhirIssue(path, "a Quantity with a code needs a system",
                                        rule="qty-3"))
            elif obj["system"] == t.UCUM and not _ucum_ok(obj["code"]):
                issues.append(FhirIssue(path, f"{obj['code']!r} is not a UCUM code",
                                        rule="ucum"))
        system = obj.get("system")
        if kb is not None and isinstance(system, str) and system.startswith(
                t.LOCAL_CODE_SYSTEM) and isinstance(obj.get("code"), str):
            vocabulary = _LOCAL_VOCABULARIES.get(system.removeprefix(t.LOCAL_CODE_SYSTEM))
            if vocabulary and obj["code"] not in kb.vocabulary(vocabulary).labels:
                issues.append(FhirIssue(path, f"{obj['code']!r} is not a term of {system}",
                                        rule="local-code"))
    return issues


def _status_checks(where: str, resource: Mapping[str, Any]) -> list[FhirIssue]:
    issues: list[FhirIssue] = []
    for name, allowed in _STATUS_FIELDS.get(str(resource.get("resourceType")), ()):
        value = resource.get(name)
        if value is not None and value not in allowed:
            issues.append(FhirIssue(f"{where}.{name}", f"{value!r} is not in the required "
                                    f"value set ({', '.join(sorted(allowed))})", rule="binding"))
    return issues


def _observation_checks(where: str, res: Mapping[str, Any]) -> list[FhirIssue]:
    issues: list[FhirIssue] = []
    has_value = any(k.startswith("value") for k in res)
    if has_value and "dataAbsentReason" in res:
        issues.append(FhirIssue(where, "a value and a dataAbsentReason together", rule="obs-6"))
    own = {(c.get("system"), c.get("code")) for c in (res.get("code") or {}).get("coding") or ()}
    for i, comp in enumerate(res.get("component") or ()):
        comp_value = any(k.startswith("value") for k in comp)
        if comp_value and "dataAbsentReason" in comp:
            issues.append(FhirIssue(f"{where}.component[{i}]",
                                    "a value and a dataAbsentReason together", rule="obs-6"))
        codes = {(c.get("system"), c.get("code"))
                 for c in (comp.get("code") or {}).get("coding") or ()}
        if comp_value and has_value and codes & own:
            issues.append(FhirIssue(f"{where}.component[{i}]",
                                    "repeats the Observation's code with a value", rule="obs-7"))
    categories = {c.get("code") for cat in res.get("category") or ()
                  for c in cat.get("coding") or () if c.get("system") == t.OBSERVATION_CATEGORY}
    unknown = categories - t.OBSERVATION_CATEGORY_CODES
    if unknown:
        issues.append(FhirIssue(f"{where}.category", f"unknown categories {sorted(unknown)}",
                                rule="binding"))
    if "vital-signs" in categories:
        if not _codes(res.get("code"), t.LOINC):
            issues.append(FhirIssue(f"{where}.code", "a vital sign needs a LOINC code",
                                    rule="vitalsigns"))
        q = res.get("valueQuantity")
        if q is not None and (q.get("system") != t.UCUM or not q.get("code")):
            issues.append(FhirIssue(f"{where}.valueQuantity", "a vital sign needs a UCUM unit",
                                    rule="vitalsigns"))
        if "subject" not in res or not any(k.startswith("effective") for k in res):
            issues.append(FhirIssue(where, "a vital sign needs a subject and an effective time",
                                    rule="vitalsigns"))
    return issues


def _condition_checks(where: str, res: Mapping[str, Any]) -> list[FhirIssue]:
    issues: list[FhirIssue] = []
    clinical = _codes(res.get("clinicalStatus"), t.CONDITION_CLINICAL)
    verification = _codes(res.get("verificationStatus"), t.CONDITION_VERIFICATION)
    for codes, allowed, name in ((clinical, t.CONDITION_CLINICAL_CODES, "clinicalStatus"),
                                 (verification, t.CONDITION_VERIFICATION_CODES,
                                  "verificationStatus")):
        if codes - allowed:
            issues.append(FhirIssue(f"{where}.{name}", f"unknown codes {sorted(codes - allowed)}",
                                    rule="binding"))
    problem_list = "problem-list-item" in {
        c for cat in res.get("category") or () for c in _codes(cat, t.CONDITION_CATEGORY)}
    if problem_list and "entered-in-error" not in verification and not clinical:
        issues.append(FhirIssue(where, "a problem-list condition needs a clinicalStatus",
                                rule="con-3"))
    if any(k.startswith("abatement") for k in res) and clinical and not clinical & {
            "inactive", "resolved", "remission"}:
        issues.append(FhirIssue(where, "abated but clinically active", rule="con-4"))
    if "entered-in-error" in verification and clinical:
        issues.append(FhirIssue(where, "entered in error but with a clinicalStatus",
                                rule="con-5"))
    return issues


def _care_plan_checks(where: str, res: Mapping[str, Any]) -> list[FhirIssue]:
    return [FhirIssue(f"{where}.activity[{i}]", "has both a reference and a detail",
                      rule="cpl-3")
            for i, activity in enumerate(res.get("activity") or ())
            if "reference" in activity and "detail" in activity]


_RESOURCE_CHECKS = {
    "Observation": _observation_checks,
    "Condition": _condition_checks,
    "CarePlan": _care_plan_checks,
}


def check_bundle(bundle: Mapping[str, Any], kb: KnowledgeBase | None = None) -> list[FhirIssue]:
    """clepath's own checks (bindings, invariants, profiles, references) of a Bundle."""
    issues: list[FhirIssue] = []
    if not isinstance(bundle.get("type"), str) or bundle["type"] not in _BUNDLE_TYPES:
        issues.append(FhirIssue("Bundle.type", f"{bundle.get('type')!r} is not a Bundle type",
                                rule="binding"))
    urls: set[str] = set()
    for i, entry in enumerate(bundle.get("entry") or ()):
        url = entry.get("fullUrl")
        if url in urls:
            issues.append(FhirIssue(f"Bundle.entry[{i}]", f"duplicate fullUrl {url}",
                                    rule="bdl-7"))
        if isinstance(url, str):
            urls.add(url)
    for i, entry in enumerate(bundle.get("entry") or ()):
        resource = entry.get("resource")
        if not isinstance(resource, Mapping):
            continue
        where = f"Bundle.entry[{i}].resource({resource.get('resourceType')})"
        shape = resource_problems(resource, where)
        if shape:  # wrong JSON types: say so and check nothing deeper
            issues += [FhirIssue(p.field, f"{p.message} (got {p.value!r}); accepted: "
                                 f"{p.accepted}", rule="json-type") for p in shape]
            continue
        issues += _status_checks(where, resource)
        check = _RESOURCE_CHECKS.get(str(resource.get("resourceType")))
        if check is not None:
            issues += check(where, resource)
        issues += _datatype_checks(where, resource, kb)
        for path, obj in _walk(resource, where):
            ref = obj.get("reference")
            if isinstance(ref, str) and ref.startswith("urn:uuid:") and ref not in urls:
                issues.append(FhirIssue(path, f"{ref} does not resolve in the Bundle",
                                        rule="reference"))
    return issues


def validate_bundle(bundle: Mapping[str, Any], kb: KnowledgeBase | None = None) -> list[FhirIssue]:
    """Every problem of a Bundle: the R4B model's structural errors, then clepath's checks."""
    structure = bundle_problems(bundle)
    if structure:
        return [FhirIssue(p.field, f"{p.message} (got {p.value!r}); accepted: {p.accepted}",
                          rule="json-type") for p in structure]
    issues = r4b_errors(bundle)
    if bundle.get("resourceType") == "Bundle":
        issues += check_bundle(bundle, kb)
    return issues
