"""Printable documents, built server-side with reportlab: the treatment summary of an
assessment and the IVIG prior-authorisation letter.

Every clinical statement printed here comes from the assessment, the IVIG plan or the knowledge
packs (with their sources); the code adds only headings, field names and plain connecting
prose. The font is Bitstream Vera, which reportlab ships, so µ, ≤, ≥ and × print as themselves;
any other character the font lacks is replaced by an ASCII equivalent ("->" for an arrow).
Documents are built with `invariant=1` and uncompressed pages, so the same input gives the same
bytes and the text can be searched in the raw content streams.

This module is longer than most because the two documents share their styles, tables and the
drawing of the timeline, which is the same shape list `clepath.report.timeline_svg` writes as SVG.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.graphics import shapes as rg
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

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
from clepath.report.timeline_svg import (
    Box,
    Dot,
    Group,
    Label,
    Layout,
    Line,
    Polygon,
    PolyLine,
    Shape,
    timeline_layout,
)

__all__ = ["FONT", "ivig_prior_auth_pdf", "pdf_safe", "treatment_summary_pdf"]

FONT = "ClepathVera"
_BOLD, _ITALIC, _BOLD_ITALIC = f"{FONT}-Bold", f"{FONT}-Italic", f"{FONT}-BoldItalic"
_FILES = {FONT: "Vera.ttf", _BOLD: "VeraBd.ttf", _ITALIC: "VeraIt.ttf", _BOLD_ITALIC: "VeraBI.ttf"}
_ASCII = {
    "→": "->", "←": "<-", "↔": "<->", "⁹": "^9", "⁸": "^8", "⁶": "^6", "⁻": "-", "₂": "2",
    "⚠": "!", "✓": "yes", "✗": "no", "≤": "<=", "≥": ">=", "×": "x", "µ": "u", "≈": "~",
    "·": "-", "−": "-",
}
_TIMELINE_WIDTH = 720  # layout width; scaled to the page, text stays about 7.5 pt
_MARGIN = 18 * mm
_FRAME_WIDTH = A4[0] - 2 * _MARGIN - 12  # the frame's own padding is 6 pt a side
_DRAWING_HEIGHT = 640.0  # the tallest timeline drawing, leaving room for its heading
_INK = colors.HexColor("#222222")
_RULE = colors.HexColor("#bbbbbb")
_SHADE = colors.HexColor("#eeeeee")
_BLANK = "_" * 38


# --- fonts and text -----------------------------------------------------------------------------


@functools.cache
def _fonts() -> frozenset[int]:
    """Register the Vera family once; the code points the regular face can draw."""
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=_BOLD, italic=_ITALIC, boldItalic=_BOLD_ITALIC
    )
    face = pdfmetrics.getFont(FONT).face
    return frozenset(face.charToGlyph)


def pdf_safe(text: str) -> str:
    """`text` with every character the PDF font cannot draw replaced by an ASCII equivalent."""
    drawable = _fonts()
    out: list[str] = []
    for char in text:
        if ord(char) < 128 or ord(char) in drawable:
            out.append(char)
        else:
            out.append(_ASCII.get(char, "?"))
    return "".join(out)


def _esc(text: object) -> str:
    # the font has no superscript nine: ×10⁹/L is drawn with a raised 9
    marked = escape(pdf_safe(str(text).replace("⁹", "\x00")))
    return marked.replace("\x00", "<super>9</super>")


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5, textColor=_INK)
    return {
        "body": base,
        "title": ParagraphStyle("title", base, fontName=_BOLD, fontSize=15, leading=19,
                                spaceAfter=4),
        "h2": ParagraphStyle("h2", base, fontName=_BOLD, fontSize=11.5, leading=14,
                             spaceBefore=9, spaceAfter=3, keepWithNext=1),
        "h3": ParagraphStyle("h3", base, fontName=_BOLD, fontSize=9.5, leading=12,
                             spaceBefore=5, spaceAfter=2, keepWithNext=1),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=9.8),
        "head": ParagraphStyle("head", base, fontName=_BOLD, fontSize=8, leading=9.8),
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9.2,
                                textColor=colors.HexColor("#444444")),
        "bullet": ParagraphStyle("bullet", base, leftIndent=10, bulletIndent=2,
                                 bulletFontName=FONT),
        "reference": ParagraphStyle("reference", base, fontSize=7.5, leading=9.2, leftIndent=18,
                                    bulletIndent=0, bulletFontName=FONT, bulletFontSize=7.5,
                                    spaceAfter=1.5),
    }


def _p(text: object, style: str = "body") -> Paragraph:
    return Paragraph(_esc(text), _styles()[style])


def _kv(label: str, value: object, style: str = "body") -> Paragraph:
    return Paragraph(f"<b>{_esc(label)}</b> {_esc(value)}", _styles()[style])


def _bullets(items: Iterable[str], style: str = "bullet") -> list[Flowable]:
    chosen = _styles()[style]
    if style != "bullet":
        chosen = ParagraphStyle(f"{style}-bullet", chosen, leftIndent=10, bulletIndent=2,
                                bulletFontName=FONT, bulletFontSize=chosen.fontSize)
    return [Paragraph(_esc(item), chosen, bulletText="•") for item in items]


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float]
           ) -> Table:
    """A wrapped table; each cell is text or a flowable, widths are fractions of the frame."""
    frame = _FRAME_WIDTH
    data: list[list[object]] = [[_p(h, "head") for h in header]]
    for row in rows:
        data.append([c if isinstance(c, Flowable) else _p(c, "cell") for c in row])
    table = Table(data, colWidths=[w * frame for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
        ("GRID", (0, 0), (-1, -1), 0.4, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _cell(*lines: str | None, bold_first: bool = False) -> Paragraph:
    """A table cell of several lines (None and empty lines are left out)."""
    shown = [_esc(x) for x in lines if x]
    if bold_first and shown:
        shown[0] = f"<b>{shown[0]}</b>"
    return Paragraph("<br/>".join(shown), _styles()["cell"])


class _References:
    """Citations numbered in order of first use, listed once at the end of a document."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def cite(self, items: Iterable[Mapping[str, str]]) -> str:
        """`[1, 3]` for these citations (numbering new ones), or "" for none."""
        numbers = {self._numbers.setdefault(_citation(i), len(self._numbers) + 1) for i in items}
        return "[" + ", ".join(str(n) for n in sorted(numbers)) + "]" if numbers else ""

    def flowables(self, title: str = "References") -> list[Flowable]:
        """The numbered list, in order of first citation."""
        if not self._numbers:
            return []
        lines = [Paragraph(_esc(text), _styles()["reference"], bulletText=f"[{n}]")
                 for text, n in self._numbers.items()]
        return [_p(title, "h2"), *lines]


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
    r"not (?:yet )?checked)\b", re.IGNORECASE,
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


