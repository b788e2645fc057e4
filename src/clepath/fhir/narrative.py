"""Generated narratives (`text.div`) for the resources clepath writes.

FHIR R4 asks every DomainResource for a human-readable narrative (dom-6, a best practice that
validators warn about). clepath generates it from the resource's own data: what it is (the code's
text), its value with unit, its date and status; nothing that is not in the structured data.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from clepath.domain.display import fmt_plain, fmt_value, kind_of_unit, unit_label

__all__ = ["narrative", "with_narrative"]

_DATES = ("effectiveDateTime", "onsetDateTime", "authoredOn", "date", "birthDate",
          "recordedDate")


def _concept_text(concept: Any) -> str | None:
    if not isinstance(concept, Mapping):
        return None
    if isinstance(concept.get("text"), str):
        return concept["text"]
    for c in concept.get("coding") or ():
        if isinstance(c, Mapping) and isinstance(c.get("display"), str):
            return c["display"]
        if isinstance(c, Mapping) and isinstance(c.get("code"), str):
            return c["code"]
    return None


def _quantity(q: Any) -> str | None:
    if not isinstance(q, Mapping) or not isinstance(q.get("value"), (int, float)):
        return None
    code, unit = q.get("code"), q.get("unit")
    # a person reads the narrative: the unit as people write it (×10⁹/L, not 10*9/L) and the
    # number by clepath.domain.display at the precision of its kind
    label = unit if unit and unit != code else unit_label(code or unit or "")
    kind = kind_of_unit(code)
    number = fmt_value(q["value"], kind) if kind else fmt_plain(q["value"])
    return f"{q.get('comparator', '')}{number} {label}".strip()


def _value(resource: Mapping[str, Any]) -> str | None:
    for key in ("valueQuantity", "valueAge", "valueDuration"):
        if (text := _quantity(resource.get(key))) is not None:
            return text
    if isinstance(resource.get("valueRatio"), Mapping):
        ratio = resource["valueRatio"]
        num = (ratio.get("numerator") or {}).get("value")
        den = (ratio.get("denominator") or {}).get("value")
        if num is not None and den is not None:
            return f"{fmt_plain(num)}:{fmt_plain(den)}"
    for key in ("valueString", "valueDateTime", "valueInteger"):
        if resource.get(key) is not None:
            return str(resource[key])
    if isinstance(resource.get("valueBoolean"), bool):
        return "yes" if resource["valueBoolean"] else "no"
    return _concept_text(resource.get("valueCodeableConcept"))


def _lines(resource: Mapping[str, Any]) -> list[str]:
    kind = str(resource.get("resourceType"))
    what = (_concept_text(resource.get("code"))
            or _concept_text(resource.get("medicationCodeableConcept"))
            or resource.get("title") or resource.get("description"))
    head = kind + (f": {what}" if what else "")
    if kind == "Patient":
        head = "Patient" + "".join(f", {resource[k]}" for k in ("gender",)
                                   if isinstance(resource.get(k), str))
    value = _value(resource)
    if value is not None:
        head += f" = {value}"
    lines = [head]
    for dosage in (resource.get("dosageInstruction") or resource.get("dosage") or ())[:3]:
        if isinstance(dosage, Mapping):
            dose = next((_quantity(d.get("doseQuantity")) for d in dosage.get("doseAndRate")
                         or () if isinstance(d, Mapping)), None)
            text = dosage.get("text") if isinstance(dosage.get("text"), str) else dose
            if text:
                lines.append(f"Dose: {text}")
    for key in _DATES:
        if isinstance(resource.get(key), str):
            lines.append(f"{'Born' if key == 'birthDate' else 'Date'}: {resource[key][:10]}")
            break
    period = resource.get("effectivePeriod") or resource.get("period")
    if isinstance(period, Mapping) and (period.get("start") or period.get("end")):
        lines.append(f"From {period.get('start', '?')[:10]} to "
                     f"{(period.get('end') or 'ongoing')[:10]}")
    status = resource.get("status")
    if isinstance(status, str):
        lines.append(f"Status: {status}")
    summary = resource.get("summary")
    if isinstance(summary, str):
        lines.append(summary)
    for note in resource.get("note") or ():
        if isinstance(note, Mapping) and isinstance(note.get("text"), str):
            lines.append(f"Note: {note['text']}")
    return lines


def narrative(resource: Mapping[str, Any]) -> dict[str, str]:
    """A generated R4 Narrative for one resource (escaped XHTML)."""
    body = "".join(f"<p>{escape(line, quote=False)}</p>" for line in _lines(resource))
    return {"status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def with_narrative(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource with `text` placed after `id` (resources that have one keep theirs)."""
    if "text" in resource or resource.get("resourceType") in ("Bundle", "Binary",
                                                              "Parameters"):
        return resource
    out: dict[str, Any] = {}
    for key, value in resource.items():
        out[key] = value
        if key == "id":
            out["text"] = narrative(resource)
    if "text" not in out:
        out["text"] = narrative(resource)
    return out
