"""Import of Observations: vital signs, patient facts, findings, lab results and CLASI exams."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from clepath.domain.units import convert, is_convertible
from clepath.fhir import terminology as t
from clepath.fhir.reading.base import (
    _CLASI_GLOBALS,
    _REGION_ITEMS,
    Reader,
    _attributed,
    _codings,
    _effective,
    _extension,
    _first_code,
    _listify,
    _local,
    _notes,
    _texts,
)

_INSTRUMENT = t.local_system("instrument")
_PATIENT_FACT = t.local_system("patient-fact")
_FINDING = t.local_system("finding")
_LAB_TEST = t.local_system("lab-test")


def _local_codes(concept: Any) -> dict[str, str]:
    """{system: code} of the concept's codings, the first code given per system (what `_local`
    finds for each of clepath's systems), read once per Observation."""
    found: dict[str, str] = {}
    for c in _codings(concept):
        system, code = c.get("system"), c.get("code")
        if isinstance(system, str) and isinstance(code, str) and system not in found:
            found[system] = code
    return found


def read_observation(r: Reader, res: Mapping[str, Any], where: str) -> None:
    code = res.get("code")
    status = res.get("status")
    if status in ("entered-in-error", "cancelled"):
        system, value, display = _first_code(code)
        r.report.add("skipped", where, f"status {status}", system=system, code=value,
                     display=display)
        return
    local = _local_codes(code)
    instrument = local.get(_INSTRUMENT)
    if instrument == "clasi":
        _clasi(r, res, where)
        return
    if instrument is not None:
        r.report.add("derived", where, "a score: clepath recomputes it from the facts",
                     system=t.local_system("instrument"), code=instrument)
        return
    loinc = {c.get("code") for c in _codings(code) if c.get("system") == t.LOINC}
    body = [r.body[c] for c in sorted(loinc) if c in r.body]
    if body:
        row = min(body, key=lambda b: b.reading != "measured")  # a measured code first
        if row.reading != "measured":
            r.report.add("skipped", where, f"a {row.reading} {row.measure}, not a measurement: "
                         "not used for dosing", system=t.LOINC, code=row.code,
                         display=row.display)
            return
        _vital(r, res, where, row.measure, "kg" if row.measure == "weight" else "cm")
        return
    fact = local.get(_PATIENT_FACT)
    if fact is not None:
        _patient_fact(r, res, where, fact)
        return
    finding = local.get(_FINDING)
    if finding is not None:
        _finding(r, res, where, finding)
        return
    test = local.get(_LAB_TEST) or next((r.loinc[c] for c in loinc if c in r.loinc), None)
    how = None
    if test is None:
        test = r.by_name("lab_test", code)
        how = "lab test matched by name"
    if test is not None:
        _lab(r, res, where, test, how)
        return
    name = r.by_name("finding", code) if _category(res, "exam") else None
    if name is not None:
        r.report.add("inferred", where, "finding matched by name")
        _finding(r, res, where, name)
        return
    r.unmapped(where, code, "no clepath concept for this code")


def _category(res: Mapping[str, Any], wanted: str) -> bool:
    return any(c.get("code") == wanted for cat in res.get("category") or ()
               for c in _codings(cat))


def _vital(r: Reader, res: Mapping[str, Any], where: str, kind: str, unit: str) -> None:
    q = res.get("valueQuantity")
    day = _effective(res)
    source_unit = r.quantity_unit(q) if isinstance(q, Mapping) else None
    if (not isinstance(q, Mapping) or not isinstance(q.get("value"), (int, float))
            or source_unit is None or not is_convertible(source_unit, unit)):
        r.unmapped(where, res.get("code"), f"{kind} without a value in a convertible unit")
        return
    value = convert(float(q["value"]), source_unit, unit)
    undated = (_extension(res, "undated") or {}).get("valueBoolean") is True
    r.vitals[kind].append((dt.date.min if undated or day is None else day, value, where))


def _patient_fact(r: Reader, res: Mapping[str, Any], where: str, fact: str) -> None:
    if fact == "smoking":
        status = _local(res.get("valueCodeableConcept"), "smoking") or r.by_name(
            "smoking", res.get("valueCodeableConcept"))
        if status is not None:
            r.patient["smoking"] = status
            return
    elif fact == "pregnant" and isinstance(res.get("valueBoolean"), bool):
        r.patient["pregnant"] = res["valueBoolean"]
        return
    elif fact == "blood-group" and isinstance(res.get("valueString"), str):
        r.patient["blood_group"] = res["valueString"]
        return
    elif fact == "pre-pregnancy-weight":
        text = r.quantity_text(res.get("valueQuantity"))
        if text is not None:
            r.patient["pre_pregnancy_weight"] = text
            return
    r.unmapped(where, res.get("code"), f"patient fact {fact!r} without a readable value")


def _finding(r: Reader, res: Mapping[str, Any], where: str, name: str) -> None:
    day = _effective(res)
    if day is None:
        r.report.add("skipped", where, "finding without a full date", code=name)
        return
    if res.get("valueBoolean") is False:
        r.report.add("skipped", where, "recorded as absent: clepath records findings present",
                     code=name)
        return
    item: dict[str, Any] = {"name": name, "date": day.isoformat()}
    q = res.get("valueQuantity")
    if isinstance(q, Mapping):
        unit = r.quantity_unit(q)
        if unit == "1" and isinstance(q.get("value"), (int, float)):
            item["value"] = q["value"]
        elif (text := r.quantity_text(q)) is not None:
            item["value"] = text
        else:
            r.report.add("skipped", f"{where}.valueQuantity", "value without a readable unit",
                         code=name)
    if (cause := _attributed(res)) is not None:
        item["attributed_to"] = cause
    if (note := _notes(res)) is not None:
        item["note"] = note
    r.add("findings", item, where)


