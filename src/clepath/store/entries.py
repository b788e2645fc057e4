"""Checking one entry (a lab, a CLASI exam, the patient section) with the case-file parser.

Every write to the store, from a form, the JSON API or an imported file, is checked by
`clepath.casefile.parse_case`: an entry is wrapped in the smallest case that holds it and
parsed, so a form accepts exactly what a case file accepts and says so in the same words.
Problems come back with field names relative to the entry (`value`, `regions.chest.erythema`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from clepath.casefile import parse_case
from clepath.domain.case import Case, IvigRequest, Measurement, Patient
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase

__all__ = ["KINDS", "parse_item", "parse_ivig", "parse_patient"]

# Observation kinds: the case-file section each is written in.
KINDS = ("cle", "findings", "labs", "clasi", "therapies", "measurements")
_PLACEHOLDER_ID = "entry"


def _relative(problem: FieldProblem, prefix: str) -> FieldProblem:
    name = problem.field
    if name == prefix:
        name = ""
    elif name.startswith(prefix + "."):
        name = name[len(prefix) + 1 :]
    return replace(problem, field=name)


def _parse(data: dict[str, Any], kb: KnowledgeBase, prefix: str) -> Case:
    try:
        return parse_case(data, kb)
    except CaseError as exc:
        raise CaseError([_relative(p, prefix) for p in exc.problems]) from None


def parse_item(kind: str, entry: Any, *, as_of: dt.date, kb: KnowledgeBase) -> Any:
    """One observation (`kind` is a case-file section) checked and built as a domain object.

    Raises:
        CaseError: every problem, with field names relative to the entry.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown observation kind {kind!r}")
    if not isinstance(entry, Mapping):
        raise CaseError(FieldProblem("", entry, "must be a mapping of fields", "an object"))
    data = {"clepath": 1, "id": _PLACEHOLDER_ID, "as_of": as_of, kind: [dict(entry)]}
    items = getattr(_parse(data, kb, f"{kind}[0]"), kind)
    if not items:
        raise CaseError(FieldProblem("", dict(entry), "is empty", "the fields of one entry"))
    return items[0]


def parse_patient(
    as_of: Any, patient: Any, kb: KnowledgeBase, measurements: Any = ()
) -> tuple[dt.date, Patient, tuple[Measurement, ...]]:
    """The assessment date, the `patient` section and any new dated weights or heights,
    checked together (age needs as_of).

    Raises:
        CaseError: field names `as_of`, `patient.<field>` and `measurements[i].<field>`.
    """
    data = {"clepath": 1, "id": _PLACEHOLDER_ID, "as_of": as_of, "patient": patient}
    if measurements:
        data["measurements"] = measurements
    case = _parse(data, kb, "")
    return case.as_of, case.patient, case.measurements


def parse_ivig(entry: Any, *, as_of: dt.date, kb: KnowledgeBase) -> IvigRequest:
    """`requests.ivig` checked and built.

    Raises:
        CaseError: field names relative to the request (`induction.dose`).
    """
    data = {"clepath": 1, "id": _PLACEHOLDER_ID, "as_of": as_of, "requests": {"ivig": entry}}
    request = _parse(data, kb, "requests.ivig").ivig_request
    if request is None:
        raise CaseError(FieldProblem("", entry, "is empty", "induction and/or maintenance"))
    return request
