"""Import of the Patient resource and of the latest weight and height."""

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


def latest_vital(r: Reader, kind: str, as_of: dt.date | None) -> float | None:
    usable = [v for v in r.vitals[kind] if as_of is None or v[0] <= as_of]
    late = len(r.vitals[kind]) - len(usable)
    if late:
        r.report.add("skipped", f"patient.{kind}", f"{late} {kind} value(s) dated after as_of")
    if not usable:
        return None
    usable.sort(key=lambda v: v[0])
    if len(usable) > 1:
        r.report.add("skipped", f"patient.{kind}",
                     f"{len(usable) - 1} earlier {kind} value(s): the latest is used")
    return usable[-1][1]
