"""The `clepath assess` terminal report, rendered with Rich."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from clepath.domain.body import dated
from clepath.domain.display import fmt, fmt_plain, fmt_score_change
from clepath.engine.assess import Assessment
from clepath.ingest.similar import SimilarCase
from clepath.report.assessment_json import DISCLAIMER
from clepath.report.similar import SIMILAR_NOTE

__all__ = ["render_assessment"]

_SEVERITY_STYLE = {"critical": "bold white on red", "warning": "bold yellow", "info": "cyan"}
_STATUS_STYLE = {
    "recommended": "bold green",
    "consider": "green",
    "not_recommended": "yellow",
    "contraindicated": "bold red",
    "failed": "dim",
    "ongoing": "blue",
}


def _row(table: Table, *cells: object) -> None:
    """Add a row whose plain strings are shown as written (never read as Rich markup)."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))  # type: ignore[arg-type]


def _tri(value: bool | None, yes: str = "yes", no: str = "no", unknown: str = "unknown") -> str:
    return unknown if value is None else yes if value else no


def render_assessment(
    a: Assessment, console: Console, similar: Sequence[SimilarCase] = ()
) -> None:
    """Print the whole assessment, most actionable parts first, and the similar cases given."""
    console.print(
        Panel(
            Text.assemble(
                (f"{a.case_id}", "bold"),
                f"  as of {a.as_of.isoformat()}\n",
                ("knowledge: ", "dim"),
                (", ".join(f"{k}@{v}" for k, v in a.knowledge.items()), "dim"),
            ),
            title="clepath assessment",
            expand=False,
        )
    )
    _patient(a, console)
    _alerts(a, console)
    _scores(a, console)
    _labs(a, console)
    _therapies(a, console)
    _glucocorticoids(a, console)
    _refractory(a, console)
    _options(a, console)
    _similar(similar, console)
    _measures(a, console)
    console.print(Text(DISCLAIMER, style="dim italic"))


def _patient(a: Assessment, console: Console) -> None:
    p = a.patient
    parts = [
        p.get("sex") or "sex not recorded",
        f"{p['age_years']} y" if p.get("age_years") is not None else "age not recorded",
        dated(fmt(p.get("weight_kg"), "kg"), p.get("weight_date")),
        dated(fmt(p.get("height_cm"), "cm"), p.get("height_date")),
    ]
    if p.get("bmi_kg_per_m2"):
        parts.append(f"BMI {fmt(p['bmi_kg_per_m2'], 'bmi')}")
    if p.get("smoking"):
        parts.append(f"smoking: {p['smoking']}")
    if p.get("pregnant") is not None:
        parts.append("pregnant" if p["pregnant"] else "not pregnant")
    console.print(Text("Patient: ", style="bold") + Text(" · ".join(parts)))
    for note in p.get("measurement_notes") or ():
        console.print(Text(f"  Note: {note}"))
    for s in a.classification:
        codes = ", ".join(
            f"{c.system} {c.code}{' [unconfirmed]' if c.unconfirmed else ''}"
            for c in (*s.icd10, *s.snomed_ct)
        )
        group = s.dusseldorf_class or s.gilliam_group
        console.print(Text(f"  CLE: {s.label} ({group}) {codes}"))


def _alerts(a: Assessment, console: Console) -> None:
    if not a.alerts:
        return
    table = Table(title="Alerts", show_header=False, expand=True, title_justify="left")
    table.add_column("severity", no_wrap=True)
    table.add_column("message")
    for alert in a.alerts:
        _row(
            table,
            Text(alert.severity.upper(), style=_SEVERITY_STYLE.get(alert.severity, "")),
            Text.assemble(
                (f"{alert.title}: ", "bold"), alert.message, (f"  [{alert.code}]", "dim")
            ),
        )
    console.print(table)


