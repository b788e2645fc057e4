"""Printable documents: the treatment summary of an assessment and the IVIG
prior-authorisation letter (also the CARE draft's PDF, `clepath.report.care`).

Python prepares the content; a Typst template lays it out. Each section below turns the
assessment, the IVIG plan or the knowledge packs into a list of plain blocks (a heading, a
paragraph, a labelled line, bullets, a table of cells, the timeline as SVG, the signature
lines), every number written by `clepath.domain.display`. `templates/document.typ` decides how
each kind of block looks (fonts, sizes, spacing, table rules, footer), so the page can be
restyled there without touching Python; the `typst` wheel compiles it in-process.

Fonts are the DejaVu Sans faces bundled in `fonts/` (system fonts are ignored), so µ, ≤, ≥, ×,
⁹, ², ³ and arrows print as themselves and every machine writes the same bytes; any character
the font lacks is replaced by an ASCII equivalent. The document carries no date, so the same
input gives the same bytes (`clepath report summary --pdf` and the web app's download are
byte-for-byte the same file).
"""

from __future__ import annotations

import functools
import json
import re
import struct
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from clepath import __version__
from clepath.domain.body import dated
from clepath.domain.display import fmt, fmt_plain, fmt_score_change, fmt_value
from clepath.dosing.plan import InfusionDayPlan
from clepath.engine.assess import Assessment
from clepath.engine.ivig import IvigPlanReport
from clepath.engine.options import Option
from clepath.engine.therapy import FAILURE_OUTCOMES, CourseReview
from clepath.engine.timeline import IVIG_DRUG, Timeline
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.evidence import IvigReport, Review
from clepath.report.assessment_json import DISCLAIMER
from clepath.report.timeline_svg import timeline_layout, timeline_svg

__all__ = ["FONT", "TEMPLATE", "clinical_text", "ivig_prior_auth_pdf", "pdf_safe",
           "treatment_summary_pdf", "warm_up"]

Block = dict[str, Any]
"""One block of a document, as the template reads it: `{"kind": "p", ...}` (see document.typ)."""

FONT = "DejaVu Sans"
_HERE = Path(__file__).resolve().parent
TEMPLATE = _HERE / "templates" / "document.typ"
_FONTS = _HERE / "fonts"
_ASCII = {
    "→": "->", "←": "<-", "↔": "<->", "⁹": "^9", "⁸": "^8", "⁶": "^6", "⁻": "-", "₂": "2",
    "⚠": "!", "✓": "yes", "✗": "no", "≤": "<=", "≥": ">=", "×": "x", "µ": "u", "≈": "~",
    "·": "-", "−": "-",
}
_TIMELINE_WIDTH = 720  # layout width; the template scales it to the page
_BLANK = "_" * 38


# --- fonts and text -----------------------------------------------------------------------------


def _cmap(font: bytes) -> frozenset[int]:
    """The code points a TrueType font maps to glyphs (its format 4 and 12 cmap subtables)."""
    tables = struct.unpack_from(">H", font, 4)[0]
    offset = 0
    for i in range(tables):
        tag, _, start, _ = struct.unpack_from(">4sIII", font, 12 + 16 * i)
        if tag == b"cmap":
            offset = start
    points: set[int] = set()
    for i in range(struct.unpack_from(">H", font, offset + 2)[0]):
        _, _, sub = struct.unpack_from(">HHI", font, offset + 4 + 8 * i)
        at = offset + sub
        kind = struct.unpack_from(">H", font, at)[0]
        if kind == 4:
            pairs = struct.unpack_from(">H", font, at + 6)[0] // 2
            ends = struct.unpack_from(f">{pairs}H", font, at + 14)
            starts = struct.unpack_from(f">{pairs}H", font, at + 16 + 2 * pairs)
            for first, last in zip(starts, ends, strict=True):
                points.update(range(first, min(last, 0xFFFE) + 1))
        elif kind == 12:
            groups = struct.unpack_from(">I", font, at + 12)[0]
            for g in range(groups):
                first, last, _ = struct.unpack_from(">III", font, at + 16 + 12 * g)
                points.update(range(first, last + 1))
    return frozenset(points)


@functools.cache
def _drawable() -> frozenset[int]:
    """The code points the bundled regular face can draw."""
    return _cmap((_FONTS / "DejaVuSans.ttf").read_bytes())


def pdf_safe(text: str) -> str:
    """`text` with every character the PDF font cannot draw replaced by an ASCII equivalent."""
    drawable = _drawable()
    out: list[str] = []
    for char in text:
        if ord(char) < 128 or ord(char) in drawable:
            out.append(char)
        else:
            out.append(_ASCII.get(char, "?"))
    return "".join(out)


