"""Import of the Patient resource and of the weight and height history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from clepath.fhir import terminology as t
from clepath.fhir.reading.base import _IDENTIFYING, Reader, _day, _extension


def read_patient(r: Reader, res: Mapping[str, Any], where: str) -> None:
    for ident in res.get("identifier") or ():
        if isinstance(ident, Mapping) and ident.get("system") == t.CASE_ID_SYSTEM:
            r.case_ids.insert(0, str(ident.get("value")))
    if isinstance(res.get("id"), str):
        r.case_ids.append(res["id"])
    gender = res.get("gender")
    if gender in ("female", "male"):
        r.patient["sex"] = gender
    elif gender is not None:
        r.report.add("unmapped", f"{where}.gender", "clepath records sex as female or male",
                     code=str(gender))
    birth = res.get("birthDate")
    if isinstance(birth, str):
        if _day(birth) is not None:
            r.patient["birth_date"] = birth[:10]
        else:
            r.report.add("skipped", f"{where}.birthDate",
                         f"{birth!r} is not a full date; age not derived from it")
    age = _extension(res, "age-at-assessment")
    if age is not None and isinstance((age.get("valueAge") or {}).get("value"), (int, float)):
        r.patient["age"] = int(age["valueAge"]["value"])
    present = [k for k in _IDENTIFYING if res.get(k)]
    if present:
        r.report.add("skipped", where, "identifying details are never read: "
                     + ", ".join(present))


def body_history(r: Reader, kind: str, as_of: dt.date | None) -> float | None:
    """Every dated weight (height) becomes a `measurements` item, as history: the core uses
    the latest on or before the day it needs (as_of, an IVIG plan's start). An undated value
    is returned (the latest read) only when no dated one exists, and becomes the undated
    `patient.weight`; otherwise it is reported and left out."""
    dated = sorted((v for v in r.vitals[kind] if v[0] != dt.date.min), key=lambda v: v[0])
    undated = [v for v in r.vitals[kind] if v[0] == dt.date.min]
    for day, value, where in dated:
        r.add("measurements", {"name": kind, "date": day.isoformat(),
                               "value": {"value": value, "unit": _UNITS[kind]}}, where)
    late = sum(1 for v in dated if as_of is not None and v[0] > as_of)
    if late:
        r.report.add("inferred", f"measurements ({kind})",
                     f"{late} {kind} value(s) dated after as_of: kept as history, not used "
                     "until a plan or assessment date reaches them")
    if not undated:
        return None
    if dated:
        for _, _, where in undated:
            r.report.add("skipped", where, f"an undated {kind} beside dated ones: not used")
        return None
    if len(undated) > 1:
        r.report.add("skipped", f"patient.{kind}",
                     f"{len(undated) - 1} other undated {kind} value(s): the last read is used")
    return undated[-1][1]


_UNITS = {"weight": "kg", "height": "cm"}