def _scores(a: Assessment, console: Console) -> None:
    table = Table(title="Activity, damage and classification", expand=True, title_justify="left")
    table.add_column("instrument", no_wrap=True)
    table.add_column("result")
    table.add_column("details")
    if a.clasi is None:
        _row(table, "CLASI", "not recorded", "no CLASI examination on or before as_of")
    else:
        latest = a.clasi.latest
        detail = f"on {latest.date.isoformat()}"
        if a.clasi.change is not None:
            c = a.clasi.change
            detail += (
                "; " + fmt_score_change(c.points, c.percent, str(c.baseline_activity))
                + f" of {c.baseline_date.isoformat()}; ≥4 points {_tri(c.meaningful_4_points)}, "
                f"≥20 % {_tri(c.meaningful_20_percent)}, CLASI-50 {_tri(c.clasi_50)}"
            )
        _row(table, "CLASI", f"A {latest.activity} ({latest.severity}) · D {latest.damage}", detail)
    s = a.sledai
    # Each descriptor names its source (finding, lab or CLASI examination, with its date).
    descriptors = "; ".join(f"{d.label} {d.weight} ({d.evidence})" for d in s.descriptors)
    descriptors = descriptors or "none"
    if s.recorded_not_used:
        descriptors += "; " + "; ".join(s.recorded_not_used)
    band = f" ({s.band}, scheme {s.band_scheme}{', unconfirmed' if s.band_unconfirmed else ''})"
    _row(
        table,
        "SLEDAI-2K",
        f"{s.score}{band if s.band else ''}",
        f"{s.window_days}-day window: {descriptors}",
    )
    e = a.eular_acr
    if e.entry_criterion is None:
        verdict = f"{e.total} points; entry criterion unknown (no ANA recorded)"
    else:
        verdict = f"{e.total} points; classified {_tri(e.classified)}"
    _row(
        table,
        "EULAR/ACR 2019",
        verdict,
        "; ".join(f"{k} {v}" for k, v in e.domains.items() if v) or "no criterion met",
    )
    sl = a.slicc
    _row(
        table,
        "SLICC 2012",
        f"classified {_tri(sl.classified)}",
        f"{sl.clinical_count} clinical + {sl.immunologic_count} immunologic"
        + ("; nephritis route" if sl.nephritis_route else ""),
    )
    console.print(table)


def _labs(a: Assessment, console: Console) -> None:
    if not a.labs and a.egfr is None:
        return
    table = Table(title="Latest laboratory results", expand=True, title_justify="left")
    table.add_column("test")
    table.add_column("date", no_wrap=True)
    table.add_column("result")
    table.add_column("flag")
    # test -> (condition, instruments): the name comes from the labs pack's threshold rows.
    cytopenic: dict[str, tuple[str, list[str]]] = {}
    for c in a.cytopenias:
        if c.present:
            cytopenic.setdefault(c.test, (c.condition, []))[1].append(c.used_by)
    for line in a.labs:
        flag = line.flag or ""
        if line.test in cytopenic:
            condition, instruments = cytopenic[line.test]
            flag = f"{condition} ({', '.join(sorted(instruments))})"
        style = "bold red" if flag and flag not in ("normal", "negative") else ""
        _row(table, line.label, line.date.isoformat(), line.shown, Text(flag, style))
    if a.egfr is not None:
        _row(
            table,
            "eGFR",
            a.egfr.date.isoformat(),
            fmt(a.egfr.value, "egfr"),
            a.egfr.method,
        )
    console.print(table)


def _dose_text(c: object) -> str:
    """The dose as prescribed, with the daily average when it is not a daily schedule."""
    text = getattr(c, "dose_text", None)
    frequency = getattr(c, "frequency", None)
    daily = getattr(c, "daily_dose_mg", None)
    if text is None:
        return "not recorded"
    shown = f"{text} {frequency.replace('_', ' ')}" if frequency else text
    if daily is not None and frequency not in (None, "daily"):
        shown += f" (≈{fmt(daily, 'mg_per_day')})"
    return shown


