"""Row models of the `screening` pack: population rules and SQL-on-FHIR views (RxNorm products
are in the terminology pack, read through `clepath.fhir.medication`)."""

from __future__ import annotations

from typing import Any

from clepath.knowledge.base import Row

__all__ = ["ScreenRule", "ViewRow"]


class ScreenRule(Row):
    """A population screening rule: what it flags and the parameters it reads."""

    id: str
    title: str
    definition: str
    alert: str | None = None  # the assessment alert that confirms it, when one exists
    parameters: tuple[str, ...] = ()


class ViewRow(Row):
    """A SQL-on-FHIR v2 ViewDefinition (the JSON object, kept as a mapping)."""

    id: str
    view: dict[str, Any]
