"""Row models of the `screening` pack: RxNorm products, population rules and SQL-on-FHIR views."""

from __future__ import annotations

from typing import Any

from clepath.knowledge.base import Row

__all__ = ["RxNormProduct", "ScreenRule", "ViewRow"]


class RxNormProduct(Row):
    """An RxNorm clinical drug (SCD): the clepath drug it contains and its strength per unit."""

    id: str  # the RxCUI
    name: str
    drug: str  # a drug id of the drugs pack
    strength_mg: float
    unit_form: str  # what one unit of a unitless dose is (tablet)


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