def _build(story: list[Flowable], title: str, footer: str) -> bytes:
    _fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=16 * mm,
        bottomMargin=_MARGIN,
        title=pdf_safe(title),
        author="clepath",
        creator=f"clepath {__version__}",
        subject=pdf_safe(title),
        invariant=1,
        pageCompression=0,
    )

    def on_page(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(_MARGIN, 10 * mm, pdf_safe(footer))
        canvas.drawRightString(A4[0] - _MARGIN, 10 * mm, f"page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _drawing(layout: Layout, width: float, height: float) -> rg.Drawing:
    """The timeline's shapes as a reportlab drawing at most `width` by `height` points."""
    scale = min(width / layout.width, height / layout.height)
    group = rg.Group(transform=(scale, 0, 0, scale, 0, 0))
    for shape in layout.children:
        _draw(group, shape, layout.height)
    drawing = rg.Drawing(layout.width * scale, layout.height * scale)
    drawing.add(rg.Rect(0, 0, layout.width * scale, layout.height * scale,
                        fillColor=colors.white, strokeColor=None))
    drawing.add(group)
    return drawing


def _colour(value: str | None) -> colors.Color | None:
    return None if value in (None, "none") else colors.HexColor(value)


def _dash(value: str | None) -> list[float] | None:
    return [float(x) for x in value.split()] if value else None


def _flat(points: Iterable[tuple[float, float]], height: float) -> list[float]:
    return [v for x, y in points for v in (x, height - y)]


def _draw(group: rg.Group, shape: Shape, h: float) -> None:
    if isinstance(shape, Group):
        for child in shape.children:
            _draw(group, child, h)
    elif isinstance(shape, Line):
        group.add(rg.Line(shape.x1, h - shape.y1, shape.x2, h - shape.y2,
                          strokeColor=_colour(shape.stroke), strokeWidth=shape.width,
                          strokeDashArray=_dash(shape.dash)))
    elif isinstance(shape, PolyLine):
        group.add(rg.PolyLine(_flat(shape.points, h), strokeColor=_colour(shape.stroke),
                              strokeWidth=shape.width, strokeDashArray=_dash(shape.dash)))
    elif isinstance(shape, Box):
        group.add(rg.Rect(shape.x, h - shape.y - shape.h, shape.w, shape.h,
                          fillColor=_colour(shape.fill), strokeColor=_colour(shape.stroke),
                          strokeWidth=0.8, strokeDashArray=_dash(shape.dash)))
    elif isinstance(shape, Dot):
        group.add(rg.Circle(shape.cx, h - shape.cy, shape.r, fillColor=_colour(shape.fill),
                            strokeColor=_colour(shape.stroke), strokeWidth=1.2))
    elif isinstance(shape, Polygon):
        group.add(rg.Polygon(_flat(shape.points, h), fillColor=_colour(shape.fill),
                             strokeColor=_colour(shape.stroke), strokeWidth=1.2,
                             strokeDashArray=_dash(shape.dash)))
    elif isinstance(shape, Label):
        group.add(rg.String(shape.x, h - shape.y, pdf_safe(shape.text),
                            fontName=_BOLD if shape.bold else FONT, fontSize=shape.size,
                            fillColor=_colour(shape.fill), textAnchor=shape.anchor))


def _timeline(t: Timeline) -> list[Flowable]:
    layout = timeline_layout(t, width=_TIMELINE_WIDTH)
    drawing = _drawing(layout, _FRAME_WIDTH, _DRAWING_HEIGHT)
    return [CondPageBreak(160 * mm),
            KeepTogether([_p("Timeline", "h2"), drawing, _p(layout.desc, "small")])]


# --- shared sections ----------------------------------------------------------------------------


def _identity(a: Assessment) -> list[Flowable]:
    versions = ", ".join(f"{k}@{v}" for k, v in sorted(a.knowledge.items()))
    return [
        _kv("Patient reference:", a.case_id),
        _kv("Record as of:", a.as_of.isoformat()),
        _kv("Produced by:", f"clepath {__version__}"),
        _kv("Knowledge versions:", versions, "small"),
    ]


def _patient(a: Assessment) -> list[Flowable]:
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
    out: list[Flowable] = [_p("Patient", "h2"), _p("; ".join(parts) + ".")]
    out += _bullets(tuple(p.get("measurement_notes") or ()), "small")
    out += _diagnoses(a)
    return out


def _diagnoses(a: Assessment) -> list[Flowable]:
    if not a.classification:
        return [_p("No CLE subtype is recorded.")]
    lines = []
    for s in a.classification:
        codes = ", ".join(f"{c.system} {c.code}" + (" (unconfirmed)" if c.unconfirmed else "")
                          for c in s.icd10)
        group = s.dusseldorf_class or s.gilliam_group
        lines.append(f"{s.label} ({group})" + (f": {codes}" if codes else ""))
    return _bullets(lines)


def _alerts(rows: Sequence[tuple[str, str, str]], title: str = "Alerts") -> list[Flowable]:
    if not rows:
        return []
    cells = [(sev.upper(), _cell(head, text, bold_first=True)) for sev, head, text in rows]
    return [_p(title, "h2"), _table(("severity", "alert"), cells, (0.13, 0.87))]


def _scores(a: Assessment) -> list[Flowable]:
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


def _labs(a: Assessment) -> list[Flowable]:
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


def _therapies(a: Assessment) -> list[Flowable]:
    if not a.therapy.courses:
        return [_p("Therapy history", "h2"), _p("No therapy course is recorded.")]
    return [_p("Therapy history", "h2"),
            _table(_THERAPY_HEADER, _therapy_rows(a.therapy.courses), _THERAPY_WIDTHS)]


def _glucocorticoids(a: Assessment) -> list[Flowable]:
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


def _refractory(a: Assessment) -> list[Flowable]:
    r = a.refractory
    verdict = {True: "refractory", False: "not refractory", None: "cannot be judged"}[r.status]
    rows = []
    for d in r.definitions:
        state = {True: "met", False: "not met", None: "cannot be judged"}[d.met]
        rows.append((d.label, state, _cell(
            "; ".join(d.reasons) or None,
            f"Missing: {'; '.join(d.missing)}" if d.missing else None,
            f"Sources: {', '.join(d.sources)}" if d.sources else None,
        )))
    out: list[Flowable] = [
        _p("Refractory status", "h2"),
        _kv("Status:", verdict + ("; the severe-refractory label applies" if r.severe else "")),
        _table(("definition", "result", "reasons and gaps"), rows, (0.3, 0.14, 0.56)),
    ]
    out += _bullets(r.notes, "small")
    return out


def _stance_lines(option: Option) -> list[str]:
    return [f"{s.guideline}: {s.stance.replace('_', ' ')}. {s.wording}" for s in option.stances]


def _options(a: Assessment, refs: _References) -> list[Flowable]:
    rows = []
    for o in a.options:
        head = _cell(o.label, o.status.replace("_", " "), o.line_label or o.line, bold_first=True)
        if o.status == "failed":  # the therapy history says why; the stances add nothing here
            rows.append((head, _cell(o.rationale), ""))
            continue
        body = _cell(o.rationale, *_stance_lines(o), o.evidence,
                     *(f"Caution: {c.message}" for c in o.cautions))
        rows.append((head, body, refs.cite(o.sources)))
    return [_p("Options", "h2"),
            _table(("agent, status and line", "rationale, guideline stances, evidence and cautions",
                    "sources"), rows, (0.2, 0.68, 0.12))]


def _measures(a: Assessment, refs: _References) -> list[Flowable]:
    if not a.measures:
        return []
    return [_p("General measures", "h2"),
            *_bullets(f"{m.label}: {m.text} {refs.cite(m.sources)}".strip() for m in a.measures)]


def _footer(a: Assessment, what: str) -> str:
    return f"clepath {what} - patient reference {a.case_id} - record as of {a.as_of.isoformat()}"


# --- the treatment summary ----------------------------------------------------------------------


def treatment_summary_pdf(assessment: Assessment, *, timeline: Timeline | None = None) -> bytes:
    """The assessment as a printable treatment summary (A4 PDF bytes).

    Args:
        assessment: the result of `clepath.engine.assess.assess`.
        timeline: the case's timeline (`build_timeline`), drawn after the scores when given.

    Returns:
        The PDF; the same inputs give the same bytes.
    """
    a = assessment
    story: list[Flowable] = [_p("Treatment summary", "title"), *_identity(a), *_patient(a)]
    story += _alerts([(x.severity, x.title, x.message) for x in a.alerts])
    story += _scores(a) + _labs(a)
    story += _therapies(a) + _glucocorticoids(a) + _refractory(a)
    if timeline is not None:
        story += _timeline(timeline)
    refs = _References()
    story += _options(a, refs) + _measures(a, refs)
    story += [Spacer(1, 8), _p(DISCLAIMER, "small"), *refs.flowables()]
    return _build(story, f"clepath treatment summary {a.case_id}", _footer(a, "treatment summary"))


# --- the IVIG prior-authorisation letter --------------------------------------------------------


def _ivig_option(a: Assessment) -> Option | None:
    return next((o for o in a.options if o.agent == IVIG_DRUG), None)


def _failed(a: Assessment) -> list[Flowable]:
    failed = [c for c in a.therapy.courses if c.outcome in FAILURE_OUTCOMES]
    current = [c for c in a.therapy.courses if c.outcome == "ongoing"]
    out: list[Flowable] = [_p("2. Treatment history", "h2")]
    if failed:
        out += [_p("Therapies that failed or were not tolerated", "h3"),
                _table(_THERAPY_HEADER, _therapy_rows(failed), _THERAPY_WIDTHS)]
    else:
        out.append(_p("No failed or not-tolerated therapy is recorded."))
    if current:
        out += [_p("Current therapies", "h3"),
                _table(_THERAPY_HEADER, _therapy_rows(current), _THERAPY_WIDTHS)]
    return out + _glucocorticoids(a)[1:]


def _activity(a: Assessment) -> list[Flowable]:
    scores = _scores(a)[1:]
    refractory = _refractory(a)[1:]
    return [_p("3. Disease activity and refractory status", "h2"), *scores,
            _p("Refractory status", "h3"), *refractory,
            _p("Latest laboratory results", "h3"), *_labs(a)[1:]]


def _guideline(a: Assessment, report: IvigPlanReport, refs: _References) -> list[Flowable]:
    out: list[Flowable] = [_p("4. Guideline position on IVIG", "h2")]
    rows = []
    for s in report.guideline_stances:
        cited = report.stance_citations.get(getattr(s, "source", ""))
        rows.append((s.guideline, s.stance.replace("_", " "), clinical_text(s.wording or ""),
                     refs.cite([cited] if cited else [])))
    out.append(_table(("guideline", "stance", "wording", "source"), rows,
                      (0.25, 0.14, 0.49, 0.12)))
    option = _ivig_option(a)
    if option is not None:
        out.append(Spacer(1, 4))
        out.append(_kv("Place in the treatment options:",
                       f"{option.line_label or option.line or 'not placed'}; status "
                       f"{option.status.replace('_', ' ')}. "
                       f"{clinical_text(option.rationale or '')}"))
    return out


def _evidence(a: Assessment, kb: KnowledgeBase, refs: _References) -> list[Flowable]:
    out: list[Flowable] = [_p("5. Published evidence", "h2")]
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
               r.adverse_events and f"Adverse events: {clinical_text(r.adverse_events)}"))
        for r in reports
    ]
    version = kb.versions().get("evidence", "?")
    out.append(_p(f"Reports of IVIG in cutaneous lupus (evidence pack {version})", "h3"))
    out.append(_table(("report", "n", "subtype", "regimen", "outcome", "safety signals"),
                      rows, (0.17, 0.07, 0.14, 0.19, 0.25, 0.18)))
    return out


