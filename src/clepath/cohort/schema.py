"""Explicit column types for the FHIR R4 elements the screening views read.

NDJSON is never read with JSON schema auto-detection (its result depends on the rows sampled):
every resource type gets a fixed nested type built from this table, and the SQL-on-FHIR compiler
uses the same table to know which elements repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RESOURCES", "Node", "duckdb_type"]


@dataclass(frozen=True)
class Node:
    """One element: a scalar (DuckDB type), a struct (named children) or a list of a node."""

    kind: str  # scalar | struct | list
    type: str = ""
    fields: dict[str, Node] = field(default_factory=dict)
    item: Node | None = None


def _s(t: str) -> Node:
    return Node("scalar", t)


def _st(**fields: Node) -> Node:
    return Node("struct", fields=fields)


def _l(item: Node) -> Node:
    return Node("list", item=item)


V, D, INT, B = _s("VARCHAR"), _s("DOUBLE"), _s("BIGINT"), _s("BOOLEAN")
CODING = _st(system=V, code=V, display=V)
CC = _st(coding=_l(CODING), text=V)
REF = _st(reference=V)
QTY = _st(value=D, unit=V, system=V, code=V, comparator=V)
PERIOD = _st(start=V, end=V)
META = _st(lastUpdated=V)
DOSAGE = _st(
    text=V,
    timing=_st(repeat=_st(frequency=INT, period=D, periodUnit=V, boundsPeriod=PERIOD)),
    route=CC,
    doseAndRate=_l(_st(doseQuantity=QTY)),
)
_COMMON = {"resourceType": V, "id": V, "meta": META}

RESOURCES: dict[str, Node] = {
    "Patient": _st(**_COMMON, gender=V, birthDate=V, deceasedBoolean=B, deceasedDateTime=V),
    "Observation": _st(
        **_COMMON, status=V, category=_l(CC), code=CC, subject=REF, effectiveDateTime=V,
        effectivePeriod=PERIOD, valueQuantity=QTY, valueString=V, valueCodeableConcept=CC,
    ),
    "Condition": _st(
        **_COMMON, clinicalStatus=CC, verificationStatus=CC, code=CC, subject=REF,
        onsetDateTime=V,
    ),
    "MedicationRequest": _st(
        **_COMMON, status=V, intent=V, medicationCodeableConcept=CC, medicationReference=REF,
        subject=REF, authoredOn=V, dosageInstruction=_l(DOSAGE),
        dispenseRequest=_st(validityPeriod=PERIOD),
    ),
    "MedicationStatement": _st(
        **_COMMON, status=V, statusReason=_l(CC), medicationCodeableConcept=CC,
        medicationReference=REF, subject=REF, effectiveDateTime=V, effectivePeriod=PERIOD,
        dosage=_l(DOSAGE),
    ),
    "MedicationAdministration": _st(
        **_COMMON, status=V, medicationCodeableConcept=CC, medicationReference=REF,
        subject=REF, effectiveDateTime=V, effectivePeriod=PERIOD, request=REF,
        dosage=_st(route=CC, dose=QTY),
    ),
    "MedicationDispense": _st(
        **_COMMON, status=V, medicationCodeableConcept=CC, medicationReference=REF,
        subject=REF, whenPrepared=V, whenHandedOver=V, daysSupply=QTY,
        authorizingPrescription=_l(REF), dosageInstruction=_l(DOSAGE),
    ),
    "Medication": _st(**_COMMON, code=CC, form=CC),
    "Procedure": _st(**_COMMON, status=V, code=CC, subject=REF, performedDateTime=V),
    "Encounter": _st(**_COMMON, status=V, subject=REF, period=PERIOD),
}


def duckdb_type(node: Node) -> str:
    """The DuckDB type of an element (field names quoted: `end` is a keyword)."""
    if node.kind == "scalar":
        return node.type
    if node.kind == "list":
        assert node.item is not None
        return duckdb_type(node.item) + "[]"
    inner = ", ".join(f'"{name}" {duckdb_type(child)}' for name, child in node.fields.items())
    return f"STRUCT({inner})"


def duckdb_columns(resource: str) -> dict[str, str]:
    """The `columns` argument of DuckDB's read_json for one resource type."""
    return {name: duckdb_type(child) for name, child in RESOURCES[resource].fields.items()}


def spark_type(node: Node) -> str:
    """The Spark SQL type of an element."""
    if node.kind == "scalar":
        return {"VARCHAR": "STRING"}.get(node.type, node.type)
    if node.kind == "list":
        assert node.item is not None
        return f"ARRAY<{spark_type(node.item)}>"
    inner = ", ".join(f"`{name}`: {spark_type(child)}" for name, child in node.fields.items())
    return f"STRUCT<{inner}>"


def spark_schema(resource: str) -> str:
    """A Spark DDL schema string for one resource type."""
    return ", ".join(f"`{name}` {spark_type(child)}"
                     for name, child in RESOURCES[resource].fields.items())
