"""FHIR R4 resources -> case-file data -> `clepath.casefile.parse_case`, nothing dropped silently.

Reads a Bundle (any type: a clepath export, a searchset, a transaction) or a plain list of
resources (a CDS Hooks prefetch). Codes are matched in this order: clepath's local CodeSystems,
then the standard codes the knowledge packs hold (LOINC for lab tests, ICD-10 and SNOMED CT for
CLE subtypes, the vital-signs LOINC codes for weight and height), then, for names only, the packs'
vocabularies (reported as `inferred`). Everything else is listed in the mapping report with its
system, code and the reason it was not read. Scores and IVIG course plans are never read back:
clepath recomputes them from the facts (reported as `derived`).

The result is case-file data (format 1), so the case parser applies the same validation as to a
file. In lenient mode an item the parser refuses is dropped and reported instead of failing the
whole import (a pipeline keeps going on bad records); strict mode raises the CaseError.

Each resource type's mapping is one module of `clepath.fhir.reading` (patient, observation,
condition, therapy, careplan); `reading.base` holds the reader state and the one place that
reports inferences and skips and gives every input resource its outcome.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clepath.casefile.parse import parse_case
from clepath.domain.case import Case
from clepath.errors import CaseError, FieldProblem
from clepath.fhir import terminology as t
from clepath.fhir.issues import MappingReport
from clepath.fhir.reading.administration import finish_events, read_administration, read_dispense
from clepath.fhir.reading.base import _SECTIONS, Reader, account, resource_entries, where_of
from clepath.fhir.reading.careplan import read_care_plan, read_impression
from clepath.fhir.reading.condition import read_condition
from clepath.fhir.reading.observation import read_observation
from clepath.fhir.reading.patient import body_history, read_patient
from clepath.fhir.reading.therapy import read_medication
from clepath.fhir.shape import bundle_problems, resource_problems
from clepath.knowledge.base import KnowledgeBase

__all__ = ["ImportResult", "bundle_to_case_data", "collect_resources", "import_bundle"]

_FIELD = re.compile(r"^(cle|findings|labs|clasi|therapies|measurements)\[(\d+)\]")
_PATIENT_FIELD = re.compile(r"^patient\.(\w+)(?:\[(\d+)\])?")


@dataclass(frozen=True)
class ImportResult:
    """Case-file data read from FHIR, where each item came from, and the mapping report."""

    data: dict[str, Any]
    report: MappingReport
    origins: dict[str, list[str]] = field(default_factory=dict)  # section -> resource per item


def collect_resources(source: Any) -> list[dict[str, Any]]:
    """Every resource in a Bundle (nested Bundles flattened) or in a list of resources/Bundles."""
    return [resource for resource, _ in resource_entries(source)]


_HANDLERS = {
    "Patient": read_patient,
    "Observation": read_observation,
    "Condition": read_condition,
    "MedicationStatement": read_medication,
    "MedicationRequest": read_medication,
    "ClinicalImpression": read_impression,
}
# read into pending events and accounted for when they are grouped into courses at the end
_EVENTS = {
    "MedicationAdministration": read_administration,
    "MedicationDispense": read_dispense,
}


def bundle_to_case_data(
    source: Any,
    kb: KnowledgeBase,
    *,
    as_of: dt.date | None = None,
    case_id: str | None = None,
    strict: bool = False,
) -> ImportResult:
    """Case-file data (format 1) from a Bundle or a list of resources, with the mapping report.

    `as_of` overrides the assessment date the Bundle carries (a clepath ClinicalImpression);
    `case_id` overrides the case id (the Patient's clepath identifier, else its id). Every input
    resource gets one outcome in `report.resources` (imported, inferred, derived, skipped or
    unmapped, with the reason).

    Raises:
        CaseError: the Bundle's structure cannot be read (an entry that is not an object, a
            resource without a resourceType), naming the path, the value and the accepted
            form; in strict mode also a resource with an element of the wrong JSON type.
    """
    problems = bundle_problems(source)
    if problems:
        raise CaseError(problems)
    empty: list[str] = []
    entries = resource_entries(source, empty)
    r = Reader(kb, as_of)
    for path in empty:
        r.report.add("skipped", path, "a Bundle entry without a resource")
        r.report.account(path, "skipped", "a Bundle entry without a resource")
    patients = [res for res, _ in entries if res.get("resourceType") == "Patient"]
    if len(patients) > 1:
        raise CaseError(FieldProblem("Bundle", f"{len(patients)} patients",
                                     "holds more than one patient", "one patient per case"))
    # care plans and the assessment first: the course requests based on the plans are
    # recognised, and the assessment date is known before therapy end dates are judged
    first = ("CarePlan", "ClinicalImpression")
    ordered = sorted(enumerate(entries), key=lambda x: x[1][0].get("resourceType") not in first)
    medications: list[tuple[str, Mapping[str, Any]]] = []
    malformed: list[FieldProblem] = []
    for index, (res, url) in enumerate(entries):
        if res.get("resourceType") == "Medication":
            where = where_of(res, index)
            medications.append((where, res))
            if isinstance(res.get("id"), str):
                r.medications[f"Medication/{res['id']}"] = res
            if url:
                r.medications[url] = res
    for index, (res, url) in ordered:
        kind = res.get("resourceType")
        where = where_of(res, index)
        if kind == "Medication":
            continue
        if r.as_of is None and kind not in first and r.impression_dates:
            r.as_of = max(r.impression_dates)
        before_mark, before_issues = r.mark(), len(r.report.issues)
        try:
            if kind == "CarePlan":
                read_care_plan(r, res, where, url)
            elif kind in _HANDLERS:
                _HANDLERS[kind](r, res, where)
            elif kind in _EVENTS:
                _EVENTS[kind](r, res, where)
                continue  # accounted for by finish_events (or already, when skipped)
            elif kind == "OperationOutcome":
                r.report.add("skipped", where, "an OperationOutcome (an error report), not data")
            else:
                r.report.add("unmapped", where, f"resource type {kind} is not read by clepath")
        except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:
            # an element of the wrong JSON type: name it (the shape check runs only here, so
            # well-formed data pays nothing for it); anything it misses is named generically
            shape = resource_problems(res, where) or [FieldProblem(
                where, kind, f"could not be read ({type(exc).__name__}: {exc})",
                f"a FHIR R4 {kind} resource")]
            malformed += shape
            r.report.add("skipped", where, "malformed: " + "; ".join(str(p) for p in shape[:3]))
            r.report.account(where, "skipped", "malformed resource (an element of the wrong "
                             "JSON type)")
            continue
        account(r, where, before_mark, before_issues)
    for where, res in medications:
        users = r.used_medications.get(id(res))
        if users:
            r.report.account(where, "imported", "the drug of " + ", ".join(sorted(set(users))))
        else:
            r.report.add("skipped", where, "a Medication no medication course refers to")
            r.report.account(where, "skipped", "a Medication no medication course refers to")
    if strict and malformed:
        raise CaseError(malformed)
    chosen_as_of = as_of or (max(r.impression_dates) if r.impression_dates else None)
    r.as_of = chosen_as_of
    finish_events(r)
    weight = body_history(r, "weight", chosen_as_of)
    height = body_history(r, "height", chosen_as_of)
    if weight is not None:
        r.patient["weight"] = {"value": weight, "unit": "kg"}
    if height is not None:
        r.patient["height"] = {"value": height, "unit": "cm"}
    if r.conditions:
        r.patient["conditions"] = sorted(set(r.conditions))
    data: dict[str, Any] = {
        "clepath": 1,
        "id": case_id or (r.case_ids[0] if r.case_ids else _bundle_case_id(source)),
        "as_of": chosen_as_of.isoformat() if chosen_as_of else None,
        "patient": r.patient,
    }
    for section in _SECTIONS:
        if r.sections[section]:
            data[section] = r.sections[section]
    if r.requests:
        data["requests"] = r.requests
    return ImportResult(data=data, report=r.report, origins=r.origins)


def _bundle_case_id(source: Any) -> str | None:
    if isinstance(source, Mapping):
        ident = source.get("identifier")
        if isinstance(ident, Mapping) and ident.get("system") == t.CASE_ID_SYSTEM:
            return str(ident.get("value"))
    return None


def _drop(result: ImportResult, problems: list[FieldProblem]) -> bool:
    """Remove the items a CaseError names (lenient import); False if one cannot be removed."""
    data, report = result.data, result.report
    doomed: dict[str, set[int]] = {}
    for problem in problems:
        match = _FIELD.match(problem.field)
        if match:
            doomed.setdefault(match.group(1), set()).add(int(match.group(2)))
            continue
        patient = _PATIENT_FIELD.match(problem.field)
        if patient and isinstance(data.get("patient"), dict):
            key, index = patient.group(1), patient.group(2)
            if key == "conditions" and index is not None:
                conditions = data["patient"].get("conditions") or []
                if int(index) < len(conditions):
                    conditions[int(index)] = None
            else:
                data["patient"].pop(key, None)
            report.add("dropped", problem.field, str(problem))
            continue
        if problem.field.startswith("requests"):
            data.pop("requests", None)
            report.add("dropped", problem.field, str(problem))
            continue
        return False
    if isinstance(data.get("patient"), dict) and "conditions" in data["patient"]:
        data["patient"]["conditions"] = [c for c in data["patient"]["conditions"] if c]
    for section, indexes in doomed.items():
        items, origins = data.get(section, []), result.origins.get(section, [])
        for index in sorted(indexes, reverse=True):
            if index < len(items):
                why = "; ".join(str(p) for p in problems if p.field.startswith(
                    f"{section}[{index}]"))
                origin = origins[index] if index < len(origins) else f"{section}[{index}]"
                report.add("dropped", origin, why)
                report.reaccount(origin, "skipped", "refused by the case validation")
                del items[index]
                if index < len(origins):
                    del origins[index]
        if not items:
            data.pop(section, None)
    return True


def import_bundle(
    source: Any,
    kb: KnowledgeBase,
    *,
    as_of: dt.date | None = None,
    case_id: str | None = None,
    strict: bool = True,
) -> tuple[Case, ImportResult]:
    """Read FHIR resources into a checked Case (through `parse_case`) and the mapping report.

    Raises:
        CaseError: in strict mode, every problem the case parser found; in lenient mode only
            problems that no single item can be blamed for (no date, no id).
    """
    result = bundle_to_case_data(source, kb, as_of=as_of, case_id=case_id, strict=strict)
    for _ in range(4):
        try:
            return parse_case(result.data, kb), result
        except CaseError as exc:
            if strict or not _drop(result, exc.problems):
                raise
    return parse_case(result.data, kb), result
