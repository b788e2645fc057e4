"""Draft medication orders of order-select and order-sign, read into what the checks need.

A draft MedicationRequest is read tolerantly (hook examples in the wild send `doseAndRate` as an
object, leave out `Bundle.type`, or name the drug only in text): the drug, route and strength by
the one medication recogniser of `clepath.fhir.medication` (clepath's local code, RxNorm, the
Medication behind `medicationReference` — contained, in `draftOrders`, in the prefetch or read
from the FHIR server — then normalised text); the dose per administration in mg (or g for IVIG)
from the first `doseAndRate.doseQuantity`, a count of tablets times the strength, or millilitres
times the concentration; doses per week from `timing.repeat`; for IVIG the number of
infusion days from `timing.repeat.count`, `boundsDuration`, or one dated dosage per day (the
shape clepath exports); the route. Orders clepath does not check (other drugs, other resource
types) are ignored; orders whose drug cannot be read are reported by reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from clepath.domain.units import UnitProblem, convert, is_convertible, normalise_unit
from clepath.engine.therapy import is_systemic_route
from clepath.fhir import terminology as t
from clepath.fhir.medication import Recognised, derive_dose, recogniser
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.drugs import Drug

__all__ = ["DraftOrder", "OrderKind", "medication_references", "read_draft_orders"]

Resolver = Callable[[str], Mapping[str, Any] | None]

OrderKind = Literal["hcq", "ivig", "glucocorticoid", "limits"]
"""`limits`: any other drug with structured dose limits in the drugs pack (methotrexate, ...),
checked only against those limits (`clepath.engine.doses`)."""
_PERIOD_DAYS = {"d": 1.0, "wk": 7.0, "mo": 30.436875, "h": 1 / 24, "a": 365.2425}


@dataclass(frozen=True)
class DraftOrder:
    """One draft order clepath checks."""

    reference: str  # "MedicationRequest/<id>"
    kind: OrderKind
    drug: str
    resource: Mapping[str, Any] = field(repr=False)
    dose_mg: float | None = None  # per administration
    doses_per_week: float | None = None
    route: str | None = None
    day_grams: tuple[float, ...] = ()  # IVIG: grams on each infusion day
    dose_per_kg: float | None = None  # IVIG: g/kg stated on the order (clepath extension)
    start: dt.date | None = None
    notes: tuple[str, ...] = ()

    @property
    def daily_dose_mg(self) -> float | None:
        """Average mg a day (dose x doses per week / 7)."""
        if self.dose_mg is None or self.doses_per_week is None:
            return None
        return self.dose_mg * self.doses_per_week / 7.0


def _recognise(kb: KnowledgeBase, resource: Mapping[str, Any],
               resolve: Resolver | None) -> Recognised | None:
    found, _ = recogniser(kb).request(resource, resolve=resolve)
    return found


def _kind(kb: KnowledgeBase, drug: str, route: str | None) -> OrderKind | None:
    row = next((r for r in kb.table("drugs", "drugs", Drug) if r.id == drug), None)
    if drug == "hydroxychloroquine":
        return "hcq"
    if row is None:
        return None
    if row.kind == "immunoglobulin":
        return "ivig"
    if row.kind == "glucocorticoid" and row.route == "systemic" and is_systemic_route(kb, route):
        return "glucocorticoid"
    if row.limits is not None:
        return "limits"
    return None


def _list(value: Any) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [i for i in items if isinstance(i, Mapping)]


def _dose(dosage: Mapping[str, Any], unit: str, found: Recognised | None = None
          ) -> float | None:
    for dr in _list(dosage.get("doseAndRate")):
        q = dr.get("doseQuantity")
        if not isinstance(q, Mapping) or not isinstance(q.get("value"), (int, float)):
            continue
        for key in ("code", "unit"):
            text = q.get(key)
            if not isinstance(text, str):
                continue
            try:
                code = normalise_unit(text)
            except UnitProblem:
                continue
            if is_convertible(code, unit):
                return convert(float(q["value"]), code, unit)
        amount, _ = derive_dose(q, found, unit)  # tablets x strength, mL x concentration
        if amount is not None:
            return amount
    return None


def _per_week(dosage: Mapping[str, Any]) -> float | None:
    timing = dosage.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, Mapping) else None
    if not isinstance(repeat, Mapping):
        return None
    frequency, period = repeat.get("frequency", 1), repeat.get("period")
    unit = repeat.get("periodUnit")
    if not isinstance(frequency, (int, float)) or not isinstance(period, (int, float)):
        return None
    if unit not in _PERIOD_DAYS or period <= 0:
        return None
    return float(frequency) * 7.0 / (float(period) * _PERIOD_DAYS[unit])


def _day(value: Any) -> dt.date | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _ivig_days(dosages: list[Mapping[str, Any]], found: Recognised | None = None
               ) -> tuple[tuple[float, ...], dt.date | None, list[str]]:
    notes: list[str] = []
    dated = []
    for d in dosages:
        grams = _dose(d, "g", found)
        events = (d.get("timing") or {}).get("event") if isinstance(d.get("timing"),
                                                                    Mapping) else None
        day = _day(events[0]) if isinstance(events, list) and events else None
        if grams is not None:
            dated.append((day, grams, d))
    if not dated:
        return (), None, ["no dose in grams"]
    if len(dated) > 1:
        days = [day for day, _, _ in dated if day is not None]
        return tuple(g for _, g, _ in dated), min(days) if days else None, notes
    _, grams, dosage = dated[0]
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    count = repeat.get("count") if isinstance(repeat, Mapping) else None
    bounds = repeat.get("boundsDuration") if isinstance(repeat, Mapping) else None
    n = None
    if isinstance(count, int) and count > 0:
        n = count
    elif isinstance(bounds, Mapping) and isinstance(bounds.get("value"), (int, float)):
        unit = bounds.get("code") or bounds.get("unit")
        if unit in ("d", "day", "days"):
            n = int(bounds["value"])
    if n is None:
        n = 1
        notes.append("number of infusion days not given: one day assumed")
    start = None
    if isinstance(repeat, Mapping) and isinstance(repeat.get("boundsPeriod"), Mapping):
        start = _day(repeat["boundsPeriod"].get("start"))
    return tuple([grams] * n), start, notes


def _dose_per_kg(resource: Mapping[str, Any]) -> float | None:
    for ext in resource.get("extension") or ():
        if isinstance(ext, Mapping) and ext.get("url") == t.extension_url("dose-per-kg"):
            q = ext.get("valueQuantity") or {}
            if isinstance(q.get("value"), (int, float)):
                code = q.get("code") or "g/kg"
                try:
                    return convert(float(q["value"]), normalise_unit(str(code)), "g/kg")
                except UnitProblem:
                    return None
    return None


def _read(kb: KnowledgeBase, resource: Mapping[str, Any],
          resolve: Resolver | None = None) -> DraftOrder | None:
    found = _recognise(kb, resource, resolve)
    if found is None:
        return None
    drug = found.drug
    dosages = _list(resource.get("dosageInstruction"))
    first = dosages[0] if dosages else {}
    route = found.route
    kind = _kind(kb, drug, route)
    if kind is None:
        return None
    ref = f"MedicationRequest/{resource.get('id')}"
    if kind == "ivig":
        grams, start, notes = _ivig_days(dosages, found)
        start = start or _day(resource.get("authoredOn"))
        return DraftOrder(ref, kind, drug, resource, route=route, day_grams=grams,
                          dose_per_kg=_dose_per_kg(resource), start=start, notes=tuple(notes))
    return DraftOrder(ref, kind, drug, resource, dose_mg=_dose(first, "mg", found),
                      doses_per_week=_per_week(first), route=route,
                      start=_day(resource.get("authoredOn")))


def medication_references(draft_orders: Mapping[str, Any] | None) -> list[str]:
    """References of Medications the draft orders name that `draftOrders` does not hold
    (for the caller to read from the FHIR server)."""
    local = _medications_in(draft_orders, ())
    out: list[str] = []
    for entry in (draft_orders or {}).get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            continue
        ref = resource.get("medicationReference")
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if (isinstance(target, str) and not target.startswith("#") and target not in local
                and target not in out):
            out.append(target)
    return out


def _medications_in(draft_orders: Mapping[str, Any] | None,
                    extra: tuple[Mapping[str, Any], ...]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    entries = [e for e in (draft_orders or {}).get("entry") or () if isinstance(e, Mapping)]
    pairs = [(e.get("resource"), e.get("fullUrl")) for e in entries]
    pairs += [(r, None) for r in extra]
    for resource, url in pairs:
        if isinstance(resource, Mapping) and resource.get("resourceType") == "Medication":
            if isinstance(resource.get("id"), str):
                found[f"Medication/{resource['id']}"] = resource
            if isinstance(url, str):
                found[url] = resource
    return found


def _resolver(draft_orders: Mapping[str, Any] | None,
              medications: tuple[Mapping[str, Any], ...]) -> Resolver:
    index = _medications_in(draft_orders, medications)

    def resolve(reference: str) -> Mapping[str, Any] | None:
        found = index.get(reference)
        if found is None and "Medication/" in reference:
            tail = reference.rsplit("Medication/", 1)[1].split("/_history")[0]
            found = index.get(f"Medication/{tail}")
        return found

    return resolve


def read_draft_orders(
    kb: KnowledgeBase, draft_orders: Mapping[str, Any] | None, only: tuple[str, ...] = (),
    *, medications: tuple[Mapping[str, Any], ...] = (),
) -> tuple[list[DraftOrder], list[str]]:
    """The draft orders clepath checks, and references of medication orders it could not read.

    `only` (order-select's `selections`) limits the result to those references; `medications`
    are Medication resources from the prefetch or the FHIR server that `medicationReference`s
    may name (those in `draftOrders` and contained ones are found without them).
    """
    resolve = _resolver(draft_orders, medications)
    orders: list[DraftOrder] = []
    unread: list[str] = []
    for entry in (draft_orders or {}).get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or resource.get("resourceType") != (
                "MedicationRequest"):
            continue
        ref = f"MedicationRequest/{resource.get('id')}"
        if only and ref not in only:
            continue
        order = _read(kb, resource, resolve)
        if order is not None:
            orders.append(order)
        elif _recognise(kb, resource, resolve) is None:
            unread.append(ref)
    return orders, unread
