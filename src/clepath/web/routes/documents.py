"""Documents of a patient: the timeline chart (SVG), the printable treatment summary (PDF) and
the IVIG prior-authorisation letter (PDF), as pages' downloads and as API twins.

Nothing is computed here: the timeline is `clepath.engine.timeline.build_timeline` drawn by
`clepath.report.timeline_svg.timeline_svg`; the summary is `clepath.report.pdf.
treatment_summary_pdf` of `clepath.engine.assess.assess` with that timeline; the letter is
`clepath.report.pdf.ivig_prior_auth_pdf` of the assessment and `clepath.engine.ivig.
plan_for_case`. Each download writes a `view` audit row. File names carry the case id only.
When no letter can be made (no IVIG request, no weight, a request the planner refuses), a page
says why in plain words and the API answers 404 or 422 with the same words.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from clepath.domain.case import Case
from clepath.engine.assess import assess
from clepath.engine.ivig import IvigPlanReport, plan_for_case
from clepath.engine.timeline import build_timeline
from clepath.errors import CaseError, DosingError
from clepath.knowledge.base import KnowledgeBase
from clepath.report.jsonable import to_jsonable
from clepath.report.timeline_svg import timeline_svg
from clepath.web import forms
from clepath.web.clock import Today
from clepath.web.deps import Auth, Knowledge, Patient, PatientCase, ReaderSession, StoreDep
from clepath.web.render import page
from clepath.web.routes._common import commit


def treatment_summary_pdf(*args: Any, **kwargs: Any) -> bytes:
    """`clepath.report.pdf.treatment_summary_pdf`, loaded (with the Typst compiler) on first
    use, so the app starts without it."""
    from clepath.report.pdf import treatment_summary_pdf as make

    return make(*args, **kwargs)


def ivig_prior_auth_pdf(*args: Any, **kwargs: Any) -> bytes:
    """`clepath.report.pdf.ivig_prior_auth_pdf`, loaded (with the Typst compiler) on first use."""
    from clepath.report.pdf import ivig_prior_auth_pdf as make

    return make(*args, **kwargs)


__all__ = [
    "LETTER_SUFFIX",
    "NO_REQUEST",
    "PDF_MEDIA_TYPE",
    "SUMMARY_SUFFIX",
    "SVG_MEDIA_TYPE",
    "TIMELINE_WIDTH",
    "document_name",
    "router",
]

router = APIRouter(tags=["documents"])

SVG_MEDIA_TYPE = "image/svg+xml; charset=utf-8"
PDF_MEDIA_TYPE = "application/pdf"
TIMELINE_WIDTH = 960
SUMMARY_SUFFIX = "-treatment-summary.pdf"
LETTER_SUFFIX = "-ivig-letter.pdf"
NO_REQUEST = (
    "No IVIG plan has been requested for this patient, so there is no letter to write. "
    "Request a plan on the patient's IVIG plan page first."
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def document_name(case_id: str, suffix: str) -> str:
    """A download's file name: the case id (made safe for a file name) and the suffix."""
    return (_UNSAFE_NAME.sub("_", case_id).strip("._") or "patient") + suffix


