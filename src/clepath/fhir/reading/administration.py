"""Import of MedicationAdministration and MedicationDispense: what was actually given or handed
over, grouped into courses.

An infusion centre records each IVIG or rituximab infusion as one MedicationAdministration; a
pharmacy records each fill as one MedicationDispense. Neither is a course by itself. Each event is
read through the one medication recogniser (drug, route, strength) and its dose per
administration (`dosage.dose`, tablets x strength, mL x concentration); then, at the end of the
import, the events of one drug and route become one course:

- dates: the first and the last administration (a dispense: the first hand-over, and the last
  hand-over plus its days' supply);
- IVIG: administrations within `ivig.induction_days_max` days of a cycle's first infusion form
  one cycle (labels divide a cycle over 2 to 5 days); the course dose is grams per cycle (the
  largest cycle when they differ, all cycles listed in the course note), the frequency comes from
  the interval between cycle starts;
- other drugs: the dose per administration (the largest when they differ, listed), the
  frequency from the interval between administration days;
- outcome: `ongoing` when the last event lies within one interval of the assessment date, else
  `stopped` at the last event — an inference, stated.

Events given under a MedicationRequest (`request`, `authorizingPrescription`) whose course was
already read from that order are not counted twice: they are accounted to that course. Status
`not-done` and `entered-in-error` (and a dispense not handed over) are skipped with the reason.
The infusion rate (`dosage.rate[x]`) is not read and the report says so. Every event gets one
outcome in the report, naming the course it went into.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clepath.domain.display import fmt
from clepath.fhir.medication import Recognised, derive_dose
from clepath.fhir.reading.base import Reader, _day, _listify, _notes, _num

__all__ = ["finish_events", "read_administration", "read_dispense"]

IVIG = "intravenous immunoglobulin"

_ADMIN_SKIP = {
    "not-done": "status 'not-done': the administration was not given",
    "entered-in-error": "status 'entered-in-error': recorded in error",
    "on-hold": "status 'on-hold': not known to have been given",
    "unknown": "status 'unknown': not known to have been given",
}
_ADMIN_GIVEN = ("completed", "in-progress", "stopped")
_DISPENSE_SKIP = {
    "entered-in-error": "status 'entered-in-error': recorded in error",
    "cancelled": "status 'cancelled': not handed over",
    "declined": "status 'declined': not handed over",
    "preparation": "status 'preparation': not yet handed over",
    "in-progress": "status 'in-progress': not yet handed over",
    "on-hold": "status 'on-hold': not handed over",
    "stopped": "status 'stopped': not handed over",
    "unknown": "status 'unknown': not known to have been handed over",
}


@dataclass
class Event:
    """One administration or dispense of a recognised drug, waiting to be grouped."""

    where: str
    kind: str  # MedicationAdministration | MedicationDispense
    found: Recognised
    day: dt.date
    amount: float | None  # per administration, in `unit`
    unit: str
    supply_days: float | None = None  # dispense: daysSupply
    frequency: str | None = None  # dispense: from its dosage instruction
    product: str = ""
    request: str | None = None
    note: str | None = None


def _unit(found: Recognised) -> str:
    return "g" if found.drug == IVIG else "mg"


def _recognise(r: Reader, res: Mapping[str, Any], where: str) -> Recognised | None:
    found, why = r.recognise(res, where)
    if found is None:
        concept = res.get("medicationCodeableConcept")
        r.unmapped(where, concept or res.get("medicationReference"),
                   f"{why}: not in the drug pack or the terminology pack")
        r.report.account(where, "unmapped", f"{why}: not in the drug pack or the terminology "
                         "pack")
        return None
    return found


def _skip(r: Reader, where: str, reason: str, drug: str | None = None) -> None:
    r.report.add("skipped", where, reason, code=drug)
    r.report.account(where, "skipped", reason)


def _reference(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("reference"), str):
        return str(value["reference"])
    return None


def _product(found: Recognised, res: Mapping[str, Any]) -> str:
    concept = res.get("medicationCodeableConcept")
    if isinstance(concept, Mapping) and isinstance(concept.get("text"), str):
        return str(concept["text"])
    ref = res.get("medicationReference")
    if isinstance(ref, Mapping) and isinstance(ref.get("display"), str):
        return str(ref["display"])
    return found.display or found.drug


def read_administration(r: Reader, res: Mapping[str, Any], where: str) -> None:
    """Read one MedicationAdministration into a pending event (grouped by `finish_events`)."""
    status = res.get("status")
    if status in _ADMIN_SKIP:
        _skip(r, where, _ADMIN_SKIP[str(status)])
        return
    found = _recognise(r, res, where)
    if found is None:
        return
    if status not in _ADMIN_GIVEN:
        _skip(r, where, f"status {status!r} is not an administration given", found.drug)
        return
    day = _day(res.get("effectiveDateTime"))
    period = res.get("effectivePeriod")
    if day is None and isinstance(period, Mapping):
        day = _day(period.get("start")) or _day(period.get("end"))
    if day is None:
        _skip(r, where, "an administration without a date cannot be placed in a course",
              found.drug)
        return
    dosage = res.get("dosage") if isinstance(res.get("dosage"), Mapping) else {}
    unit = _unit(found)
    amount = None
    if dosage.get("dose") is not None:
        amount, how = derive_dose(dosage.get("dose"), found, unit)
        if amount is None:
            r.report.add("skipped", f"{where}.dosage.dose", f"no dose derived: {how}",
                         code=found.drug)
        elif how:
            r.report.add("inferred", f"{where}.dosage.dose",
                         f"dose {_num(round(amount, 6))} {unit} = {how}", code=found.drug)
    elif found.route != "topical":
        r.report.add("skipped", f"{where}.dosage.dose", "no dose given: the administration "
                     "counts without a dose", code=found.drug)
    if any(k in dosage for k in ("rateRatio", "rateQuantity")):
        r.report.add("skipped", f"{where}.dosage.rate", "infusion rate not read (clepath "
                     "records the dose per administration, not the rate)", code=found.drug)
    if status == "stopped":
        r.report.add("inferred", where, "status 'stopped': given in part; the dose is as "
                     "recorded", code=found.drug)
    r.events.append(Event(where, "MedicationAdministration", found, day, amount, unit,
                          product=_product(found, res), request=_reference(res.get("request")),
                          note=_notes(res)))


def read_dispense(r: Reader, res: Mapping[str, Any], where: str) -> None:
    """Read one MedicationDispense into a pending event (grouped by `finish_events`)."""
    from clepath.fhir.reading.therapy import _dosage, _frequency

    status = res.get("status")
    if status in _DISPENSE_SKIP:
        _skip(r, where, _DISPENSE_SKIP[str(status)])
        return
    found = _recognise(r, res, where)
    if found is None:
        return
    if status != "completed":
        _skip(r, where, f"status {status!r} is not a completed dispense", found.drug)
        return
    day = _day(res.get("whenHandedOver")) or _day(res.get("whenPrepared"))
    if day is None:
        _skip(r, where, "a dispense without a hand-over date cannot be placed in a course",
              found.drug)
        return
    dosage = _dosage(res, "dosageInstruction")
    unit = _unit(found)
    amount = None
    dose_and_rate = [d for d in _listify(dosage.get("doseAndRate")) if isinstance(d, Mapping)]
    q = dose_and_rate[0].get("doseQuantity") if dose_and_rate else None
    if q is not None:
        amount, how = derive_dose(q, found, unit)
        if amount is None:
            r.report.add("skipped", f"{where}.dose", f"no dose derived: {how}", code=found.drug)
        elif how:
            r.report.add("inferred", f"{where}.dose",
                         f"dose {_num(round(amount, 6))} {unit} = {how}", code=found.drug)
    elif found.route != "topical":
        r.report.add("skipped", f"{where}.dose", "no dose instruction: the dispense counts "
                     "without a dose", code=found.drug)
    supply = res.get("daysSupply")
    days = float(supply["value"]) if isinstance(supply, Mapping) and isinstance(
        supply.get("value"), (int, float)) and supply["value"] > 0 else None
    if days is not None:
        try:
            day + dt.timedelta(days=int(days))
        except (OverflowError, ValueError):
            r.report.add("skipped", f"{where}.daysSupply", f"{_num(days)} days' supply runs "
                         "past the calendar: not read", code=found.drug)
            days = None
    prescriptions = [_reference(p) for p in _listify(res.get("authorizingPrescription"))]
    r.events.append(Event(where, "MedicationDispense", found, day, amount, unit,
                          supply_days=days, frequency=_frequency(r, dosage, where),
                          product=_product(found, res),
                          request=next((p for p in prescriptions if p), None),
                          note=_notes(res)))


def _cycles(events: list[Event], window: int) -> list[list[Event]]:
    """IVIG cycles: administrations within `window` days of a cycle's first infusion."""
    out: list[list[Event]] = []
    for event in sorted(events, key=lambda e: (e.day, e.where)):
        if out and (event.day - out[-1][0].day).days < window:
            out[-1].append(event)
        else:
            out.append([event])
    return out


