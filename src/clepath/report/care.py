"""A CARE-structured, de-identified case-report draft of one case (Markdown and PDF).

The sections follow the 13-item CARE checklist (Gagnier et al., 2013; care-statement.org):
title, keywords, abstract, introduction, patient information, clinical findings, timeline,
diagnostic assessment, therapeutic intervention, follow-up and outcomes, discussion, patient
perspective, informed consent. What only the authors can write is a marked placeholder.

De-identification, by construction: the case id (possibly a record number) is never printed,
no name exists in a case file, every date becomes a day relative to the first dated entry of the
record (day 0), a year-only or month-only date becomes an approximate offset, an age over 89 is
written "over 89", the birth date is never used, and free-text notes are left out unless asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from clepath import __version__
from clepath.domain.case import Case
from clepath.domain.dates import PartialDate
from clepath.domain.display import fmt, fmt_plain
from clepath.engine.assess import Assessment, assess
from clepath.engine.timeline import build_timeline
from clepath.knowledge.base import KnowledgeBase

__all__ = ["CareReport", "Section", "build_care_report", "care_markdown", "care_pdf"]

PLACEHOLDER = "[to be written by the authors]"


@dataclass
class Section:
    """One CARE section: paragraphs, bullet items and at most one table."""

    number: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    table: tuple[list[str], list[list[str]]] | None = None
    closing: list[str] = field(default_factory=list)  # after the table (placeholders)


@dataclass
class CareReport:
    """The draft: title, keywords, sections and the knowledge it was built with."""

    title: str
    keywords: list[str]
    sections: list[Section]
    knowledge: dict[str, str]
    day0_note: str


def _first_day(case: Case) -> dt.date:
    dates: list[dt.date] = [f.date for f in case.findings]
    dates += [r.date for r in case.labs] + [e.date for e in case.clasi]
    for course in case.therapies:
        for when in (course.start, course.stop):
            if when is not None and when.precision == "day":
                dates.append(when.earliest)
    if case.ivig_request is not None and case.ivig_request.start is not None:
        dates.append(case.ivig_request.start)
    return min(dates) if dates else case.as_of


class _Days:
    def __init__(self, day0: dt.date) -> None:
        self.day0 = day0

    def day(self, when: dt.date) -> str:
        return f"day {(when - self.day0).days}"

    def partial(self, when: PartialDate | None) -> str:
        if when is None:
            return "not recorded"
        if when.precision == "day":
            return self.day(when.earliest)
        if when.precision == "month":
            return f"about day {(when.earliest - self.day0).days} (month known)"
        years = self.day0.year - when.year
        if years > 0:
            return f"about {years} year(s) before day 0 (year known)"
        if years < 0:
            return f"about {-years} year(s) after day 0 (year known)"
        return "the year of day 0 (year known)"


def _age(years: int | None) -> str:
    if years is None:
        return "age not recorded"
    return "over 89 years" if years > 89 else f"{years} years"


def _label(kb: KnowledgeBase, vocabulary: str, term: str) -> str:
    return kb.vocabulary(vocabulary).labels.get(term, term)


def build_care_report(case: Case, kb: KnowledgeBase, *, include_notes: bool = False) -> CareReport:
    """The CARE draft of `case` (de-identified; notes only when `include_notes`)."""
    a: Assessment = assess(case, kb)
    timeline = build_timeline(case, kb)
    days = _Days(_first_day(case))
    subtypes = [info.label for info in a.classification] or ["cutaneous lupus erythematosus"]
    refractory = a.refractory.status is True
    rescue = case.ivig_request is not None
    drug_label = _label(kb, "drug", "intravenous immunoglobulin")
    focus = f"{'refractory ' if refractory else ''}{', '.join(subtypes)}"
    title = (
        f"{focus[:1].upper() + focus[1:]}"
        + (f" treated with {drug_label}" if rescue else "")
        + ": a case report"
    )
    keywords = ["cutaneous lupus erythematosus", *[s for s in subtypes if s]]
    if refractory:
        keywords.append("refractory disease")
    if rescue:
        keywords.append(drug_label)
    keywords.append("case report")
    keywords = list(dict.fromkeys(keywords))[:6]

    sections: list[Section] = []
    sections.append(
        Section(
            "3",
            "Abstract",
            [
                PLACEHOLDER + " (what this case adds; main "
                "findings, interventions and outcomes; the take-away lesson)"
            ],
        )
    )
    sections.append(
        Section(
            "4",
            "Introduction",
            [PLACEHOLDER + " (background with references to the relevant literature)"],
        )
    )

    # 5 patient information
    p = case.patient
    info = Section("5", "Patient information")
    who = [_age(p.age_years), p.sex or "sex not recorded"]
    if p.smoking:
        who.append(f"smoking: {_label(kb, 'smoking', p.smoking)}")
    info.paragraphs.append("Patient: " + ", ".join(who) + ".")
    for entry in case.cle:
        sites = (
            ", ".join(_label(kb, "clasi_region", s) for s in entry.sites) or "sites not recorded"
        )
        onset = f"; onset {days.partial(entry.since)}" if entry.since else ""
        info.paragraphs.append(
            f"Disease: {_label(kb, 'cle_subtype', entry.subtype)} ({sites}){onset}."
        )
    if p.conditions:
        info.paragraphs.append(
            "Other conditions: "
            + ", ".join(_label(kb, "condition", c) for c in sorted(p.conditions))
            + "."
        )
    past = [c for c in case.therapies if c.outcome != "ongoing"]
    if past:
        info.paragraphs.append("Past interventions and their outcomes:")
        info.bullets += [
            f"{_label(kb, 'drug', c.drug)}: {_label(kb, 'outcome', c.outcome)}" for c in past
        ]
    sections.append(info)

    # 6 clinical findings
    findings = Section("6", "Clinical findings")
    for f in case.findings:
        value = f" ({f.value})" if f.value is not None else ""
        note = f" — {f.note}" if include_notes and f.note else ""
        findings.bullets.append(f"{days.day(f.date)}: {_label(kb, 'finding', f.name)}{value}{note}")
    if a.clasi is not None:
        latest = a.clasi.latest
        findings.bullets.append(
            f"CLASI on {days.day(latest.date)}: activity {latest.activity}, damage "
            f"{latest.damage} ({latest.severity} activity)"
        )
    if not findings.bullets:
        findings.paragraphs.append("No dated clinical findings are recorded.")
    sections.append(findings)

    # 7 timeline
    rows: list[tuple[int, str, str]] = []
    for f in case.findings:
        rows.append(((f.date - days.day0).days, "finding", _label(kb, "finding", f.name)))
    for line in a.labs:
        rows.append(((line.date - days.day0).days, "laboratory", f"{line.label}: {line.shown}"))
    for point in timeline.clasi_activity.points:
        rows.append(((point.date - days.day0).days, "CLASI", f"activity {point.shown}"))
    for point in timeline.sledai.points:
        rows.append(((point.date - days.day0).days, "SLEDAI-2K", f"score {point.shown}"))
    for course in case.therapies:
        dose = f" {course.dose_text}" if course.dose_text else ""
        freq = f" {_label(kb, 'frequency', course.frequency)}" if course.frequency else ""
        name = _label(kb, "drug", course.drug)
        if course.start is not None and course.start.precision == "day":
            rows.append(
                ((course.start.earliest - days.day0).days, "therapy started", f"{name}{dose}{freq}")
            )
        if course.stop is not None and course.stop.precision == "day":
            rows.append(
                (
                    (course.stop.earliest - days.day0).days,
                    "therapy stopped",
                    f"{name} ({_label(kb, 'outcome', course.outcome)})",
                )
            )
    if case.ivig_request is not None and case.ivig_request.start is not None:
        rows.append(((case.ivig_request.start - days.day0).days, "IVIG", "first infusion"))
    rows.sort(key=lambda r: (r[0], r[1]))
    sections.append(
        Section(
            "7",
            "Timeline",
            ["Days are counted from the first dated entry of the record (day 0)."],
            table=(["day", "event", "detail"], [[str(d), k, t] for d, k, t in rows]),
        )
    )

    # 8 diagnostic assessment
    diag = Section("8", "Diagnostic assessment")
    lab_rows = sorted(a.labs, key=lambda x: (x.date, x.label))
    diag.table = (
        ["day", "test", "result", "flag"],
        [[str((x.date - days.day0).days), x.label, x.shown, x.flag or ""] for x in lab_rows],
    )
    eular = a.eular_acr
    if eular.classified is not None:
        diag.bullets.append(
            f"2019 EULAR/ACR SLE classification: {eular.total} points, "
            f"{'classified' if eular.classified else 'not classified'} as SLE"
        )
    diag.bullets.append(f"CLE subtype(s): {', '.join(subtypes)}")
    diag.bullets.append(
        "Refractory status: "
        + {True: "refractory", False: "not refractory", None: "cannot be judged"}[
            a.refractory.status
        ]
    )
    diag.closing.append(PLACEHOLDER + " (diagnostic challenges and reasoning)")
    sections.append(diag)

    # 9 therapeutic intervention
    tx = Section("9", "Therapeutic intervention")
    for course in case.therapies:
        parts = [_label(kb, "drug", course.drug)]
        if course.dose_text:
            parts.append(course.dose_text)
        if course.frequency:
            parts.append(_label(kb, "frequency", course.frequency))
        if course.route:
            parts.append(_label(kb, "route", course.route))
        when = ""
        if course.start is not None:
            when = f", from {days.partial(course.start)}"
        if course.stop is not None:
            when += f" to {days.partial(course.stop)}"
        note = f" — {course.note}" if include_notes and course.note else ""
        tx.bullets.append(f"{' '.join(parts)}{when}: {_label(kb, 'outcome', course.outcome)}{note}")
    if case.ivig_request is not None:
        r = case.ivig_request
        text = [f"{drug_label}:"]
        if r.induction is not None:
            span = f" over {r.induction.days} day(s)" if r.induction.days else ""
            text.append(f"induction {fmt_plain(r.induction.dose_g_per_kg)} g/kg{span}")
        if r.maintenance is not None:
            m = r.maintenance
            every = f" every {m.every_days} days" if m.every_days else ""
            cycles = f" for {m.cycles} cycle(s)" if m.cycles else ""
            text.append(f"then maintenance {fmt_plain(m.dose_g_per_kg)} g/kg{every}{cycles}")
        if r.start is not None:
            text.append(f"(starting {days.day(r.start)})")
        tx.bullets.append(" ".join(text))
    tx.closing.append(PLACEHOLDER + " (rationale for changes in treatment)")
    sections.append(tx)

    # 10 follow-up and outcomes
    fu = Section("10", "Follow-up and outcomes")
    trend_rows: list[list[str]] = []
    damage = {pt.date: pt.shown for pt in timeline.clasi_damage.points}
    for pt in timeline.clasi_activity.points:
        trend_rows.append(
            [days.day(pt.date), "CLASI", f"activity {pt.shown}, damage {damage.get(pt.date, '?')}"]
        )
    for pt in timeline.sledai.points:
        trend_rows.append([days.day(pt.date), "SLEDAI-2K", pt.shown])
    trend_rows.sort(key=lambda r: int(r[0].split()[1]))
    if trend_rows:
        fu.table = (["day", "instrument", "score"], trend_rows)
    else:
        fu.paragraphs.append("No CLASI examination or SLEDAI-2K data are recorded.")
    if a.clasi is not None and a.clasi.change is not None:
        ch = a.clasi.change
        pct = f" ({fmt(abs(ch.percent), 'percent')})" if ch.percent else ""
        if ch.points > 0:
            change = f"fell by {ch.points} points{pct}"
        elif ch.points < 0:
            change = f"rose by {-ch.points} points{pct}"
        else:
            change = "did not change"
        fu.paragraphs.append(
            f"CLASI activity {change} from {days.day(ch.baseline_date)} to "
            f"{days.day(a.clasi.latest.date)}."
        )
    fu.closing.append(PLACEHOLDER + " (adherence, tolerability, adverse and unanticipated events)")
    sections.append(fu)
    sections.append(
        Section(
            "11",
            "Discussion",
            [
                PLACEHOLDER + " (strengths and limitations, "
                "literature, rationale for conclusions, take-away lessons)"
            ],
        )
    )
    sections.append(
        Section(
            "12",
            "Patient perspective",
            [PLACEHOLDER + " (the patient's own account, where the patient wishes to give one)"],
        )
    )
    sections.append(
        Section(
            "13",
            "Informed consent",
            [
                "[Confirm that the patient gave written "
                "informed consent to publication, and keep the signed form.]"
            ],
        )
    )
    return CareReport(
        title=title,
        keywords=keywords,
        sections=sections,
        knowledge=kb.versions(),
        day0_note="Day 0 is the first dated entry of the record; no calendar dates are shown.",
    )


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def care_markdown(report: CareReport) -> str:
    """The draft as Markdown."""
    out = [f"# {report.title}", "", "**Keywords:** " + "; ".join(report.keywords), ""]
    out.append(
        "*Draft generated by clepath from a recorded case: de-identified (no names, no "
        "record numbers, no calendar dates). Check every statement before submission.*"
    )
    out.append("")
    for section in report.sections:
        out += [f"## {section.number}. {section.title}", ""]
        for para in section.paragraphs:
            out += [para, ""]
        if section.bullets:
            out += [f"- {b}" for b in section.bullets] + [""]
        if section.table is not None:
            header, rows = section.table
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
        for para in section.closing:
            out += [para, ""]
    out.append(report.day0_note)
    out.append("")
    out.append(
        f"Generated by clepath {__version__}; knowledge: "
        + ", ".join(f"{k}@{v}" for k, v in report.knowledge.items())
    )
    return "\n".join(out) + "\n"


def care_pdf(report: CareReport) -> bytes:
    """The draft as a PDF (the project's document template, `clepath.report.pdf`)."""
    from clepath.report.pdf import _build, _bullets, _p, _table

    story: list[Any] = [_p(report.title, "title"), _p("Keywords: " + "; ".join(report.keywords))]
    story.append(
        _p(
            "Draft generated by clepath from a recorded case: de-identified (no names, "
            "no record numbers, no calendar dates). Check every statement.",
            "small",
        )
    )
    for section in report.sections:
        story.append(_p(f"{section.number}. {section.title}", "h2"))
        story += [_p(x) for x in section.paragraphs]
        story += _bullets(section.bullets)
        if section.table is not None and section.table[1]:
            header, rows = section.table
            width = 1.0 / len(header)
            widths = [0.12] + [(1 - 0.12) / (len(header) - 1)] * (len(header) - 1)
            story.append(_table(header, rows, widths if len(header) > 1 else [width]))
        story += [_p(x) for x in section.closing]
    story.append(_p(report.day0_note, "small"))
    footer = "clepath CARE draft; knowledge " + ", ".join(
        f"{k}@{v}" for k, v in report.knowledge.items()
    )
    return _build(story, report.title, footer)