def _regimen(report: IvigPlanReport) -> list[Flowable]:
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
        Spacer(1, 3),
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


def _safety(report: IvigPlanReport) -> list[Flowable]:
    plan = report.plan
    verdict = ("blocked: a hard stop or the review rule holds the plan back" if plan.blocked
               else "no hard stop")
    out: list[Flowable] = [_p("7. Safety screen", "h2"), _kv("Result:", verdict)]
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


def _signature(parties: Mapping[str, str]) -> list[Flowable]:
    fields = (("Requesting clinician", parties.get("prescriber_name")), ("Specialty", None),
              ("Registration number", parties.get("prescriber_registration")),
              ("Address and telephone", parties.get("prescriber_contact")),
              ("Signature", None), ("Date", None))
    table = Table([[_p(f, "body"), _p(value or _BLANK)] for f, value in fields],
                  colWidths=[55 * mm, 100 * mm], rowHeights=[9 * mm] * len(fields))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    table.hAlign = "LEFT"
    return [KeepTogether([_p("Clinician", "h2"), table])]


# The letter's identifying fields (issue 12): given by the web app from its own store, never
# from a case file.
_PATIENT_FIELDS = (("patient_name", "Patient:"), ("birth_date", "Date of birth:"),
                   ("record_number", "Hospital record number:"), ("payer", "Insurer:"),
                   ("member_number", "Member number:"))