def _result_word(r: Reader, res: Mapping[str, Any]) -> str | None:
    for concept in _listify(res.get("interpretation")):
        for c in _codings(concept):
            if c.get("system") == t.INTERPRETATION and c.get("code") in t.RESULT_BY_INTERPRETATION:
                return t.RESULT_BY_INTERPRETATION[c["code"]]
        for text in _texts(concept):
            if text.strip().lower() in t.INTERPRETATION_BY_RESULT:
                return text.strip().lower()
    value = res.get("valueCodeableConcept")
    for text in [*_texts(value), res.get("valueString")]:
        if isinstance(text, str) and text.strip().lower() in t.INTERPRETATION_BY_RESULT:
            return text.strip().lower()
    for c in _codings(value):
        if c.get("system") == t.INTERPRETATION and c.get("code") in t.RESULT_BY_INTERPRETATION:
            return t.RESULT_BY_INTERPRETATION[c["code"]]
    return None


def _titre(res: Mapping[str, Any]) -> str | None:
    ratio = res.get("valueRatio")
    if isinstance(ratio, Mapping):
        num = (ratio.get("numerator") or {}).get("value")
        den = (ratio.get("denominator") or {}).get("value")
        if num == 1 and isinstance(den, (int, float)) and den > 0 and float(den).is_integer():
            return f"1:{int(den)}"
    text = res.get("valueString")
    if isinstance(text, str) and re.fullmatch(r"\s*1\s*:\s*\d+\s*", text):
        return text.replace(" ", "")
    return None


def _bounds(r: Reader, res: Mapping[str, Any], unit: str | None, item: dict[str, Any],
            where: str) -> None:
    ranges = [x for x in res.get("referenceRange") or () if isinstance(x, Mapping)]
    if not ranges or unit is None:
        return
    for key, name in (("low", "lower"), ("high", "upper")):
        q = ranges[0].get(key)
        if not isinstance(q, Mapping) or not isinstance(q.get("value"), (int, float)):
            continue
        source = r.quantity_unit(q) or unit
        if is_convertible(source, unit):
            item[name] = convert(float(q["value"]), source, unit)
        else:
            r.report.add("skipped", f"{where}.referenceRange.{key}",
                         f"unit {source} is not convertible to {unit}")


def _lab(r: Reader, res: Mapping[str, Any], where: str, test: str, how: str | None) -> None:
    info = r.tests[test]
    day = _effective(res)
    if day is None:
        r.report.add("skipped", where, "lab result without a full date", code=test)
        return
    item: dict[str, Any] = {"test": test, "date": day.isoformat()}
    unit: str | None = None
    if info.kind == "titre":
        titre = _titre(res)
        if titre is not None:
            item["value"] = titre
    elif info.kind == "numeric":
        q = res.get("valueQuantity")
        if isinstance(q, Mapping) and isinstance(q.get("value"), (int, float)):
            unit = r.quantity_unit(q)
            if q.get("comparator"):
                r.report.add("skipped", f"{where}.valueQuantity",
                             f"censored value ({q['comparator']}{q['value']}) not read as a "
                             "number", code=test)
            elif unit is not None:
                item["value"], item["unit"] = q["value"], unit
    result = _result_word(r, res)
    if result is not None:
        item["result"] = result
    if "value" not in item and "result" not in item:
        r.unmapped(where, res.get("code"), f"{test}: no value or result clepath can read")
        return
    _bounds(r, res, item.get("unit"), item, where)
    if (cause := _attributed(res)) is not None:
        item["attributed_to"] = cause
    if how:
        r.report.add("inferred", where, how, code=test)
    r.add("labs", item, where)


def _clasi(r: Reader, res: Mapping[str, Any], where: str) -> None:
    day = _effective(res)
    if day is None:
        r.report.add("skipped", where, "CLASI examination without a full date")
        return
    exam: dict[str, Any] = {"date": day.isoformat()}
    regions: dict[str, dict[str, int]] = {}
    for comp in res.get("component") or ():
        if type(comp) is not dict and not isinstance(comp, Mapping):
            continue
        code = _local(comp.get("code"), "clasi-item")
        value = comp.get("valueInteger", comp.get("valueBoolean"))
        if code in ("activity", "damage"):
            continue  # totals: recomputed
        if code == "dyspigmentation_lasts_12_months" and isinstance(value, bool):
            exam[code] = value
        elif code in _CLASI_GLOBALS and isinstance(value, int):
            exam[code] = value
        elif code and "." in code and isinstance(value, int):
            region, _, item = code.partition(".")
            if item in _REGION_ITEMS:
                regions.setdefault(region, {})[item] = value
            else:
                r.unmapped(f"{where}.component", comp.get("code"), "unknown CLASI item")
        else:
            r.unmapped(f"{where}.component", comp.get("code"), "unknown CLASI item")
    exam["regions"] = {region: {k: v for k, v in items.items()} for region, items in
                       regions.items()}
    r.report.add("derived", where, "CLASI-A and CLASI-D are recomputed from the items",
                 system=t.local_system("instrument"), code="clasi")
    r.add("clasi", exam, where)
