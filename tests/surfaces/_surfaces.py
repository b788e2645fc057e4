"""What a person sees of one case on every surface, as plain text, and the numbers each surface
must show (from the assessment and IVIG-plan JSON, written by clepath.domain.display).

Surfaces: the patient page and the IVIG page (served by the web app), the treatment summary and
the prior-authorisation letter (PDFs served by the web app, read with pdftotext or pypdf), the
terminal reports (Rich, 240 columns, no colour) and the .ics calendar (served by the web app).
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from icalendar import Calendar
from rich.console import Console

from clepath.domain.case import Case
from clepath.domain.display import fmt, fmt_value
from clepath.engine.assess import assess
from clepath.engine.ivig import plan_for_case
from clepath.knowledge.base import KnowledgeBase
from clepath.report.assessment_json import assessment_to_json
from clepath.report.assessment_terminal import render_assessment
from clepath.report.ivig import ivig_to_json, render_ivig
from clepath.report.similar import assessment_similar

__all__ = [
    "IVIG_FIELDS",
    "missing",
    "PATIENT_PAGE",
    "SURFACES",
    "UCUM_CODES",
    "Expected",
    "Site",
    "expected_numbers",
    "pdf_text",
    "shows",
    "surfaces_of",
    "terminal_text",
]

PATIENT_PAGE = "patient page"
IVIG_PAGE = "IVIG page"
SUMMARY_PDF = "treatment summary PDF"
LETTER_PDF = "prior-authorisation letter PDF"
TERMINAL = "terminal assessment"
TERMINAL_IVIG = "terminal IVIG plan"
ICS = ".ics calendar"
SURFACES = (PATIENT_PAGE, IVIG_PAGE, SUMMARY_PDF, LETTER_PDF, TERMINAL, TERMINAL_IVIG, ICS)
_PDFS = (SUMMARY_PDF, LETTER_PDF)

# UCUM codes a person must never read
UCUM_CODES = ("10*9/L", "{1.73_m2}", "Cel", "[iU]", "/mm3")

_ASSESSMENT = (PATIENT_PAGE, SUMMARY_PDF, TERMINAL)
_PLAN = (IVIG_PAGE, LETTER_PDF, TERMINAL_IVIG)


@dataclass(frozen=True)
class Expected:
    """One number a person sees: where it comes from, how it is written, where it must show."""

    what: str
    text: str
    surfaces: tuple[str, ...]


# (label, value getter on the JSON, kind, surfaces that show it)
ASSESSMENT_FIELDS: tuple[tuple[str, Callable[[dict[str, Any]], Any], str, tuple[str, ...]], ...] = (
    ("weight", lambda j: j["patient"]["weight_kg"], "kg", _ASSESSMENT),
    ("height", lambda j: j["patient"]["height_cm"], "cm", _ASSESSMENT),
    ("BMI", lambda j: j["patient"]["bmi_kg_per_m2"], "bmi", _ASSESSMENT),
    ("eGFR", lambda j: (j["labs"]["egfr"] or {}).get("value"), "egfr", _ASSESSMENT),
    ("prednisone equivalent now",
     lambda j: j["glucocorticoids"]["prednisone_equivalent_mg_per_day"], "mg_per_day",
     _ASSESSMENT),
    ("cumulative prednisone", lambda j: j["glucocorticoids"]["cumulative_mg"], "mg", _ASSESSMENT),
)

IVIG_FIELDS: tuple[tuple[str, Callable[[dict[str, Any]], Any], str, tuple[str, ...]], ...] = (
    ("dosing weight", lambda j: j["dosing_weight"]["kg"], "dosing_kg", (*_PLAN, ICS)),
    ("actual weight", lambda j: j["dosing_weight"]["actual_kg"], "kg", _PLAN),
    ("height (IVIG)", lambda j: j["dosing_weight"]["height_cm"], "cm", _PLAN),
    ("concentration", lambda j: (j["product"] or {}).get("concentration_mg_per_ml"),
     "mg_per_ml", _PLAN),
)


def expected_numbers(case: Case, kb: KnowledgeBase) -> list[Expected]:
    """Every number of the assessment and IVIG-plan JSON that a person sees, written by the one
    formatter, with the surfaces that must show it."""
    a = assessment_to_json(assess(case, kb))
    out: list[Expected] = []
    for what, get, kind, where in ASSESSMENT_FIELDS:
        value = get(a)
        if value is not None:
            out.append(Expected(what, fmt(value, kind), where))
    for t in a["therapies"]:
        if t.get("dose_mg_per_kg") is not None:
            out.append(Expected(f"{t['label']} mg/kg", fmt(t["dose_mg_per_kg"], "mg_per_kg_day"),
                                _ASSESSMENT))
    if case.ivig_request is None:
        return out
    p = ivig_to_json(plan_for_case(case, kb))
    for what, get, kind, where in IVIG_FIELDS:
        value = get(p)
        if value is not None:
            out.append(Expected(what, fmt(value, kind), where))
    for course in p["courses"]:
        out.append(Expected(f"{course['kind']} {course['number']} total",
                            fmt(course["total_grams"], "ivig_g"), (IVIG_PAGE, LETTER_PDF)))
        for day in course["days"]:
            out.append(Expected(f"grams on {day['date']}", fmt(day["grams"], "ivig_g"),
                                (*_PLAN, ICS)))
            if day["volume_ml"] is not None:
                out.append(Expected(f"volume on {day['date']}", fmt(day["volume_ml"], "ml"),
                                    (*_PLAN, ICS)))
    for step in (p["infusion"] or {}).get("steps", []):
        out.append(Expected(f"rate {step['rate_mg_kg_min']} mg/kg/min",
                            fmt_value(step["ml_per_h"], "ml_per_h"), (IVIG_PAGE, TERMINAL_IVIG)))
    return out


def _pattern(text: str, surface: str) -> re.Pattern[str]:
    """`text` as a whole token: 60 g is not found inside 160 g, 1,060 g or 60 g/kg; in a PDF, breaks
    may fall between words (the PDFs print ⁹, ² and ³ as themselves)."""
    body = re.escape(text).replace(r"\ ", r"\s+")
    return re.compile(rf"(?<![\d.,]){body}(?![\d]|,\d|/kg|\.\d)")


def shows(surface_text: str, text: str, surface: str) -> bool:
    """Whether a surface shows `text` as a whole token."""
    return _pattern(text, surface).search(surface_text) is not None


def pdf_text(content: bytes) -> str:
    """The text of a PDF in content order (pdftotext -raw from poppler-utils, else pypdf)."""
    tool = shutil.which("pdftotext")
    if tool is not None:
        done = subprocess.run([tool, "-raw", "-enc", "UTF-8", "-", "-"], input=content,
                              capture_output=True, check=True, timeout=60)
        return done.stdout.decode("utf-8")
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def _html_text(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _ics_text(content: bytes) -> str:
    calendar = Calendar.from_ical(content)
    parts = []
    for event in calendar.walk("VEVENT"):
        parts.append(str(event.get("summary")))
        parts.append(str(event.get("description")))
    return "\n".join(parts)


def terminal_text(render: Callable[[Any, Console], None], report: Any) -> str:
    """A Rich report as plain text, wide enough that no cell wraps."""
    buffer = io.StringIO()
    render(report, Console(file=buffer, width=240, color_system=None, force_terminal=False,
                           legacy_windows=False, soft_wrap=False))
    return buffer.getvalue()


@dataclass
class Site:
    """The web app on its own database, a signed-in clinician, and a counter for case ids."""

    app: Any
    browser: Any
    kb: KnowledgeBase

    def add(self, case: Case) -> int:
        """Store a case as a new patient; its id."""
        with self.app.state.clepath.store() as store:
            patient_id: int = store.patients.add_case(case)
            store.commit()
        return patient_id


def surfaces_of(site: Site, case: Case, *, patient_id: int | None = None) -> dict[str, str]:
    """The text of every surface for one case (stored as a new patient unless given)."""
    pid = site.add(case) if patient_id is None else patient_id
    b = site.browser
    out = {
        PATIENT_PAGE: _html_text(_ok(b.get(f"/patients/{pid}")).text),
        SUMMARY_PDF: pdf_text(_ok(b.get(f"/patients/{pid}/summary.pdf")).content),
        TERMINAL: terminal_text(
            lambda r, c: render_assessment(r, c, assessment_similar(case, site.kb)),
            assess(case, site.kb),
        ),
    }
    if case.ivig_request is not None:
        out[IVIG_PAGE] = _html_text(_ok(b.get(f"/patients/{pid}/ivig")).text)
        out[LETTER_PDF] = pdf_text(_ok(b.get(f"/patients/{pid}/ivig/letter.pdf")).content)
        out[TERMINAL_IVIG] = terminal_text(render_ivig, plan_for_case(case, site.kb))
        out[ICS] = _ics_text(_ok(b.get(f"/patients/{pid}/ivig.ics")).content)
    return out


def _ok(response: Any) -> Any:
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return response


def missing(surfaces: dict[str, str], expected: list[Expected]) -> Iterator[str]:
    """Each expected number a surface fails to show, as `surface: what (text)`."""
    for item in expected:
        for surface in item.surfaces:
            if surface in surfaces and not shows(surfaces[surface], item.text, surface):
                yield f"{surface}: {item.what} ({item.text!r})"
