"""clepath's local CodeSystems and extension StructureDefinitions as FHIR R4 resources.

Exports use local codes (`https://clepath.org/fhir/CodeSystem/<name>`) where no standard code
exists, and a few extensions (`https://clepath.org/fhir/StructureDefinition/<name>`). A validator
can only check them when it can load their definitions; `definitions(kb)` writes one CodeSystem
per local system (its concepts taken from the knowledge packs' vocabularies where clepath has a
closed list, else `content: not-present`) and one StructureDefinition per extension
(`clepath fhir definitions` writes them to a folder, or as one Bundle).
"""

from __future__ import annotations

from typing import Any

from clepath import __version__
from clepath.fhir import terminology as t
from clepath.knowledge.base import KnowledgeBase

__all__ = ["CODE_SYSTEMS", "EXTENSIONS", "definitions", "definitions_bundle"]

# name -> (title, vocabulary whose ids are the codes, or None when the list is open)
CODE_SYSTEMS: dict[str, tuple[str, str | None]] = {
    "drug": ("Drugs of the clepath drugs pack", "drug"),
    "route": ("Routes of administration of the case format", "route"),
    "frequency": ("Dosing frequencies of the case format", "frequency"),
    "therapy-outcome": ("Outcomes of a therapy course", "outcome"),
    "condition": ("Patient conditions clepath's safety checks read", "condition"),
    "smoking": ("Smoking status words of the case format", "smoking"),
    "lab-test": ("Lab tests of the clepath labs pack", "lab_test"),
    "finding": ("Clinical findings of the clepath findings pack", "finding"),
    "cle-subtype": ("CLE subtypes of the clepath classification pack", "cle_subtype"),
    "clasi-region": ("CLASI anatomical regions", "clasi_region"),
    "ivig-product": ("IVIG products of the clepath IVIG pack", "ivig_product"),
    "ivig-policy": ("IVIG dosing-weight policies of the clepath IVIG pack", "ivig_policy"),
    "instrument": ("Scores and instruments clepath computes (no LOINC code exists)", None),
    "clasi-item": ("CLASI items (region.item) and totals", None),
    "patient-fact": ("Patient facts recorded as Observations (smoking, pregnancy, ...)", None),
    "sledai-2k-descriptor": ("SLEDAI-2K descriptors", None),
    "eular-acr-2019": ("2019 EULAR/ACR classification criteria", None),
    "eular-acr-2019-domain": ("2019 EULAR/ACR classification domains", None),
    "override-reason": ("Reasons a clinician overrides a clepath CDS card", None),
    "cds-rule": ("The rules behind clepath's CDS cards", None),
    "export": ("Tags of clepath exports", None),
}

# name -> (title, value type or None for a complex extension, contexts, sub-extension urls)
EXTENSIONS: dict[str, tuple[str, str | None, tuple[str, ...], tuple[str, ...]]] = {
    "attributed-to": ("What a finding or lab abnormality is attributed to (not lupus)",
                      "string", ("Observation",), ()),
    "age-at-assessment": ("Age in years at the assessment when no birth date is recorded",
                          "Age", ("Patient",), ()),
    "undated": ("A weight or height recorded without a date: the Observation carries the "
                "assessment date only because FHIR needs one; clepath reads it back as undated",
                "boolean", ("Observation",), ()),
    "dosing-weight": ("The body weight an IVIG dose was calculated from", "Quantity",
                      ("MedicationRequest", "CarePlan"), ()),
    "dose-per-kg": ("The dose per kg of dosing weight an order states", "Quantity",
                    ("MedicationRequest",), ()),
    "ivig-request": ("The IVIG course a case requests (clepath recomputes the plan from it)",
                     None, ("CarePlan",), ("induction-dose", "induction-days",
                                           "maintenance-dose", "maintenance-every",
                                           "maintenance-cycles", "product", "policy",
                                           "start")),
}


def _code_system(kb: KnowledgeBase, name: str, title: str, vocabulary: str | None
                 ) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "CodeSystem",
        "id": f"clepath-{name}",
        "url": t.local_system(name),
        "version": __version__,
        "name": "Clepath" + "".join(p.capitalize() for p in name.split("-")),
        "title": f"clepath: {title}",
        "status": "draft",
        "experimental": True,
        "publisher": "clepath",
        "description": f"{title}. A local CodeSystem of clepath (no standard code exists or "
                       "none was verified)"
                       + (f"; concepts from the knowledge packs' {vocabulary} vocabulary."
                          if vocabulary else "."),
        "caseSensitive": True,
    }
    if vocabulary is None:
        resource["content"] = "not-present"
    else:
        labels = kb.vocabulary(vocabulary).labels
        resource["content"] = "complete"
        resource["count"] = len(labels)
        resource["concept"] = [{"code": code, "display": labels[code]}
                               for code in sorted(labels)]
    resource["text"] = _div(f"<p>{_esc(resource['title'])}</p><p>{_esc(resource['url'])}</p>")
    return resource


def _structure_definition(name: str, title: str, value: str | None,
                          contexts: tuple[str, ...], parts: tuple[str, ...]) -> dict[str, Any]:
    url = t.extension_url(name)
    elements: list[dict[str, Any]] = [
        {"id": "Extension", "path": "Extension", "short": title, "definition": title},
        {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
    ]
    if value is None:
        elements.insert(1, {"id": "Extension.extension", "path": "Extension.extension",
                            "min": 1, "definition": "Parts: " + ", ".join(parts)})
        elements.append({"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"})
    else:
        elements.append({"id": "Extension.value[x]", "path": "Extension.value[x]", "min": 1,
                         "type": [{"code": value}]})
    return {
        "resourceType": "StructureDefinition",
        "id": f"clepath-{name}",
        "url": url,
        "version": __version__,
        "name": "Clepath" + "".join(p.capitalize() for p in name.split("-")),
        "title": f"clepath extension: {title}",
        "status": "draft",
        "experimental": True,
        "publisher": "clepath",
        "description": title,
        "fhirVersion": "4.0.1",
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": c} for c in contexts],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {"element": elements},
        "text": _div(f"<p>{_esc(title)}</p><p>{_esc(url)}</p>"),
    }


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _div(inner: str) -> dict[str, str]:
    return {"status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{inner}</div>'}


def definitions(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Every local CodeSystem and extension StructureDefinition clepath uses, as R4 JSON."""
    out = [_code_system(kb, name, title, vocab) for name, (title, vocab) in
           CODE_SYSTEMS.items()]
    out += [_structure_definition(name, *spec) for name, spec in EXTENSIONS.items()]
    return out


def definitions_bundle(kb: KnowledgeBase) -> dict[str, Any]:
    """The definitions as one `collection` Bundle (what a validator can load in one file)."""
    return {"resourceType": "Bundle", "id": "clepath-definitions", "type": "collection",
            "entry": [{"fullUrl": f"https://clepath.org/fhir/{r['resourceType']}/{r['id']}",
                       "resource": r} for r in definitions(kb)]}