def finish_events(r: Reader) -> None:
    """Group the pending administrations and dispenses into courses and account each event."""
    if not r.events:
        return
    # events given under an order whose course was already read from that order
    by_request: dict[str, str] = {}
    for index, origin in enumerate(r.origins["therapies"]):
        if origin.startswith("MedicationRequest/"):
            by_request[origin] = r.sections["therapies"][index]["drug"]
    groups: dict[tuple[str, str, str | None], list[Event]] = {}
    for event in r.events:
        linked = _linked(event.request, by_request)
        if linked is not None and by_request[linked] == event.found.drug:
            reason = (f"given under {linked}, whose course was read from the order (not "
                      "counted twice)")
            r.report.add("inferred", event.where, reason, code=event.found.drug)
            r.report.account(event.where, "inferred", reason)
            continue
        groups.setdefault((event.kind, event.found.drug, event.found.route), []).append(event)
    for (kind, drug, route), events in groups.items():
        _course(r, kind, drug, route, events)


def _linked(request: str | None, by_request: dict[str, str]) -> str | None:
    if request is None:
        return None
    if request in by_request:
        return request
    if "MedicationRequest/" in request:
        tail = "MedicationRequest/" + request.rsplit("MedicationRequest/", 1)[1].split(
            "/_history")[0]
        return tail if tail in by_request else None
    return None


