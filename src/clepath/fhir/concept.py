"""The walk over a FHIR CodeableConcept shared by the importer and the medication recogniser.

A CodeableConcept is a JSON object with `coding` (a list of Coding objects) and `text`. Anything
else given where a concept belongs (a bare string such as `"medicationCodeableConcept":
"Plaquenil"`, a number) names no code and no text: it is never read as a drug or diagnosis
name. The callers report such an element as malformed, with its path, the value and the
accepted form (`clepath.fhir.shape`), instead of guessing from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["codings", "texts"]


def codings(concept: Any) -> list[Mapping[str, Any]]:
    """The Coding objects of a CodeableConcept (none when it is not an object)."""
    if type(concept) is not dict and not isinstance(concept, Mapping):
        return []
    found = concept.get("coding")
    if not found or isinstance(found, (str, bytes)):
        return []
    # a `coding` of the wrong JSON type (a number) raises TypeError here: the importer's shape
    # check then names the element instead of the resource being read as uncoded
    return [c for c in found if type(c) is dict or isinstance(c, Mapping)]


def texts(concept: Any) -> list[str]:
    """The words of a CodeableConcept: its `text`, then each coding's `display`.

    A bare string is not a CodeableConcept and yields nothing (see the module note)."""
    if type(concept) is not dict and not isinstance(concept, Mapping):
        return []
    out: list[str] = []
    if isinstance(concept.get("text"), str):
        out.append(concept["text"])
    out += [c["display"] for c in codings(concept) if isinstance(c.get("display"), str)]
    return out
