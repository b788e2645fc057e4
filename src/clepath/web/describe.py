"""One observation named in a few clinical words, for the confirmations that say what was saved
or removed (issue 12): "the finding photosensitivity of 2019-05-01"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clepath.domain.display import fmt

__all__ = ["describe"]

_NOUNS = {
    "findings": "the finding", "labs": "the lab result", "diagnoses": "the diagnosis",
    "cle": "the diagnosis",
    "therapies": "the therapy course", "clasi": "the CLASI examination",
}
_NAMES = ("name", "test", "drug", "subtype")
_DATES = ("date", "start", "since")


def _in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "Fever" -> "fever", "Anti-Ro/SSA antibodies" ->
    "anti-Ro/SSA antibodies"; an acronym ("SCLE", "CLASI") keeps its capitals."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def describe(item: Any, kind: str, labels: Mapping[str, str] | None = None) -> str:
    """`the <noun> <name> of <date>` from whichever of the item's fields exist, the name by its
    label in the packs where `labels` has it ("the lab result Anti-Ro/SSA antibodies of
    2021-10-04"); a weight or height reads `the weight 60.0 kg of 2019-05-28`."""
    if kind == "measurements":
        value = fmt(item.value, "kg" if item.name == "weight" else "cm")
        return f"the {item.name} {value} of {item.date.isoformat()}"
    noun = _NOUNS.get(kind, "the item")
    name = next((getattr(item, a) for a in _NAMES if getattr(item, a, None)), None)
    date = next((getattr(item, a) for a in _DATES if getattr(item, a, None)), None)
    text = noun
    if name:
        text += " " + _in_sentence((labels or {}).get(str(name)) or str(name).replace("_", " "))
    if date:
        shown = date.isoformat() if hasattr(date, "isoformat") else str(date)
        text += f" of {shown}"
    return text