def _addressee(parties: Mapping[str, str]) -> list[Flowable]:
    to = "; ".join(v for v in (parties.get("payer"), parties.get("payer_address")) if v)
    out: list[Flowable] = [_kv("To:", to or _BLANK)]
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
    if kb is None:
        from clepath.knowledge.loader import load_knowledge

        kb = load_knowledge()
    a = assessment
    refs = _References()
    intro = (
        "This letter requests authorisation of intravenous immunoglobulin (IVIG) for the "
        "patient identified below. The clinical information is taken from the patient's record "
        f"as of {a.as_of.isoformat()}; statements on guidelines and published evidence are "
        "quoted from clepath's knowledge packs with their sources."
    )
    story: list[Flowable] = [
        _p("Request for prior authorisation: intravenous immunoglobulin (IVIG)", "title"),
        *_addressee(parties or {}),
        *_identity(a),
        Spacer(1, 6),
        _p(intro),
        _p("1. Diagnosis", "h2"),
        *_diagnoses(a),
        *_failed(a),
        *_activity(a),
        *_guideline(a, plan, refs),
        *_evidence(a, kb, refs),
        *_regimen(plan),
        *_safety(plan),
        *_signature(parties or {}),
        Spacer(1, 8),
        _p(DISCLAIMER, "small"),
        *refs.flowables(),
    ]
    return _build(story, f"IVIG prior authorisation {a.case_id}", _footer(a, "IVIG request"))