def _attachment(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _svg(case: Case, kb: KnowledgeBase) -> Response:
    drawing = timeline_svg(build_timeline(case, kb), width=TIMELINE_WIDTH)
    return Response(drawing, media_type=SVG_MEDIA_TYPE)


def _summary(case: Case, kb: KnowledgeBase, today: dt.date) -> Response:
    content = treatment_summary_pdf(
        assess(case, kb, today=today), timeline=build_timeline(case, kb), kb=kb
    )
    return _attachment(content, PDF_MEDIA_TYPE, document_name(case.id, SUMMARY_SUFFIX))


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


class _NoLetter(Exception):
    """Why no letter can be made: the HTTP status and the reasons in plain words."""

    def __init__(self, status: int, messages: list[str]) -> None:
        super().__init__(*messages)
        self.status = status
        self.messages = messages


def _plan(case: Case, kb: KnowledgeBase) -> IvigPlanReport:
    """The case's IVIG plan, or `_NoLetter` saying in plain words why there is none."""
    if case.ivig_request is None:
        raise _NoLetter(404, [NO_REQUEST])
    try:
        return plan_for_case(case, kb)
    except CaseError as exc:
        reasons = [
            forms.plain(
                p,
                subject=f"The record's “{p.field}”" if p.field.startswith("patient.")
                else f"The request's “{p.field}”",
            )
            for p in exc.problems
        ]
    except DosingError as exc:
        reasons = [_sentence(str(exc))]
    hint = "Correct the record or the request, then download the letter again."
    raise _NoLetter(422, [*reasons, hint])


def _letter(
    case: Case, kb: KnowledgeBase, today: dt.date, parties: dict[str, str] | None = None
) -> Response:
    plan = _plan(case, kb)
    content = ivig_prior_auth_pdf(assess(case, kb, today=today), plan, kb=kb, parties=parties)
    return _attachment(content, PDF_MEDIA_TYPE, document_name(case.id, LETTER_SUFFIX))


# --- pages ------------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/timeline.svg", include_in_schema=False)
def timeline_image(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> Response:
    """The timeline chart as an SVG image (the patient page shows it)."""
    response = _svg(patient.case, kb)
    commit(store, auth.user, "view", "timeline", patient_id=patient.id, detail="svg")
    return response


@router.get("/patients/{patient_id}/summary.pdf", include_in_schema=False)
def summary_pdf(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge, today: Today
) -> Response:
    """The printable treatment summary, with the timeline."""
    response = _summary(patient.case, kb, today)
    commit(store, auth.user, "view", "treatment_summary", patient_id=patient.id, detail="pdf")
    return response


def _no_letter_page(request: Request, auth: Auth, patient: Patient, exc: _NoLetter) -> Response:
    return page(
        request, "error.html", auth, status=exc.status, title="No IVIG letter can be made",
        messages=exc.messages, back=(f"/patients/{patient.id}/ivig", "the IVIG plan page"),
    )


@router.get("/patients/{patient_id}/ivig/letter.pdf", include_in_schema=False)
def letter_pdf(
    request: Request,
    patient: PatientCase,
    auth: ReaderSession,
    store: StoreDep,
    kb: Knowledge,
    today: Today,
) -> Response:
    """The IVIG prior-authorisation letter; a page saying why when none can be made."""
    try:
        response = _letter(patient.case, kb, today, store.letters.get(patient.id))
    except _NoLetter as exc:
        return _no_letter_page(request, auth, patient, exc)
    commit(store, auth.user, "view", "ivig_letter", patient_id=patient.id, detail="pdf")
    return response


# --- JSON API ---------------------------------------------------------------------------------


@router.get("/api/patients/{patient_id}/timeline", summary="The timeline's dated series")
def api_timeline(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> dict[str, Any]:
    """Every dated series of the record (scores, labs, prednisone equivalent, therapy bars,
    IVIG infusions) as `build_timeline` gives it, with the notes on what cannot be drawn."""
    result: dict[str, Any] = to_jsonable(build_timeline(patient.case, kb))
    commit(store, auth.user, "view", "timeline", patient_id=patient.id, detail="json")
    return result


@router.get(
    "/api/patients/{patient_id}/timeline.svg", summary="The timeline chart (SVG)",
    response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}},
)
def api_timeline_svg(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> Response:
    """The timeline drawn as one self-contained SVG document."""
    response = _svg(patient.case, kb)
    commit(store, auth.user, "view", "timeline", patient_id=patient.id, detail="svg")
    return response


@router.get(
    "/api/patients/{patient_id}/summary.pdf", summary="The treatment summary (PDF)",
    response_class=Response, responses={200: {"content": {"application/pdf": {}}}},
)
def api_summary_pdf(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge, today: Today
) -> Response:
    """The printable treatment summary with the timeline (A4 PDF)."""
    response = _summary(patient.case, kb, today)
    commit(store, auth.user, "view", "treatment_summary", patient_id=patient.id, detail="pdf")
    return response


@router.get(
    "/api/patients/{patient_id}/ivig-letter.pdf",
    summary="The IVIG prior-authorisation letter (PDF)",
    response_class=Response, responses={200: {"content": {"application/pdf": {}}}},
)
def api_letter_pdf(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge, today: Today
) -> Response:
    """The letter (A4 PDF); 404 without an IVIG request, 422 when no plan can be made."""
    try:
        response = _letter(patient.case, kb, today, store.letters.get(patient.id))
    except _NoLetter as exc:
        raise HTTPException(exc.status, " ".join(exc.messages)) from None
    commit(store, auth.user, "view", "ivig_letter", patient_id=patient.id, detail="pdf")
    return response