def _therapies(a: Assessment, console: Console) -> None:
    if not a.therapy.courses:
        return
    table = Table(title="Therapy history", expand=True, title_justify="left")
    for name in ("drug", "dates", "dose", "outcome", "adequate trial?"):
        table.add_column(name)
    notes: list[str] = []
    for c in a.therapy.courses:
        dates = f"{c.start or '?'} → {c.stop or ('now' if c.outcome == 'ongoing' else '?')}"
        if c.duration_weeks is not None:
            dates += f" ({fmt(c.duration_weeks, 'weeks')})"
        dose = _dose_text(c)
        if c.dose_mg_per_kg is not None:
            dose += f" = {fmt(c.dose_mg_per_kg, 'mg_per_kg_day')}"
            if c.above_max:
                dose += f" (> {fmt_plain(c.max_mg_per_kg)})"
        if c.summed_daily_dose_mg is not None:
            dose += " (overlapping courses summed)"
        minimum = f" (min {fmt_plain(c.min_trial_weeks)} weeks)" if c.min_trial_weeks else ""
        if c.adequacy_note and c.adequacy_note not in notes:
            notes.append(c.adequacy_note)
        marker = f" [{notes.index(c.adequacy_note) + 1}]" if c.adequacy_note else ""
        _row(table, c.label, dates, dose, c.outcome, f"{c.adequacy}{minimum}{marker}")
    console.print(table)
    for number, note in enumerate(notes, start=1):
        console.print(Text(f"  [{number}] {note}", style="dim"))


def _glucocorticoids(a: Assessment, console: Console) -> None:
    g = a.glucocorticoids
    if g.prednisone_equivalent_mg_per_day is None and g.cumulative_mg is None:
        return
    targets = "; ".join(
        f"{t.guideline} {t.operator} {fmt_plain(t.threshold_mg)} mg/day: "
        f"{_tri(t.met, 'met', 'not met')}"
        for t in g.targets
    )
    cumulative = (
        fmt(g.cumulative_mg, "mg") + ("" if g.cumulative_complete else " (incomplete)")
        if g.cumulative_mg is not None
        else "not computable"
    )
    console.print(
        Text("Glucocorticoids: ", style="bold")
        + Text(
            f"{fmt(g.prednisone_equivalent_mg_per_day, 'mg_per_day')} prednisone equivalent now; "
            f"{targets}; cumulative {cumulative}"
        )
    )
    for note in g.notes:
        console.print(Text(f"  {note}", style="dim"))


def _refractory(a: Assessment, console: Console) -> None:
    r = a.refractory
    verdict = {True: "REFRACTORY", False: "not refractory", None: "unknown"}[r.status]
    lines = []
    for d in r.definitions:
        state = {True: "met", False: "not met", None: "cannot be judged"}[d.met]
        line = f"• {d.label}: {state}"
        if d.reasons:
            line += f" — {'; '.join(d.reasons)}"
        if d.missing:
            line += f" (missing: {', '.join(d.missing)})"
        lines.append(line)
    if r.severe:
        lines.append("Severe-refractory label applies.")
    lines.extend(r.notes)
    style = "bold red" if r.status else "bold"
    console.print(
        Panel(Group(*(Text(x) for x in lines)), title=Text(f"Refractoriness: {verdict}", style))
    )


def _options(a: Assessment, console: Console) -> None:
    table = Table(title="Options", expand=True, title_justify="left")
    table.add_column("agent")
    table.add_column("status", no_wrap=True)
    table.add_column("line / guideline stances")
    table.add_column("cautions and evidence")
    for o in a.options:
        stances = "\n".join(f"{s.guideline}: {s.stance}" for s in o.stances)
        notes = [f"⚠ {c.message}" for c in o.cautions]
        if o.evidence:
            notes.append(o.evidence)
        _row(
            table,
            o.label,
            Text(o.status.replace("_", " "), style=_STATUS_STYLE.get(o.status, "")),
            (f"{o.line_label or o.line}\n" if o.line else "") + stances,
            "\n".join(notes),
        )
    console.print(table)


def _similar(similar: Sequence[SimilarCase], console: Console) -> None:
    if not similar:
        return
    console.print(Text("Similar published cases", style="bold"))
    console.print(Text(SIMILAR_NOTE, style="dim"))
    for n, s in enumerate(similar, 1):
        console.print(Text(f"  {n}. {s.citation}"))
        console.print(Text(f"     subtype: {s.subtype}"))
        console.print(Text(f"     regimen: {s.regimen}"))
        console.print(Text(f"     outcome: {s.response}; {s.outcome}"))
        console.print(Text("     why similar:", style="dim"))
        for reason in s.reasons:
            console.print(Text(f"       • {reason}", style="dim"))


def _measures(a: Assessment, console: Console) -> None:
    for m in a.measures:
        console.print(Text.assemble(("• ", "bold"), (f"{m.label}: ", "bold"), m.text))