# --- blocks -------------------------------------------------------------------------------------


def _p(text: object, style: str = "body") -> Block:
    """A paragraph; `style` is one of title, h2, h3, body, small."""
    return {"kind": "p", "style": style, "text": pdf_safe(str(text))}


def _kv(label: str, value: object, style: str = "body") -> Block:
    """A paragraph led by a bold label."""
    return {"kind": "p", "style": style, "label": pdf_safe(label), "text": pdf_safe(str(value))}


def _bullets(items: Iterable[str], style: str = "body") -> list[Block]:
    """A bulleted list (no block at all for no items)."""
    shown = [pdf_safe(i) for i in items]
    return [{"kind": "list", "style": style, "items": shown}] if shown else []


def _space(points: float) -> Block:
    return {"kind": "space", "points": points}


def _keep(*blocks: Block) -> Block:
    """Blocks kept on one page."""
    return {"kind": "keep", "blocks": list(blocks)}


def _cell(*lines: str | None, bold_first: bool = False) -> Block:
    """A table cell of several lines (None and empty lines are left out)."""
    return {"lines": [pdf_safe(x) for x in lines if x], "bold": bold_first}


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float]
           ) -> Block:
    """A table whose header repeats on each page; a cell is text or `_cell`; widths are
    fractions of the text width."""

    def cell(value: object) -> Block:
        return value if isinstance(value, dict) else _cell(str(value))

    return {"kind": "table", "widths": list(widths), "header": [pdf_safe(h) for h in header],
            "rows": [[cell(c) for c in row] for row in rows]}


