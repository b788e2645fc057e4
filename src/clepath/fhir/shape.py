"""JSON-shape checks of FHIR input before it is read: a wrong type is a stated problem, not a crash.

FHIR JSON fixes the type of most elements by name (`coding` is a list of objects, `status` a
string, `valueQuantity` an object). Reading code that trusts those types crashes on a mutated or
hand-made Bundle (`"entry": [1]`, `"coding": 5`). These checks find such elements first and name
each one: its path, the value and the accepted form. Elements whose type depends on context
(`code`, `text`, `value`, `statusReason`, `dosage`, `doseAndRate`) are checked only where the
context is clear.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from clepath.errors import FieldProblem

__all__ = ["bundle_problems", "resource_problems"]

_LISTS = frozenset({
    "coding", "category", "identifier", "component", "dosageInstruction", "note", "bodySite",
    "extension", "modifierExtension", "contained", "referenceRange", "interpretation", "basedOn",
    "entry", "link", "reasonCode", "ingredient", "event", "given", "line", "telecom",
    "derivedFrom", "hasMember", "supportingInfo", "activity", "addresses", "finding",
    "investigation", "profile", "security", "tag", "authorizingPrescription",
})
_STRING_ITEMS = frozenset({"event", "given", "line", "profile"})
_OBJECTS = frozenset({
    "valueQuantity", "valueCodeableConcept", "valueRatio", "valuePeriod", "valueAge",
    "valueDuration", "valueCoding", "valueRange", "clinicalStatus", "verificationStatus",
    "medicationCodeableConcept", "medicationReference", "effectivePeriod", "onsetPeriod",
    "timing", "repeat", "boundsPeriod", "boundsDuration", "doseQuantity", "route", "subject",
    "numerator", "denominator", "low", "high", "dispenseRequest", "validityPeriod", "form",
    "strength", "itemCodeableConcept", "meta", "valueReference", "encounter",
    "method", "specimen", "dose", "rateRatio", "rateQuantity", "daysSupply", "quantity",
    "request",
})
_STRINGS = frozenset({
    "resourceType", "id", "status", "system", "display", "gender", "birthDate", "fullUrl",
    "unit", "url", "intent", "authoredOn", "effectiveDateTime", "effectiveInstant",
    "issued", "onsetDateTime", "valueString", "valueDate", "valueDateTime", "start", "end",
    "comparator", "periodUnit", "lastUpdated", "recordedDate", "whenHandedOver",
    "whenPrepared",
})
_NUMBERS = frozenset({"frequency", "count", "valueInteger", "valueDecimal"})
_BOOLEANS = frozenset({"valueBoolean"})
_CODED_PARENTS = frozenset({"valueQuantity", "doseQuantity", "low", "high", "numerator",
                            "denominator", "valueAge", "valueDuration", "boundsDuration",
                            "valueCoding"})
_ACCEPTED = {
    "list": "a JSON array", "object": "a JSON object", "string": "a JSON string",
    "number": "a JSON number", "boolean": "true or false",
}


_KINDS = {dict: "object", list: "list", str: "string", int: "number", float: "number",
          bool: "boolean", type(None): "null"}


def _kind(value: Any) -> str:
    kind = _KINDS.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, Mapping):
        return "object"
    return "list" if isinstance(value, (list, tuple)) else "other"


def _expected(key: str, parent_key: str | None, parent: Mapping[str, Any],
              root: bool) -> str | None:
    if key in _LISTS:
        return "list"
    if key in _OBJECTS:
        return "object"
    if key in _STRINGS:
        return "string"
    if key in _NUMBERS:
        return "number"
    if key in _BOOLEANS:
        return "boolean"
    if key == "reference":
        return "object" if parent_key == "activity" else "string"
    if key == "period":
        return "number" if parent_key == "repeat" else "object"
    if key == "code":
        if parent_key == "coding" or parent_key in _CODED_PARENTS or "system" in parent:
            return "string"
        if root or parent_key == "component":
            return "object"
    if key == "value" and parent_key in _CODED_PARENTS:
        return "number"
    return None


def _walk(node: Mapping[str, Any], path: str, parent_key: str | None, root: bool,
          depth: int = 0) -> Iterator[FieldProblem]:
    if depth > 40:
        yield FieldProblem(path, "...", "is nested too deeply", "at most 40 levels")
        return
    for key, value in node.items():
        if value is None or not isinstance(key, str):
            continue  # null is not valid FHIR JSON, but it carries no data to misread
        kind = _KINDS.get(type(value)) or _kind(value)
        expected = _expected(key, parent_key, node, root)
        if expected is not None and kind != expected:
            here = f"{path}.{key}"
            yield FieldProblem(here, value, f"has the wrong type ({kind})", _ACCEPTED[expected])
            continue
        if kind == "object":
            yield from _walk(value, f"{path}.{key}", key,
                             key in ("resource", "contained"), depth + 1)
        elif kind == "list":
            strings = key in _STRING_ITEMS and (key != "event" or parent_key == "timing")
            for i, item in enumerate(value):
                item_kind = _KINDS.get(type(item)) or _kind(item)
                if strings:
                    if item_kind != "string":
                        yield FieldProblem(f"{path}.{key}[{i}]", item,
                                           f"has the wrong type ({item_kind})",
                                           _ACCEPTED["string"])
                elif item_kind == "object":
                    yield from _walk(item, f"{path}.{key}[{i}]", key, key == "contained",
                                     depth + 1)
                elif key in _LISTS:
                    yield FieldProblem(f"{path}.{key}[{i}]", item,
                                       f"has the wrong type ({item_kind})", _ACCEPTED["object"])


def resource_problems(resource: Mapping[str, Any], where: str) -> list[FieldProblem]:
    """Every element of one resource whose JSON type FHIR fixes and the value breaks."""
    return list(_walk(resource, where, None, True))


def bundle_problems(source: Any, path: str = "Bundle") -> list[FieldProblem]:
    """Problems that stop a Bundle (or list of resources) from being read at all."""
    problems: list[FieldProblem] = []
    if isinstance(source, list):
        for i, item in enumerate(source):
            if type(item) is dict:
                kind = item.get("resourceType")
                if isinstance(kind, str) and kind and kind != "Bundle":
                    continue  # a resource that is not a Bundle: nothing to check here
            problems += bundle_problems(item, f"{path}[{i}]")
        return problems
    if not isinstance(source, Mapping):
        return [FieldProblem(path, source, "is not a FHIR resource",
                             'a JSON object with a "resourceType"')]
    kind = source.get("resourceType")
    if not isinstance(kind, str) or not kind:
        return [FieldProblem(f"{path}.resourceType", kind, "is missing or not a string",
                             'a resource type such as "Bundle" or "Observation"')]
    if kind != "Bundle":
        return []
    entries = source.get("entry")
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [FieldProblem(f"{path}.entry", entries, "is not a list",
                             'a JSON array of entries {"fullUrl": ..., "resource": {...}}')]
    for i, entry in enumerate(entries):
        where = f"{path}.entry[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(FieldProblem(where, entry, "is not a Bundle entry",
                                         'a JSON object {"fullUrl": ..., "resource": {...}}'))
            continue
        if "fullUrl" in entry and not isinstance(entry["fullUrl"], str):
            problems.append(FieldProblem(f"{where}.fullUrl", entry["fullUrl"],
                                         "is not a string", "an absolute URL or urn:uuid"))
        resource = entry.get("resource")
        if resource is None:
            continue  # an entry without a resource (a delete, a search outcome): reported later
        problems += bundle_problems(resource, f"{where}.resource")
    return problems
