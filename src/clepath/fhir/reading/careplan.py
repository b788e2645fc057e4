"""Import of clepath's IVIG CarePlan (the course request) and ClinicalImpression (the date)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clepath.fhir import terminology as t
from clepath.fhir.reading.base import Reader, _day, _extension, _local


def read_care_plan(r: Reader, res: Mapping[str, Any], where: str, full_url: str | None) -> None:
    ext = _extension(res, "ivig-request")
    if ext is None:
        r.unmapped(where, res.get("category"), "a care plan clepath did not write")
        return
    for ref in (full_url, f"CarePlan/{res.get('id')}"):
        if ref:
            r.ivig_plans.add(ref)
    parts = {p.get("url"): p for p in ext.get("extension") or () if isinstance(p, Mapping)}
    request: dict[str, Any] = {}

    def dose(name: str) -> str | None:
        q = (parts.get(name) or {}).get("valueQuantity")
        return r.quantity_text(q)

    if (induction := dose("induction-dose")) is not None:
        request["induction"] = {"dose": induction}
        if isinstance((parts.get("induction-days") or {}).get("valueInteger"), int):
            request["induction"]["days"] = parts["induction-days"]["valueInteger"]
    if (maintenance := dose("maintenance-dose")) is not None:
        request["maintenance"] = {"dose": maintenance}
        every = r.quantity_text((parts.get("maintenance-every") or {}).get("valueDuration"))
        if every is not None:
            request["maintenance"]["every"] = every
        if isinstance((parts.get("maintenance-cycles") or {}).get("valueInteger"), int):
            request["maintenance"]["cycles"] = parts["maintenance-cycles"]["valueInteger"]
    for name, system in (("product", "ivig-product"), ("policy", "ivig-policy")):
        coding = (parts.get(name) or {}).get("valueCoding")
        if isinstance(coding, Mapping) and coding.get("system") == t.local_system(system):
            request[name] = coding.get("code")
    start = (parts.get("start") or {}).get("valueDate")
    if isinstance(start, str):
        request["start"] = start
    if "ivig" in r.requests:
        r.report.add("skipped", where, "a second IVIG request: the first one is kept")
        return
    r.requests["ivig"] = request


def read_impression(r: Reader, res: Mapping[str, Any], where: str) -> None:
    if _local(res.get("code"), "instrument") != "clepath-assessment":
        r.unmapped(where, res.get("code"), "a clinical impression clepath did not write")
        return
    day = _day(res.get("effectiveDateTime")) or _day(res.get("date"))
    if day is not None:
        r.impression_dates.append(day)
    for ident in res.get("identifier") or ():
        if isinstance(ident, Mapping) and ident.get("system") == t.CASE_ID_SYSTEM:
            r.case_ids.append(str(ident.get("value")))