class _References:
    """Citations numbered in order of first use, listed once at the end of a document."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def cite(self, items: Iterable[Mapping[str, str]]) -> str:
        """`[1, 3]` for these citations (numbering new ones), or "" for none."""
        numbers = {self._numbers.setdefault(_citation(i), len(self._numbers) + 1) for i in items}
        return "[" + ", ".join(str(n) for n in sorted(numbers)) + "]" if numbers else ""

    def blocks(self, title: str = "References") -> list[Block]:
        """The numbered list, in order of first citation."""
        if not self._numbers:
            return []
        items = [{"mark": f"[{n}]", "text": pdf_safe(text)} for text, n in self._numbers.items()]
        return [_p(title, "h2"), {"kind": "references", "items": items}]


# --- formatting ---------------------------------------------------------------------------------


def _tri(value: bool | None, yes: str = "yes", no: str = "no", unknown: str = "unknown") -> str:
    return unknown if value is None else yes if value else no


def _dates(course: CourseReview) -> str:
    """`2023-06-15 to 2023-11-20`, `2019-05-04 to now`, or what is not recorded."""
    if course.start is None and course.stop is None:
        return "dates not recorded" + (" (ongoing)" if course.outcome == "ongoing" else "")
    start = str(course.start) if course.start is not None else "start not recorded"
    if course.outcome == "ongoing":
        later = f" (recorded stop {course.stop} is after as_of)" if course.stop else ""
        return f"{start} to now{later}"
    stop = str(course.stop) if course.stop is not None else "stop not recorded"
    return f"{start} to {stop}"


def _duration(course: CourseReview) -> str:
    if course.duration_weeks is None:
        return "not known"
    return fmt(course.duration_weeks, "weeks")


def _dose(course: CourseReview) -> str:
    if course.dose_text is None:
        return "not recorded"
    shown = course.dose_text
    if course.frequency:
        shown += " " + course.frequency.replace("_", " ")
    if course.daily_dose_mg is not None and course.frequency not in (None, "daily"):
        shown += f" (about {fmt(course.daily_dose_mg, 'mg_per_day')})"
    if course.dose_mg_per_kg is not None:
        shown += f"; {fmt(course.dose_mg_per_kg, 'mg_per_kg_day')}"
        if course.above_max:
            shown += f" (above the {fmt_plain(course.max_mg_per_kg)} mg/kg maximum)"
    return shown


def _citation(item: Mapping[str, str]) -> str:
    url = item.get("url")
    return f"{clinical_text(item['citation'])}" + (f". {url}" if url else "")


# Remarks the knowledge packs keep for their maintainers (how much of a source was read, what to
# check next). A document for a payer or a colleague leaves them out (issue 12); where the remark
# says a statement was taken second-hand, the reader is told it is not confirmed in the primary
# source.
_INTERNAL = re.compile(
    r"\b(?:verify|was not seen|were not seen|not seen|title only|read only|visible text|"
    r"not (?:yet )?checked|not re-read)\b", re.IGNORECASE,
)
_SECOND_HAND = re.compile(r"\b(?:was not seen|were not seen|not seen|title only)\b",
                          re.IGNORECASE)
_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)")
_UNCONFIRMED = "not confirmed in the primary source"


def clinical_text(text: str) -> str:
    """`text` without the packs' internal research remarks (parenthesised notes such as "the full
    text was not seen", "title only" or "…: verify"); a second-hand statement keeps the words
    "not confirmed in the primary source".

    >>> clinical_text("Flares were reported (Singh 2020, citing Kuhn 2017; Kuhn's own sentence "
    ...               "was not seen).")
    'Flares were reported (Singh 2020, citing Kuhn 2017; not confirmed in the primary source).'
    >>> clinical_text("2004;15:46-50 (journal given as A or B: verify)")
    '2004;15:46-50'
    """

    def clean(match: re.Match[str]) -> str:
        inner = match.group(1)
        if not _INTERNAL.search(inner):
            return match.group(0)
        parts = [part.strip() for part in inner.split(";")]
        kept = [part for part in parts if not _INTERNAL.search(part)]
        if any(_SECOND_HAND.search(part) for part in parts) and kept != parts and kept:
            kept.append(_UNCONFIRMED)
        return f" ({'; '.join(kept)})" if kept else ""

    return _PARENTHESIS.sub(clean, text)


# --- document -----------------------------------------------------------------------------------

_LOCK = threading.Lock()


@functools.cache
def _compiler() -> Any:
    """The Typst compiler of the template, with the bundled fonts loaded once per process."""
    import typst

    return typst.Compiler(str(TEMPLATE), root=str(TEMPLATE.parent), font_paths=[str(_FONTS)],
                          ignore_system_fonts=True)


def _build(story: list[Block], title: str, footer: str) -> bytes:
    """The blocks laid out by the template as A4 PDF bytes (no date: same input, same bytes)."""
    document = {"title": pdf_safe(title), "footer": pdf_safe(footer),
                "creator": f"clepath {__version__}", "blocks": story}
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    with _LOCK:  # one compiler per process; a compile is not re-entrant
        pdf: bytes = _compiler().compile(sys_inputs={"document": data})
    return pdf


_WARMER: threading.Timer | None = None


def warm_up(*, delay_s: float = 0.0) -> None:
    """Load the compiler, the template and the fonts (a one-line document), so a served app's
    first PDF does not pay for them (0.2–0.5 s): now, or with `delay_s` in a background thread
    that many seconds from now (a server passes about a second, so this does not slow its
    start; a PDF asked for sooner loads the compiler itself, under the same lock)."""
    global _WARMER
    if delay_s <= 0:
        _build([_p("clepath")], "clepath", "clepath")
        return
    _WARMER = threading.Timer(delay_s, warm_up)
    _WARMER.daemon = True
    _WARMER.start()


def _timeline(t: Timeline) -> list[Block]:
    layout = timeline_layout(t, width=_TIMELINE_WIDTH)
    svg = timeline_svg(t, width=_TIMELINE_WIDTH)
    figure = {"kind": "figure", "svg": svg, "width": layout.width, "height": layout.height,
              "alt": pdf_safe(layout.desc)}
    return [_keep(_p("Timeline", "h2"), figure, _p(layout.desc, "small"))]


# --- shared sections ----------------------------------------------------------------------------


def _identity(a: Assessment) -> list[Block]:
    versions = ", ".join(f"{k}@{v}" for k, v in sorted(a.knowledge.items()))
    return [
        _kv("Patient reference:", a.case_id),
        _kv("Record as of:", a.as_of.isoformat()),
        _kv("Produced by:", f"clepath {__version__}"),
        _kv("Knowledge versions:", versions, "small"),
    ]


def _patient(a: Assessment) -> list[Block]:
    p = a.patient
    parts = [
        f"sex {p.get('sex') or 'not recorded'}",
        f"age {p['age_years']} years" if p.get("age_years") is not None else "age not recorded",
        f"weight {dated(fmt(p.get('weight_kg'), 'kg'), p.get('weight_date'))}",
        f"height {dated(fmt(p.get('height_cm'), 'cm'), p.get('height_date'))}",
    ]
    if p.get("bmi_kg_per_m2"):
        parts.append(f"BMI {fmt(p['bmi_kg_per_m2'], 'bmi')}")
    parts.append(f"smoking {p.get('smoking') or 'not recorded'}")
    parts.append(f"pregnant {_tri(p.get('pregnant'), unknown='not recorded')}")
    out: list[Block] = [_p("Patient", "h2"), _p("; ".join(parts) + ".")]
    out += _bullets(tuple(p.get("measurement_notes") or ()), "small")
    out += _diagnoses(a)
    return out


def _diagnoses(a: Assessment) -> list[Block]:
    if not a.classification:
        return [_p("No CLE subtype is recorded.")]
    lines = []
    for s in a.classification:
        codes = ", ".join(f"{c.system} {c.code}" + (" (unconfirmed)" if c.unconfirmed else "")
                          for c in s.icd10)
        group = s.dusseldorf_class or s.gilliam_group
        lines.append(f"{s.label} ({group})" + (f": {codes}" if codes else ""))
    return _bullets(lines)


def _alerts(rows: Sequence[tuple[str, str, str]], title: str = "Alerts") -> list[Block]:
    if not rows:
        return []
    cells = [(sev.upper(), _cell(head, text, bold_first=True)) for sev, head, text in rows]
    return [_p(title, "h2"), _table(("severity", "alert"), cells, (0.13, 0.87))]


def _scores(a: Assessment) -> list[Block]:
    rows: list[tuple[str, str, str]] = []
    if a.clasi is None:
        rows.append(("CLASI", "not recorded",
                     f"no CLASI examination is recorded on or before {a.as_of.isoformat()}"))
    else:
        latest = a.clasi.latest
        detail = f"on {latest.date.isoformat()}"
        if a.clasi.change is not None:
            c = a.clasi.change
            detail += (
                "; " + fmt_score_change(c.points, c.percent, str(c.baseline_activity))
                + f" of {c.baseline_date.isoformat()}; ≥ 4 points {_tri(c.meaningful_4_points)}, "
                f"≥ 20 % {_tri(c.meaningful_20_percent)}, CLASI-50 {_tri(c.clasi_50)}"
            )
        history = ", ".join(f"{h.date.isoformat()}: A {h.activity} / D {h.damage}"
                            for h in a.clasi.history)
        rows.append(("CLASI", f"CLASI-A {latest.activity} ({latest.severity}); CLASI-D "
                              f"{latest.damage}", f"{detail}. Examinations: {history}"))
    s = a.sledai
    band = ""
    if s.band:
        band = f" ({s.band}, scheme {s.band_scheme}{', unconfirmed' if s.band_unconfirmed else ''})"
    descriptors = ", ".join(f"{d.label} {d.weight} ({d.evidence})" for d in s.descriptors)
    rows.append(("SLEDAI-2K", f"{s.score}{band}",
                 f"{s.window_days}-day window from {s.window_start.isoformat()}: "
                 f"{descriptors or 'no descriptor scored'}"
                 + (f"; not recorded: {len(s.not_recorded)} descriptors"
                    if s.not_recorded else "")))
    e = a.eular_acr
    verdict = f"{e.total} points; classified {_tri(e.classified)}"
    if e.entry_criterion is None:
        verdict = f"{e.total} points; entry criterion not known (no ANA recorded)"
    rows.append(("EULAR/ACR 2019", verdict,
                 "; ".join(f"{k} {v}" for k, v in e.domains.items() if v) or "no criterion met"))
    sl = a.slicc
    rows.append(("SLICC 2012", f"classified {_tri(sl.classified)}",
                 f"{sl.clinical_count} clinical and {sl.immunologic_count} immunologic criteria"
                 + ("; nephritis route" if sl.nephritis_route else "")))
    return [_p("Scores", "h2"), _table(("instrument", "result", "details"), rows,
                                        (0.16, 0.26, 0.58))]


def _labs(a: Assessment) -> list[Block]:
    rows: list[tuple[str, ...]] = [
        (line.label, line.date.isoformat(), line.shown, line.flag or "") for line in a.labs
    ]
    if a.egfr is not None:
        rows.append(("eGFR", a.egfr.date.isoformat(), fmt(a.egfr.value, "egfr"),
                     a.egfr.method))
    if not rows:
        return [_p("Laboratory", "h2"), _p("No laboratory result is recorded.")]
    return [_p("Latest laboratory results", "h2"),
            _table(("test", "date", "result", "flag"), rows, (0.34, 0.18, 0.28, 0.2))]


def _therapy_rows(courses: Iterable[CourseReview]) -> list[list[object]]:
    return [
        [
            c.label,
            _dates(c),
            _duration(c),
            _dose(c),
            c.outcome,
            _cell(c.adequacy.replace("_", " "), c.adequacy_note),
        ]
        for c in courses
    ]


_THERAPY_HEADER = ("drug", "dates", "length", "dose", "outcome", "trial adequacy")
_THERAPY_WIDTHS = (0.18, 0.17, 0.1, 0.16, 0.1, 0.29)


def _therapies(a: Assessment) -> list[Block]:
    if not a.therapy.courses:
        return [_p("Therapy history", "h2"), _p("No therapy course is recorded.")]
    return [_p("Therapy history", "h2"),
            _table(_THERAPY_HEADER, _therapy_rows(a.therapy.courses), _THERAPY_WIDTHS)]


def _glucocorticoids(a: Assessment) -> list[Block]:
    g = a.glucocorticoids
    targets = "; ".join(
        f"{t.guideline} {t.operator} {fmt_plain(t.threshold_mg)} mg/day: "
        f"{_tri(t.met, 'met', 'not met')}"
        for t in g.targets
    )
    if g.cumulative_mg is None:
        cumulative = "not computable"
    else:
        cumulative = fmt(g.cumulative_mg, "mg") + ("" if g.cumulative_complete
                                                     else " (incomplete, a lower bound)")
    current = ", ".join(f"{d.label} {fmt(d.daily_dose_mg, 'mg_per_day')}" for d in g.current)
    return [
        _p("Glucocorticoid exposure", "h2"),
        _kv("Prednisone equivalent now:",
            f"{fmt(g.prednisone_equivalent_mg_per_day, 'mg_per_day')}"
            + (f" ({current})" if current else "")),
        _kv("Maintenance targets:", targets or "none"),
        _kv("Cumulative prednisone equivalent:", cumulative),
        *_bullets(g.notes, "small"),
    ]


# The pack whose rows define refractoriness (their ids and sources are the page's "Sources").
_REFRACTORY_PACK = "pathway"


def _refractory(a: Assessment, kb: KnowledgeBase, refs: _References) -> list[Block]:
    r = a.refractory
    verdict = {True: "refractory", False: "not refractory", None: "cannot be judged"}[r.status]
    rows = []
    for d in r.definitions:
        state = {True: "met", False: "not met", None: "cannot be judged"}[d.met]
        rows.append((d.label, state, _cell(
            "; ".join(d.reasons) or None,
            f"Missing: {'; '.join(d.missing)}" if d.missing else None,
            f"Sources: {', '.join(d.sources)} {refs.cite(kb.cite(_REFRACTORY_PACK, d.sources))}"
            if d.sources else None,
            f"Rule: {_REFRACTORY_PACK} definition {d.id}",
        )))
    out: list[Block] = [
        _p("Refractory status", "h2"),
        _kv("Status:", verdict + ("; the severe-refractory label applies" if r.severe else "")),
        _table(("definition", "result", "reasons and gaps"), rows, (0.3, 0.14, 0.56)),
    ]
    out += _bullets(r.notes, "small")
    return out


def _stance_lines(option: Option) -> list[str]:
    return [clinical_text(f"{s.guideline}: {s.stance.replace('_', ' ')}. {s.wording}")
            for s in option.stances]


def _options(a: Assessment, refs: _References) -> list[Block]:
    rows = []
    for o in a.options:
        head = _cell(o.label, o.status.replace("_", " "), o.line_label or o.line, bold_first=True)
        if o.status == "failed":  # the therapy history says why; the stances add nothing here
            rows.append((head, _cell(clinical_text(o.rationale or "")), ""))
            continue
        body = _cell(clinical_text(o.rationale or ""), *_stance_lines(o),
                     clinical_text(o.evidence or ""),
                     *(clinical_text(f"Caution: {c.message}") for c in o.cautions))
        rows.append((head, body, refs.cite(o.sources)))
    return [_p("Options", "h2"),
            _table(("agent, status and line", "rationale, guideline stances, evidence and cautions",
                    "sources"), rows, (0.2, 0.68, 0.12))]


def _measures(a: Assessment, refs: _References) -> list[Block]:
    if not a.measures:
        return []
    return [_p("General measures", "h2"),
            *_bullets(clinical_text(f"{m.label}: {m.text} {refs.cite(m.sources)}".strip())
                      for m in a.measures)]


def _footer(a: Assessment, what: str) -> str:
    return f"clepath {what} - patient reference {a.case_id} - record as of {a.as_of.isoformat()}"


def _knowledge(kb: KnowledgeBase | None) -> KnowledgeBase:
    if kb is not None:
        return kb
    from clepath.knowledge.loader import load_knowledge

    return load_knowledge()


# --- the treatment summary ----------------------------------------------------------------------


def treatment_summary_pdf(
    assessment: Assessment, *, timeline: Timeline | None = None, kb: KnowledgeBase | None = None
) -> bytes:
    """The assessment as a printable treatment summary (A4 PDF bytes).

    Args:
        assessment: the result of `clepath.engine.assess.assess`.
        timeline: the case's timeline (`build_timeline`), drawn after the scores when given.
        kb: the knowledge base the assessment was made with, for the citations of the
            refractory definitions; loaded with `load_knowledge()` when not given.

    Returns:
        The PDF; the same inputs give the same bytes.
    """
    kb = _knowledge(kb)
    a = assessment
    refs = _References()
    story: list[Block] = [_p("Treatment summary", "title"), *_identity(a), *_patient(a)]
    story += _alerts([(x.severity, x.title, x.message) for x in a.alerts])
    story += _scores(a) + _labs(a)
    story += _therapies(a) + _glucocorticoids(a) + _refractory(a, kb, refs)
    if timeline is not None:
        story += _timeline(timeline)
    story += _options(a, refs) + _measures(a, refs)
    story += [_space(8), _p(DISCLAIMER, "small"), *refs.blocks()]
    return _build(story, f"clepath treatment summary {a.case_id}", _footer(a, "treatment summary"))


# --- the IVIG prior-authorisation letter --------------------------------------------------------


def _ivig_option(a: Assessment) -> Option | None:
    return next((o for o in a.options if o.agent == IVIG_DRUG), None)


def _failed(a: Assessment) -> list[Block]:
    failed = [c for c in a.therapy.courses if c.outcome in FAILURE_OUTCOMES]
    current = [c for c in a.therapy.courses if c.outcome == "ongoing"]
    out: list[Block] = [_p("2. Treatment history", "h2")]
    if failed:
        out += [_p("Therapies that failed or were not tolerated", "h3"),
                _table(_THERAPY_HEADER, _therapy_rows(failed), _THERAPY_WIDTHS)]
    else:
        out.append(_p("No failed or not-tolerated therapy is recorded."))
    if current:
        out += [_p("Current therapies", "h3"),
                _table(_THERAPY_HEADER, _therapy_rows(current), _THERAPY_WIDTHS)]
    return out + _glucocorticoids(a)[1:]


def _activity(a: Assessment, kb: KnowledgeBase, refs: _References) -> list[Block]:
    scores = _scores(a)[1:]
    refractory = _refractory(a, kb, refs)[1:]
    return [_p("3. Disease activity and refractory status", "h2"), *scores,
            _p("Refractory status", "h3"), *refractory,
            _p("Latest laboratory results", "h3"), *_labs(a)[1:]]


def _guideline(a: Assessment, report: IvigPlanReport, refs: _References) -> list[Block]:
    out: list[Block] = [_p("4. Guideline position on IVIG", "h2")]
    rows = []
    for s in report.guideline_stances:
        cited = report.stance_citations.get(getattr(s, "source", ""))
        rows.append((s.guideline, s.stance.replace("_", " "), clinical_text(s.wording or ""),
                     refs.cite([cited] if cited else [])))
    out.append(_table(("guideline", "stance", "wording", "source"), rows,
                      (0.25, 0.14, 0.49, 0.12)))
    option = _ivig_option(a)
    if option is not None:
        out.append(_space(4))
        out.append(_kv("Place in the treatment options:",
                       f"{option.line_label or option.line or 'not placed'}; status "
                       f"{option.status.replace('_', ' ')}. "
                       f"{clinical_text(option.rationale or '')}"))
    return out


# The evidence pack says "none mentioned in the visible text" where the part of a report it
# read (`verified`: abstract, first page...) names no adverse event: for the reader, not
# reported, and not confirmed in the full text unless the full text was read.
_NOT_MENTIONED = re.compile(r"^\s*none mentioned\b", re.IGNORECASE)


def _adverse_events(report: IvigReport) -> str | None:
    """The safety line of one published report, in clinical words (None when the pack has
    nothing on adverse events): "not reported" where the report mentions none.
    """
    text = report.adverse_events
    if not text:
        return None
    if _NOT_MENTIONED.match(text):
        unread = "" if report.verified == "full" else " (not confirmed in the full text)"
        return f"Adverse events: not reported{unread}"
    return f"Adverse events: {clinical_text(text)}"


def _evidence(a: Assessment, kb: KnowledgeBase, refs: _References) -> list[Block]:
    out: list[Block] = [_p("5. Published evidence", "h2")]
    option = _ivig_option(a)
    if option is not None and option.evidence:
        out.append(_kv("Summary:", clinical_text(option.evidence)))
    for review in (r for r in kb.table("evidence", "reviews", Review) if r.ivig):
        cited = refs.cite(kb.cite("evidence", review.source))
        out.append(_p(f"Systematic review: {clinical_text(review.title)} {cited}", "h3"))
        out += _bullets([clinical_text(t) for t in (*review.findings, f"On IVIG: {review.ivig}")])
    reports = sorted(kb.table("evidence", "ivig_reports", IvigReport), key=lambda r: r.year)
    rows = [
        (_cell(clinical_text(r.citation), refs.cite(kb.cite("evidence", r.source))),
         str(r.n) if r.n else "not known", clinical_text(r.subtype),
         clinical_text(r.regimen_text),
         _cell(clinical_text(r.outcome), f"Response class: {r.response}"),
         _cell(r.flare_signal and f"Flare or induced CLE: {clinical_text(r.flare_signal)}",
               _adverse_events(r)))
        for r in reports
    ]
    version = kb.versions().get("evidence", "?")
    out.append(_p(f"Reports of IVIG in cutaneous lupus (evidence pack {version})", "h3"))
    out.append(_table(("report", "n", "subtype", "regimen", "outcome", "safety signals"),
                      rows, (0.17, 0.07, 0.14, 0.19, 0.25, 0.18)))
    return out


def _regimen(report: IvigPlanReport) -> list[Block]:
    plan = report.plan
    g, w = plan.regimen, plan.dosing_weight
    parts = []
    if g.induction is not None:
        parts.append(f"induction {fmt(g.induction.dose_g_per_kg, 'g_per_kg')} "
                     f"over {g.induction.days} "
                     f"day{'s' if g.induction.days != 1 else ''}")
    if g.maintenance is not None:
        m = g.maintenance
        parts.append(f"maintenance {fmt(m.dose_g_per_kg, 'g_per_kg')} over {m.days} "
                     f"day{'s' if m.days != 1 else ''} every {m.every_days} days, "
                     f"{m.cycles} cycles")
    product = "none chosen (plan in grams)"
    if plan.product is not None:
        product = (f"{plan.product.label}, {fmt(plan.product.concentration_mg_per_ml, 'mg_per_ml')}"
                   f"; vials {', '.join(fmt_plain(v) for v in plan.product.vials_g)} g")
    rows = [
        (f"{c.kind} {c.number}", c.start.isoformat(), str(len(c.infusion_days)),
         fmt_value(c.dose_g_per_kg, "g_per_kg"), ", ".join(_day_amount(d) for d in c.infusion_days),
         fmt(c.total_grams, "ivig_g") + (" (held back by the review rule)" if c.blocked else ""))
        for c in sorted(plan.courses, key=lambda c: c.start)
    ]
    total = sum(c.total_grams for c in plan.courses)
    weight = (f"{fmt(w.kg, 'dosing_kg')} ({w.basis.replace('_', '-')} weight) under the policy "
              f"{w.policy_label}. Rule {w.rule}: {w.reason}.")
    measured = (f"Actual weight {w.measured}; height {w.height_measured}; "
                f"BMI {fmt(w.bmi, 'bmi')}; ideal body weight {fmt(w.ibw_kg, 'dosing_kg')}.")
    return [
        _p("6. Requested regimen", "h2"),
        _kv("Regimen:", "; ".join(parts) + (f" ({g.preset_label})" if g.preset_label else "")),
        _kv("Product:", product),
        _kv("Dosing weight:", weight),
        _p(measured, "small"),
        *_bullets(w.notes + w.not_used + g.notes, "small"),
        _kv("Rounding:", f"each course total to the nearest {fmt(plan.rounding_step_g, 'ivig_g')} "
                         f"({plan.rounding_mode}), then divided into days."),
        _space(3),
        _table(("course", "start", "days", "g/kg", "grams per day", "grams per course"), rows,
               (0.16, 0.14, 0.08, 0.08, 0.3, 0.24)),
        _kv("Total requested:", f"{fmt(total, 'ivig_g')} over {len(plan.courses)} "
                                f"course{'s' if len(plan.courses) != 1 else ''}, from "
                                f"{plan.start.isoformat()}."),
    ]


def _day_amount(day: InfusionDayPlan) -> str:
    """Grams of one infusion day, with its volume when a product is chosen (60 g = 600 mL)."""
    grams = fmt(day.grams, "ivig_g")
    return grams if day.volume_ml is None else f"{grams} = {fmt(day.volume_ml, 'ml')}"


def _safety(report: IvigPlanReport) -> list[Block]:
    plan = report.plan
    verdict = ("blocked: a hard stop or the review rule holds the plan back" if plan.blocked
               else "no hard stop")
    out: list[Block] = [_p("7. Safety screen", "h2"), _kv("Result:", verdict)]
    risks = plan.risks
    for name, items in (("Thrombosis risk factors", risks.thrombosis),
                        ("Renal risk factors", risks.renal),
                        ("Hyperviscosity risk factors", risks.hyperviscosity)):
        out.append(_kv(f"{name}:", "; ".join(items) if items else "none recorded"))
    out += _alerts([(x.severity, x.title, x.message) for x in plan.alerts], "Safety alerts")
    rows = [(c.check, c.status, _cell(c.detail or None, c.when)) for c in plan.checklist]
    out += [_p("Pre-infusion checklist", "h3"),
            _table(("check", "status", "detail and timing"), rows, (0.4, 0.14, 0.46))]
    v = plan.review
    review = [f"baseline CLASI-A {v.baseline.activity} on {v.baseline.date.isoformat()}"
              if v.baseline else "no baseline CLASI-A is recorded"]
    if v.rescore_due is not None:
        review.append(f"CLASI re-scored before cycle {v.rescore_cycle}, by "
                      f"{v.rescore_due.isoformat()}")
    review.append(f"cycles beyond {v.max_cycles} need a CLASI-A fall of at least "
                  f"{fmt(100 * v.response_threshold, 'percent')}")
    out += [_p("8. Response review", "h2"), _p("; ".join(review) + ".")]
    out += _bullets([text for _, text in v.wording], "small")
    if plan.unconfirmed:
        out.append(_kv("Configurable defaults, unconfirmed, used by this plan:",
                       ", ".join(plan.unconfirmed), "small"))
    return out


def _signature(parties: Mapping[str, str]) -> list[Block]:
    fields = (("Requesting clinician", parties.get("prescriber_name")), ("Specialty", None),
              ("Registration number", parties.get("prescriber_registration")),
              ("Address and telephone", parties.get("prescriber_contact")),
              ("Signature", None), ("Date", None))
    lines = [{"label": pdf_safe(f), "value": pdf_safe(value or _BLANK)} for f, value in fields]
    return [_keep(_p("Clinician", "h2"), {"kind": "signature", "lines": lines})]


# The letter's identifying fields (issue 12): given by the web app from its own store, never
# from a case file.
_PATIENT_FIELDS = (("patient_name", "Patient:"), ("birth_date", "Date of birth:"),
                   ("record_number", "Hospital record number:"), ("payer", "Insurer:"),
                   ("member_number", "Member number:"))


def _addressee(parties: Mapping[str, str]) -> list[Block]:
    to = "; ".join(v for v in (parties.get("payer"), parties.get("payer_address")) if v)
    out: list[Block] = [_kv("To:", to or _BLANK)]
    out += [_kv(label, parties[key]) for key, label in _PATIENT_FIELDS if parties.get(key)]
    return out


def ivig_prior_auth_pdf(
    assessment: Assessment, plan: IvigPlanReport, *, kb: KnowledgeBase | None = None,
    parties: Mapping[str, str] | None = None,
) -> bytes:
    """An IVIG prior-authorisation letter (A4 PDF bytes), with a blank signature block.

    Args:
        assessment: the case's assessment (`clepath.engine.assess.assess`).
        plan: the case's IVIG plan (`clepath.engine.ivig.plan_for_case`).
        kb: the knowledge base the two were made with, for the `evidence` pack's IVIG
            literature; loaded with `load_knowledge()` when not given.
        parties: the patient's identifiers, the payer and the prescriber (keys `patient_name`,
            `birth_date`, `record_number`, `payer`, `payer_address`, `member_number`,
            `prescriber_name`, `prescriber_registration`, `prescriber_contact`); blank lines
            to fill in by hand where absent.

    Returns:
        The PDF; the same inputs give the same bytes.
    """
    kb = _knowledge(kb)
    a = assessment
    refs = _References()
    intro = (
        "This letter requests authorisation of intravenous immunoglobulin (IVIG) for the "
        "patient identified below. The clinical information is taken from the patient's record "
        f"as of {a.as_of.isoformat()}; statements on guidelines and published evidence are "
        "quoted from clepath's knowledge packs with their sources."
    )
    story: list[Block] = [
        _p("Request for prior authorisation: intravenous immunoglobulin (IVIG)", "title"),
        *_addressee(parties or {}),
        *_identity(a),
        _space(6),
        _p(intro),
        _p("1. Diagnosis", "h2"),
        *_diagnoses(a),
        *_failed(a),
        *_activity(a, kb, refs),
        *_guideline(a, plan, refs),
        *_evidence(a, kb, refs),
        *_regimen(plan),
        *_safety(plan),
        *_signature(parties or {}),
        _space(8),
        _p(DISCLAIMER, "small"),
        *refs.blocks(),
    ]
    return _build(story, f"IVIG prior authorisation {a.case_id}", _footer(a, "IVIG request"))

