"""Import of MedicationStatement and MedicationRequest: the drug by the one medication recogniser,
route from the dose form, dose from tablets x strength, frequency, dates and outcome."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clepath.domain.dates import parse_partial_date
from clepath.domain.units import is_convertible
from clepath.fhir.medication import Recognised, derive_dose
from clepath.fhir.reading.base import (
    _MR_OUTCOME,
    _MS_OUTCOME,
    _PERIOD_DAYS,
    Reader,
    _listify,
    _local,
    _notes,
    _num,
    _partial_text,
)


def _dosage(res: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    dosages = [d for d in _listify(res.get(key)) if isinstance(d, Mapping)]
    return dosages[0] if dosages else {}


def _per_week(repeat: Mapping[str, Any]) -> float | None:
    frequency = repeat.get("frequency", 1)
    period, unit = repeat.get("period"), repeat.get("periodUnit")
    if not isinstance(frequency, (int, float)) or not isinstance(period, (int, float)):
        return None
    if unit not in _PERIOD_DAYS or period <= 0:
        return None
    return float(frequency) * 7.0 / (float(period) * _PERIOD_DAYS[unit])


def _frequency(r: Reader, dosage: Mapping[str, Any], where: str) -> str | None:
    timing = dosage.get("timing")
    if not isinstance(timing, Mapping):
        return None
    local = _local(timing.get("code"), "frequency")
    if local is not None:
        return local
    repeat = timing.get("repeat")
    per_week = _per_week(repeat) if isinstance(repeat, Mapping) else None
    if per_week is None:
        return None
    found = r.frequency_for(per_week)
    if found is not None:
        return found
    r.report.add("skipped", f"{where}.timing", f"{per_week:.3g} doses a week matches no "
                 "frequency in the vocabulary; left out")
    return None


def read_medication(r: Reader, res: Mapping[str, Any], where: str) -> None:
    kind = res["resourceType"]
    if kind == "MedicationRequest":
        if any(isinstance(b, Mapping) and b.get("reference") in r.ivig_plans
               for b in res.get("basedOn") or ()):
            r.report.add("derived", where, "an IVIG course planned by clepath: recomputed from "
                         "the request")
            return
        if res.get("status") == "draft":
            r.report.add("skipped", where, "a draft order is not therapy history")
            return
    # a bare string is not a CodeableConcept: named as malformed by the importer's shape check,
    # never read as a drug name
    found, why = r.recognise(res, where)
    if found is None:
        concept = res.get("medicationCodeableConcept") or res.get("medicationReference")
        r.unmapped(where, concept, f"{why}: not in the drug pack or the terminology pack")
        return
    drug = found.drug
    status = res.get("status")
    outcome = _local((res.get("statusReason") or [None])[0] if isinstance(
        res.get("statusReason"), list) else res.get("statusReason"), "therapy-outcome")
    if outcome is None:
        table = _MS_OUTCOME if kind == "MedicationStatement" else _MR_OUTCOME
        outcome = table.get(str(status))
        if outcome is None:
            r.report.add("skipped", where, f"status {status!r} is not a course taken",
                         code=drug)
            return
        r.report.add("inferred", where, f"outcome {outcome!r} inferred from status {status!r}",
                     code=drug)
    if found.by_name:
        r.report.add("inferred", where, f"drug {drug!r} matched by name",
                     system=found.system, code=found.code, display=found.display)
    elif found.how.startswith("RxNorm"):
        r.report.add("inferred", where, f"drug {drug!r} read from {found.how}",
                     system=found.system, code=found.code, display=found.display)
    for note in found.notes:
        r.report.add("inferred", where, note, code=drug)
    dosage = _dosage(res, "dosage" if kind == "MedicationStatement" else "dosageInstruction")
    item: dict[str, Any] = {"drug": drug}
    _course_dose(r, found, dosage, item, where)
    frequency = _frequency(r, dosage, where)
    if frequency is not None:
        item["frequency"] = frequency
    if found.route is not None:
        item["route"] = found.route
        if found.route_from == "dose form":
            r.report.add("inferred", where, f"route {found.route!r} from the dose form",
                         code=drug)
    start, stop = _course_dates(res, dosage)
    if start:
        item["start"] = start
    if stop:
        if outcome == "ongoing":
            stop_day = parse_partial_date(stop)
            if r.as_of is not None and stop_day is not None and stop_day.latest > r.as_of:
                stop = None  # a planned end after the assessment date: still ongoing
            else:
                outcome = "stopped"
                r.report.add("inferred", where, "active but ended: outcome 'stopped'",
                             code=drug)
        if stop:
            item["stop"] = stop
    item["outcome"] = outcome
    if (note := _notes(res)) is not None:
        item["note"] = note
    r.add("therapies", item, where)


def _course_dose(r: Reader, found: Recognised, dosage: Mapping[str, Any],
                 item: dict[str, Any], where: str) -> None:
    """The dose per administration: a mass as given, or tablets x strength; else reported."""
    dose_and_rate = [d for d in _listify(dosage.get("doseAndRate")) if isinstance(d, Mapping)]
    q = dose_and_rate[0].get("doseQuantity") if dose_and_rate else None
    if q is None:
        if found.route != "topical":
            r.report.add("skipped", f"{where}.dose", "no dose given: the course is recorded "
                         "without a dose", code=found.drug)
        return
    unit = "g" if found.drug == "intravenous immunoglobulin" else "mg"
    text = r.quantity_text(q) if isinstance(q, Mapping) and (q.get("code") or q.get(
        "unit")) else None
    if text is not None:
        code = text.split(" ", 1)[1]
        if is_convertible(code, unit) or found.route == "topical":
            item["dose"] = text
            return
    amount, how = derive_dose(q, found, unit)
    if amount is not None:
        item["dose"] = f"{_num(round(amount, 6))} {unit}"
        if how:
            r.report.add("inferred", f"{where}.dose", f"dose {item['dose']} = {how}",
                         code=found.drug)
        return
    if text is not None:
        item["dose"] = text
        return
    r.report.add("skipped", f"{where}.dose", f"no dose derived: {how}", code=found.drug)


def _course_dates(res: Mapping[str, Any], dosage: Mapping[str, Any]) -> tuple[str | None,
                                                                                str | None]:
    period = res.get("effectivePeriod")
    if not isinstance(period, Mapping):
        period = (res.get("dispenseRequest") or {}).get("validityPeriod")
    if not isinstance(period, Mapping):
        repeat = (dosage.get("timing") or {}).get("repeat") or {}
        period = repeat.get("boundsPeriod") if isinstance(repeat, Mapping) else None
    start = stop = None
    if isinstance(period, Mapping):
        start, stop = _partial_text(period.get("start")), _partial_text(period.get("end"))
    if start is None:
        start = _partial_text(res.get("effectiveDateTime")) or _partial_text(
            res.get("authoredOn"))
    return start, stop