def _course(r: Reader, kind: str, drug: str, route: str | None, events: list[Event]) -> None:
    events.sort(key=lambda e: (e.day, e.where))
    unit = events[0].unit
    first, last = events[0].day, events[-1].day
    products = sorted({e.product for e in events})
    noun = "administration" if kind == "MedicationAdministration" else "dispense"
    span = first.isoformat() if first == last else f"{first.isoformat()}…{last.isoformat()}"
    head = f"{len(events)} {noun}{'s' if len(events) != 1 else ''} of {', '.join(products)} {span}"
    item: dict[str, Any] = {"drug": drug}
    parts: list[str] = []
    if kind == "MedicationAdministration" and drug == IVIG:
        window = int(r.kb.value("ivig.induction_days_max"))
        units = _cycles(events, window)
        amounts = [sum(e.amount for e in c) if all(e.amount is not None for e in c) else None
                   for c in units]
        label = f"{len(units)} cycle{'s' if len(units) != 1 else ''}"
        parts.append(f"{label} (administrations within {window} days of a cycle's first "
                     "infusion form one cycle)")
        starts = [c[0].day for c in units]
    else:
        days = sorted({e.day for e in events})
        units = [[e for e in events if e.day == d] for d in days]
        amounts = [max((e.amount for e in u if e.amount is not None), default=None)
                   for u in units]
        starts = days
    known = [a for a in amounts if a is not None]
    if known:
        item["dose"] = f"{_num(round(max(known), 6))} {unit}"
        listed = ", ".join(fmt(a, unit) if a is not None else "dose unknown" for a in amounts)
        if len(set(known)) > 1 or len(known) != len(amounts):
            parts.append(f"doses {listed}; the course dose is the largest, "
                         f"{fmt(max(known), unit)}")
        elif drug == IVIG and kind == "MedicationAdministration":
            parts.append(f"{fmt(known[0], unit)} per cycle")
    interval: float | None = None
    if kind == "MedicationDispense":
        freqs = {e.frequency for e in events if e.frequency}
        if len(freqs) == 1:
            item["frequency"] = freqs.pop()
    elif len(starts) > 1:
        import statistics  # only here: importing it costs every CLI start

        gaps = [(b - a).days for a, b in zip(starts, starts[1:], strict=False)]
        interval = float(statistics.median(gaps))
        frequency = r.frequency_for(7.0 / interval) if interval > 0 else None
        if frequency is not None:
            item["frequency"] = frequency
            parts.append(f"every {_num(interval)} days (median) read as {frequency!r}")
        else:
            r.report.add("skipped", f"{events[0].where}.frequency",
                         f"{_num(interval)} days between {'cycles' if drug == IVIG else 'doses'}"
                         " (median) match no frequency in the vocabulary; left out", code=drug)
    if route is not None:
        item["route"] = route
    item["start"] = first.isoformat()
    end = last
    if kind == "MedicationDispense":
        supplies = [e.supply_days for e in events if e.day == last and e.supply_days]
        end = last + dt.timedelta(days=int(max(supplies))) if supplies else last
        interval = max(supplies) if supplies else None
    as_of = r.as_of
    if as_of is not None and (interval is None or (as_of - end).days > interval) and end <= as_of:
        item["stop"] = end.isoformat()
        item["outcome"] = "stopped"
        parts.append(f"nothing after {end.isoformat()}: outcome 'stopped' inferred (the reason "
                     "for stopping is not recorded)")
    elif as_of is None:
        item["outcome"] = "ongoing"
        parts.append("outcome 'ongoing' inferred (no assessment date to judge an end by)")
    else:
        item["outcome"] = "ongoing"
        parts.append(f"outcome 'ongoing' inferred (the last {noun} lies within one interval "
                     "of the assessment date)")
    summary = f"{head} → one {drug} course"
    if parts:
        summary += ": " + "; ".join(parts)
    notes = [e.note for e in events if e.note]
    item["note"] = summary + (f". {'; '.join(notes)}" if notes else "")
    where = events[0].where
    index = len(r.sections["therapies"])
    r.add("therapies", item, where)
    r.report.add("inferred", where, summary, code=drug)
    for event in events:
        r.report.account(event.where, "inferred", f"one of {head} → therapies[{index}]")
