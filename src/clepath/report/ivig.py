"""Rendering an IVIG plan: a JSON object (schemas/ivig.schema.json), a Rich terminal report and
an iCalendar file with one all-day event per infusion day.

The JSON keeps every intermediate number, the rule ids that fired, the sources behind them and
the knowledge versions, so a plan can be checked by hand and reproduced.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from clepath import __version__
from clepath.domain.display import fmt, fmt_number, fmt_plain, fmt_value
from clepath.dosing.infusion import InfusionProfile
from clepath.dosing.plan import CoursePlan, InfusionDayPlan, IvigPlan
from clepath.dosing.review import ClasiPoint
from clepath.dosing.vials import VialCount
from clepath.report.jsonable import to_jsonable

if TYPE_CHECKING:
    from clepath.engine.ivig import IvigPlanReport

__all__ = ["SCHEMA_ID", "ivig_to_ics", "ivig_to_json", "render_ivig"]

SCHEMA_ID = "https://clepath.org/schemas/ivig/1"
_STYLE = {"block": "bold red", "warning": "yellow", "info": "cyan"}
_CONSERVATIVE = (
    "Rates use the dosing weight: labels do not say which weight a mg/kg/min rate means, and "
    "the dosing weight is never above actual weight, so the rates are the slower ones."
)


# --- JSON ---------------------------------------------------------------------------------------


def _r(value: float | None, places: int = 2) -> float | None:
    """Rounded the way every page writes it (half-up from the written number), so the JSON and
    the pages never differ in the last place."""
    return None if value is None else float(fmt_number(value, places))


def _minutes(value: float | None) -> int | None:
    return None if value is None else int(fmt_number(value, 0))


def _vials(vials: Iterable[VialCount]) -> list[dict[str, Any]]:
    return [{"size_g": v.size_g, "count": v.count} for v in vials]


def _day_json(day: InfusionDayPlan) -> dict[str, Any]:
    runs = day.infusion.runs if day.infusion else ()
    return {
        "date": day.date.isoformat(),
        "day": day.day,
        "of_days": day.of_days,
        "grams": day.grams,
        "g_per_kg": _r(day.g_per_kg, 4),
        "vials": _vials(day.vials),
        "volume_ml": _r(day.volume_ml, 1),
        "minutes": _minutes(day.minutes),
        "minutes_exact": _r(day.minutes, 2),
        "steps": [
            {
                "rate_mg_kg_min": r.rate_mg_kg_min,
                "ml_per_h": _r(r.ml_per_h, 1),
                "minutes": _r(r.minutes, 2),
                "volume_ml": _r(r.volume_ml, 1),
            }
            for r in runs
        ],
    }


def _course_json(course: CoursePlan) -> dict[str, Any]:
    r = course.rounding
    return {
        "kind": course.kind,
        "cycle": course.cycle,
        "number": course.number,
        "start": course.start.isoformat(),
        "dose_g_per_kg": course.dose_g_per_kg,
        "days_count": course.days,
        "prescribed_grams": _r(r.prescribed_g, 2),
        "total_grams": course.total_grams,
        "difference_grams": _r(r.difference_g, 2),
        "rounding_step_g": r.effective_step_g,
        "blocked": course.blocked,
        "notes": list(course.notes),
        "days": [_day_json(d) for d in course.infusion_days],
    }


def _profile_json(p: InfusionProfile | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "rate_table": p.rate_id,
        "indication": p.indication,
        "weight_kg": _r(p.weight_kg, 2),
        "weight_basis": p.weight_basis,
        "weight_note": _CONSERVATIVE,
        "concentration_mg_per_ml": p.concentration_mg_per_ml,
        "label_max_mg_kg_min": p.label_max_mg_kg_min,
        "at_risk": p.at_risk,
        "cap_mg_kg_min": p.cap_mg_kg_min,
        "cap_basis": p.cap_basis,
        "at_risk_wording": p.at_risk_wording,
        "steps_basis": p.steps_basis,
        "step_minutes": p.step_minutes,
        "steps": [
            {
                "rate_mg_kg_min": s.rate_mg_kg_min,
                "ml_per_kg_min": _r(s.rate_mg_kg_min / p.concentration_mg_per_ml, 4),
                "ml_per_h": _r(s.rate_mg_kg_min * p.weight_kg * 60 / p.concentration_mg_per_ml, 1),
                "minutes": s.minutes,
                "capped": s.capped,
            }
            for s in p.steps
        ],
        "sources": list(p.sources),
    }


_WEIGHT_PLACES = {
    "kg": 2,
    "actual_kg": 2,
    "weight_in_kg": 2,
    "height_cm": 2,
    "height_in": 2,
    "ibw_kg": 2,
    "ddw_kg": 2,
    "bmi": 2,
    "percent_of_ibw": 1,
}


def _weight_json(plan: IvigPlan) -> dict[str, Any]:
    raw = dataclasses.asdict(plan.dosing_weight)
    out = {k: _r(v, _WEIGHT_PLACES[k]) if k in _WEIGHT_PLACES else v for k, v in raw.items()}
    out["kg_exact"] = plan.dosing_weight.kg
    out["adjustment_factor"] = out.pop("factor")
    for key in ("triggers", "missing", "notes", "sources", "not_used"):
        out[key] = list(out[key])
    for key in ("weight_date", "height_date"):
        out[key] = None if out[key] is None else out[key].isoformat()
    out["weight_measured"] = plan.dosing_weight.measured
    out["height_measured"] = plan.dosing_weight.height_measured
    return out


def _regimen_json(plan: IvigPlan) -> dict[str, Any]:
    g = plan.regimen

    def part(p: Any) -> dict[str, Any] | None:
        return None if p is None else dataclasses.asdict(p)

    return {
        "preset": g.preset,
        "preset_label": g.preset_label,
        "preset_indication": g.preset_indication,
        "origin": g.origin,
        "induction": part(g.induction),
        "maintenance": part(g.maintenance),
        "notes": list(g.notes),
        "sources": list(g.sources),
    }


_PRODUCT_FIELDS = {
    "id",
    "label",
    "maker",
    "concentration_mg_per_ml",
    "vials_g",
    "iga_ug_per_ml",
    "iga_basis",
    "iga_tag",
    "vials_tag",
    "excipients",
    "sucrose_free",
}


def _product_json(plan: IvigPlan) -> dict[str, Any] | None:
    if plan.product is None:
        return None
    out = plan.product.model_dump(mode="json", include=_PRODUCT_FIELDS)
    out["sources"] = list(plan.product.source)
    return out


def _point(p: ClasiPoint | None) -> dict[str, Any] | None:
    return None if p is None else {"date": p.date.isoformat(), "activity": p.activity}


def _review_json(plan: IvigPlan) -> dict[str, Any]:
    v = plan.review
    point = _point
    return {
        "baseline": point(v.baseline),
        "latest": point(v.latest),
        "reduction": _r(v.reduction, 4),
        "response_threshold": v.response_threshold,
        "response_documented": v.response_documented,
        "complete_response": v.complete_response,
        "rescore_before_cycle": v.rescore_cycle,
        "rescore_due": v.rescore_due.isoformat() if v.rescore_due else None,
        "max_cycles_without_response": v.max_cycles,
        "blocked_cycles": list(v.blocked_cycles),
        "wording": [{"rule": rid, "text": text} for rid, text in v.wording],
    }


def _stance_json(stance: Any, citations: dict[str, dict[str, str]]) -> Any:
    dump = getattr(stance, "model_dump", None)
    out = dump(mode="json") if callable(dump) else to_jsonable(stance)
    source = out.get("source") if isinstance(out, dict) else None
    if isinstance(source, str) and source in citations:
        out["citation"] = citations[source]
    return out


def _used_sources(payload: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "sources" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            else:
                found |= _used_sources(value)
    elif isinstance(payload, list):
        for item in payload:
            found |= _used_sources(item)
    return found


def ivig_to_json(report: IvigPlanReport) -> dict[str, Any]:
    """The plan as one JSON-ready object (see schemas/ivig.schema.json)."""
    plan = report.plan
    out: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "clepath_version": __version__,
        "case_id": plan.case_id,
        "as_of": plan.as_of.isoformat(),
        "start": plan.start.isoformat(),
        "blocked": plan.blocked,
        "dosing_weight": _weight_json(plan),
        "regimen": _regimen_json(plan),
        "product": _product_json(plan),
        "rounding": {"step_g": plan.rounding_step_g, "mode": plan.rounding_mode},
        "infusion": _profile_json(plan.infusion),
        "courses": [_course_json(c) for c in sorted(plan.courses, key=lambda c: c.start)],
        "alerts": [
            {
                "code": a.code,
                "severity": a.severity,
                "title": a.title,
                "message": a.message,
                "rule": a.rule,
                "courses": list(a.courses),
                "tag": a.tag,
                "sources": list(a.sources),
            }
            for a in plan.alerts
        ],
        "risks": {
            "at_risk": plan.risks.at_risk,
            "thrombosis": list(plan.risks.thrombosis),
            "renal": list(plan.risks.renal),
            "hyperviscosity": list(plan.risks.hyperviscosity),
            "renal_function_recorded": plan.risks.renal_judged,
        },
        "checklist": [to_jsonable(c) for c in plan.checklist],
        "review": _review_json(plan),
        "egfr": None
        if report.egfr is None
        else {
            "value": _r(report.egfr.value, 1),
            "date": report.egfr.date.isoformat(),
            "method": report.egfr.method,
        },
        "clasi_a": None
        if report.clasi is None
        else [
            {"date": s.date.isoformat(), "activity": s.activity, "severity": s.severity}
            for s in report.clasi.history
        ],
        "guideline_stance": [
            _stance_json(s, report.stance_citations) for s in report.guideline_stances
        ],
        "cle_signals": [
            {
                "id": s.id,
                "title": s.title,
                "message": " ".join(s.message.split()),
                "events": s.events,
                "patients": s.patients,
                "sources": list(s.source),
            }
            for s in plan.cle_signals
        ],
        "unconfirmed_defaults": list(plan.unconfirmed),
        "parameters": report.parameters,
        "knowledge": dict(report.knowledge),
    }
    used = sorted(_used_sources(out))
    out["sources"] = [report.citations[s] for s in used if s in report.citations]
    return out


# --- terminal -----------------------------------------------------------------------------------


def _vial_text(vials: Sequence[VialCount]) -> str:
    return " + ".join(f"{v.count} × {fmt(v.size_g, 'ivig_g')}" for v in vials) or "-"


def _weight_panel(plan: IvigPlan) -> Panel:
    w = plan.dosing_weight
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("Dosing weight", f"{fmt(w.kg, 'dosing_kg')} ({w.basis.replace('_', '-')})"),
        ("Policy", f"{w.policy}: {w.policy_label}"),
        ("Rule", f"{w.rule}: {w.reason}"),
        ("Actual weight", w.measured),
    ]
    if w.weight_in_kg != w.actual_kg:
        rows.append(("Calculator weight", fmt(w.weight_in_kg, "dosing_kg")))
    if w.height_cm is not None:
        rows.append(("Height", f"{w.height_measured} = {fmt(w.height_in, 'inch')}"))
    for label, value, kind in (
        ("Devine IBW", w.ibw_kg, "dosing_kg"),
        ("BMI", w.bmi, "bmi"),
        ("Actual / IBW", w.percent_of_ibw, "percent_1"),
    ):
        if value is not None:
            rows.append((label, fmt(value, kind)))
    if w.ddw_kg is not None:
        rows.append(
            ("Dose-determining weight", f"{fmt(w.ddw_kg, 'dosing_kg')} = IBW "
                                        f"+ {fmt_plain(w.factor)} × (weight - IBW)")
        )
    for note in (*w.notes, *w.not_used):
        rows.append(("Note", note))
    for label, value in rows:
        table.add_row(label, Text(value))
    return Panel(table, title="Dosing weight", expand=False)


def _courses_table(plan: IvigPlan) -> Table:
    table = Table(title="Courses", show_lines=False)
    for column in ("Cycle", "Course", "Date", "Prescribed", "Given", "Vials", "Volume", "Minutes"):
        table.add_column(column)
    for course in sorted(plan.courses, key=lambda c: c.start):
        kind = f"{course.kind} {course.number} ({fmt(course.dose_g_per_kg, 'g_per_kg')})"
        if course.blocked:
            kind += " BLOCKED"
        for day in course.infusion_days:
            first = day.day == 1
            table.add_row(
                str(course.cycle) if first else "",
                kind if first else "",
                f"{day.date.isoformat()} (day {day.day}/{day.of_days})",
                fmt(course.rounding.prescribed_g, "g") if first else "",
                fmt(day.grams, "ivig_g"),
                _vial_text(day.vials),
                fmt(day.volume_ml, "ml", missing="-"),
                fmt_value(day.minutes, "minutes", missing="-"),
                style="red" if course.blocked else None,
            )
    return table


def _infusion_table(profile: InfusionProfile) -> Table:
    title = (
        f"Infusion ({profile.indication} table, "
        f"{fmt(profile.weight_kg, 'dosing_kg')} {profile.weight_basis})"
    )
    table = Table(title=title)
    for column in ("Step", "mg/kg/min", "mL/h", "Minutes"):
        table.add_column(column)
    for index, step in enumerate(profile.steps, 1):
        ml_h = step.rate_mg_kg_min * profile.weight_kg * 60 / profile.concentration_mg_per_ml
        cap = " (capped)" if step.capped else ""
        table.add_row(
            str(index),
            f"{fmt_value(step.rate_mg_kg_min, 'mg_kg_min')}{cap}",
            fmt_value(ml_h, "ml_per_h"),
            "until done" if step.minutes is None else fmt_value(step.minutes, "minutes"),
        )
    return table


def _alerts_table(plan: IvigPlan) -> Table:
    table = Table(title="Safety gate and review", show_lines=True)
    table.add_column("Severity")
    table.add_column("Alert")
    for alert in plan.alerts:
        body = Text(alert.title, style="bold")
        body.append(f"\n{alert.message}", style="")
        body.append(f"\n{alert.rule}", style="dim")
        table.add_row(Text(alert.severity.upper(), style=_STYLE[alert.severity]), body)
    return table


def _checklist_table(plan: IvigPlan) -> Table:
    table = Table(title="Pre-infusion checklist")
    for column in ("Check", "When", "Status"):
        table.add_column(column)
    for entry in plan.checklist:
        if entry.status == "not applicable":
            continue
        status = entry.status + (f": {entry.detail}" if entry.detail else "")
        table.add_row(entry.check, entry.when, status)
    return table


def render_ivig(report: IvigPlanReport, console: Console) -> None:
    """Print a readable plan: weight, courses, infusion, alerts, checklist, review, context."""
    plan = report.plan
    banner = (
        "[bold red]BLOCKED: the plan cannot go ahead as written[/]"
        if plan.blocked
        else "[green]No hard stop[/]"
    )
    console.print(
        f"[bold]IVIG plan[/] for case {plan.case_id} as of {plan.as_of.isoformat()}, "
        f"starting {plan.start.isoformat()} - {banner}"
    )
    console.print(_weight_panel(plan))
    regimen = plan.regimen
    if regimen.preset_label:
        console.print(Text(f"Regimen: {regimen.preset_label} ({regimen.origin})"))
        if regimen.preset_indication:
            console.print(Text(f"Outside CLE: reported in {regimen.preset_indication}, "
                               "for reference only.", style="bold"))
    console.print(Text(f"Product: {_product_text(plan)}"))
    console.print(
        Text(
            f"Each course total is rounded to the nearest {fmt(plan.rounding_step_g, 'ivig_g')} "
            f"({plan.rounding_mode}) before it is divided into days."
        )
    )
    console.print(_courses_table(plan))
    if plan.infusion is not None:
        console.print(_infusion_table(plan.infusion))
        console.print(Text(_CONSERVATIVE, style="dim"))
    console.print(_alerts_table(plan))
    console.print(Text(f"Review: {_review_text(plan)}"))
    console.print(_checklist_table(plan))
    for stance in report.guideline_stances:
        console.print(Text(f"Guideline: {_stance_text(stance)}"))
    if plan.unconfirmed:
        console.print(
            Text("Configurable defaults, unconfirmed: " + ", ".join(plan.unconfirmed), style="dim")
        )
    versions = ", ".join(f"{k}@{v}" for k, v in report.knowledge.items())
    console.print(Text(f"Knowledge: {versions}", style="dim"))


def _product_text(plan: IvigPlan) -> str:
    p = plan.product
    if p is None:
        return "none chosen: the plan is in grams"
    vials = "/".join(fmt_plain(v) for v in p.vials_g)
    iga = "IgA not recorded"
    if p.iga_ug_per_ml is not None:
        iga = f"IgA {(p.iga_basis or '').replace('_', ' ')} {fmt(p.iga_ug_per_ml, 'ug_per_ml')}"
    excipients = ", ".join(p.excipients) or "none declared"
    return (
        f"{p.label} ({p.maker}), {fmt(p.concentration_mg_per_ml, 'mg_per_ml')}, vials {vials} g, "
        f"{iga}, excipients: {excipients}"
    )


def _review_text(plan: IvigPlan) -> str:
    v = plan.review
    parts = [
        f"baseline CLASI-A {v.baseline.activity} on {v.baseline.date.isoformat()}"
        if v.baseline
        else "no baseline CLASI-A yet"
    ]
    if v.rescore_due is not None:
        parts.append(f"re-score before cycle {v.rescore_cycle} (by {v.rescore_due.isoformat()})")
    parts.append(
        f"cycles beyond {v.max_cycles} need a CLASI-A fall of at least "
        f"{fmt(100 * v.response_threshold, 'percent')}"
        + (" (documented)" if v.response_documented else "")
    )
    return "; ".join(parts)


def _stance_text(stance: Any) -> str:
    parts = [getattr(stance, name, None) for name in ("guideline", "stance", "wording")]
    guideline, position, wording = (p if isinstance(p, str) else None for p in parts)
    if position is None and wording is None:
        return str(stance)
    head = f"{guideline}: " if guideline else ""
    body = " - ".join(p for p in (position and position.replace("_", " "), wording) if p)
    return head + body


# --- iCalendar ----------------------------------------------------------------------------------


def _uid(plan: IvigPlan, course: CoursePlan, day: InfusionDayPlan) -> str:
    key = f"{plan.case_id}|{course.kind}|{course.cycle}|{day.day}|{day.date.isoformat()}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:24]}@clepath"


def _description(plan: IvigPlan, course: CoursePlan, day: InfusionDayPlan) -> str:
    w = plan.dosing_weight
    lines = [
        f"IVIG {course.kind} {course.number} (cycle {course.cycle}), day {day.day} of "
        f"{day.of_days}: {fmt(day.grams, 'ivig_g')}",
    ]
    if plan.product is not None:
        lines.append(f"{plan.product.label}: {_vial_text(day.vials)} vials, "
                     f"{fmt(day.volume_ml, 'ml')}")
    if day.infusion is not None:
        steps = "; ".join(
            f"{fmt(r.rate_mg_kg_min, 'mg_kg_min')} = {fmt(r.ml_per_h, 'ml_per_h')} for "
            f"{fmt(r.minutes, 'minutes')}"
            for r in day.infusion.runs
        )
        lines.append(f"About {fmt_value(day.minutes, 'minutes')} minutes: {steps}")
    basis = w.basis.replace("_", "-")
    lines.append(f"Dosing weight {fmt(w.kg, 'dosing_kg')} ({basis}, {w.policy}; "
                 f"weight {w.measured})")
    if course.blocked or plan.blocked:
        lines.append("BLOCKED: see the plan's alerts before giving this infusion.")
    lines.append("Planned by clepath (decision support, not a prescription).")
    return "\n".join(lines)


def ivig_to_ics(report: IvigPlanReport) -> bytes:
    """An iCalendar file: one all-day event per infusion day, with deterministic UIDs."""
    from icalendar import Calendar, Event  # loaded with the first calendar, not at start

    plan = report.plan
    calendar = Calendar()
    calendar.add("prodid", "-//clepath//IVIG planner//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"IVIG plan {plan.case_id}")
    stamp = dt.datetime.combine(plan.as_of, dt.time(0, 0), tzinfo=dt.UTC)
    for course in sorted(plan.courses, key=lambda c: c.start):
        for day in course.infusion_days:
            event = Event()
            prefix = "BLOCKED: " if (course.blocked or plan.blocked) else ""
            event.add(
                "summary",
                f"{prefix}IVIG {course.kind} day {day.day}/{day.of_days}: "
                f"{fmt(day.grams, 'ivig_g')}",
            )
            event.add("dtstart", day.date)
            event.add("dtend", day.date + dt.timedelta(days=1))
            event.add("dtstamp", stamp)
            event.add("uid", _uid(plan, course, day))
            event.add("status", "TENTATIVE")
            event.add("description", _description(plan, course, day))
            calendar.add_component(event)
    return calendar.to_ical()
