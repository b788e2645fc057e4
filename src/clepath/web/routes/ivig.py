"""The IVIG plan: the request form (regimen, product, dosing-weight policy, start) and the plan
the planner makes from the stored record: dosing weight, courses by day with grams, vials and
minutes, the safety gate's alerts, and an iCalendar file of the infusion days.

The plan is computed by `clepath.engine.ivig.plan_for_case` and rendered from
`clepath.report.ivig.ivig_to_json`; the calendar is `ivig_to_ics`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from clepath.domain.case import Case
from clepath.dosing import catalogue
from clepath.engine.ivig import plan_for_case
from clepath.errors import CaseError, DosingError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import RegimenPreset
from clepath.report.ivig import ivig_to_ics, ivig_to_json
from clepath.report.jsonable import to_jsonable
from clepath.store.letters import LETTER_FIELDS
from clepath.web import forms
from clepath.web.deps import (
    EditorSession,
    Form,
    Knowledge,
    PatientCase,
    PatientRef,
    ReaderSession,
    StoreDep,
)
from clepath.web.render import page
from clepath.web.routes._common import choices, commit, see_other
from clepath.web.schemas import IvigRequestIn

__all__ = ["IVIG_FIELDS", "router"]

router = APIRouter(tags=["ivig"])

IVIG_FIELDS = {
    "": "induction_dose",
    "induction": "induction_dose",
    "induction.dose": "induction_dose",
    "induction.days": "induction_days",
    "maintenance": "maintenance_dose",
    "maintenance.dose": "maintenance_dose",
    "maintenance.every": "maintenance_every",
    "maintenance.cycles": "maintenance_cycles",
    "product": "product",
    "policy": "policy",
    "start": "start",
}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _plan(case: Case, kb: KnowledgeBase) -> tuple[dict[str, Any] | None, list[str]]:
    """(plan JSON, why there is none): no request, or the planner refused."""
    if case.ivig_request is None:
        return None, []
    try:
        return ivig_to_json(plan_for_case(case, kb)), []
    except CaseError as exc:
        return None, [forms.plain(p, subject=f"“{p.field}”") for p in exc.problems]
    except DosingError as exc:
        return None, [str(exc)]


def cle_first(presets: Iterable[RegimenPreset]) -> list[RegimenPreset]:
    """The presets in pack order, CLE regimens first: one outside CLE is never offered first."""
    return sorted(presets, key=lambda p: p.outside_cle)


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    presets = cle_first(kb.table(catalogue.PACK, "regimens", RegimenPreset))
    return {
        "products": choices(kb, "ivig_product"),
        "policies": choices(kb, "ivig_policy"),
        "presets": presets,
        # a regimen of another disease names its study on the page, beside the label
        "preset_sources": {p.id: kb.cite(catalogue.PACK, p.source)
                           for p in presets if p.outside_cle},
    }


def _ivig_page(
    request: Request, auth: Any, patient: Any, kb: KnowledgeBase, *, status: int = 200,
    form: Any = None, errors: Any = None, preset: RegimenPreset | None = None,
    letter: dict[str, str] | None = None, letter_errors: Any = None,
) -> Response:
    plan, problems = _plan(patient.case, kb)
    if form is None:
        form = forms.ivig_form(patient.case)
        if preset is not None:
            form = forms.ivig_preset_form(preset, form)
    return page(
        request, "ivig.html", auth, status=status, patient=patient, plan=plan,
        plan_problems=problems, form=form, errors=errors, chosen_preset=preset,
        letter_fields=LETTER_FIELDS, letter=letter if letter is not None else {},
        letter_errors=letter_errors, **_context(kb),
    )


@router.get("/patients/{patient_id}/ivig", include_in_schema=False)
def ivig_page(
    request: Request, patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge,
    preset: str = Query(""),
) -> Response:
    """The IVIG request and the plan made from it; `?preset=<id>` fills the request form with a
    regimen preset from the ivig pack (nothing is saved until the form is)."""
    chosen = None
    if preset:
        try:
            chosen = catalogue.preset(kb, preset)
        except CaseError:
            raise HTTPException(404, "There is no such regimen preset.") from None
    commit(store, auth.user, "view", "ivig_plan", patient_id=patient.id)
    letter = store.letters.get(patient.id) if auth.user.can("write") else {}
    return _ivig_page(request, auth, patient, kb, preset=chosen, letter=letter)


@router.post("/patients/{patient_id}/ivig/letter-details", include_in_schema=False)
def set_letter_details(
    request: Request, patient: PatientCase, auth: EditorSession, store: StoreDep, kb: Knowledge,
    form: Form,
) -> Response:
    """Store the letter's identifiers, payer and prescriber (audited; the values themselves are
    never written to the audit log)."""
    given = {name: str(form.get(name) or "") for name in LETTER_FIELDS}
    try:
        kept = store.letters.set(patient.id, given, by=auth.user)
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, {name: name for name in LETTER_FIELDS})
        return _ivig_page(request, auth, patient, kb, status=422, letter=given,
                          letter_errors=errors)
    commit(store, auth.user, "update", "letter_details", patient_id=patient.id,
           detail=", ".join(sorted(kept)) or "cleared")
    return see_other(f"/patients/{patient.id}/ivig?letter=saved#letter")


@router.post("/patients/{patient_id}/ivig", include_in_schema=False)
def set_request(
    request: Request,
    patient: PatientCase,
    auth: EditorSession,
    store: StoreDep,
    kb: Knowledge,
    form: Form,
) -> Response:
    """Store the IVIG request from the form (replacing any earlier one)."""
    try:
        store.observations.set_ivig_request(patient.id, forms.ivig_entry(form), by=auth.user)
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, IVIG_FIELDS)
        return _ivig_page(request, auth, patient, kb, status=422, form=form, errors=errors)
    commit(store, auth.user, "update", "ivig_request", patient_id=patient.id)
    return see_other(f"/patients/{patient.id}/ivig")


@router.post("/patients/{patient_id}/ivig/clear", include_in_schema=False)
def clear_request(patient: PatientRef, auth: EditorSession, store: StoreDep) -> Response:
    """Remove the IVIG request."""
    store.observations.clear_ivig_request(patient.id)
    commit(store, auth.user, "delete", "ivig_request", patient_id=patient.id)
    return see_other(f"/patients/{patient.id}/ivig")


def _ics(patient: Any, kb: KnowledgeBase) -> Response:
    if patient.case.ivig_request is None:
        raise HTTPException(404, "No IVIG plan has been requested for this patient.")
    report = plan_for_case(patient.case, kb)  # CaseError/DosingError: 422 by the handlers
    name = (_UNSAFE_NAME.sub("_", patient.case.id).strip("._") or "patient") + "-ivig.ics"
    return Response(
        ivig_to_ics(report),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/patients/{patient_id}/ivig.ics", include_in_schema=False)
def ivig_calendar(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> Response:
    """The infusion days as an iCalendar file."""
    response = _ics(patient, kb)
    commit(store, auth.user, "export", "ivig_plan", patient_id=patient.id, detail="ics")
    return response


# --- JSON API ---------------------------------------------------------------------------------


@router.get("/api/patients/{patient_id}/ivig-request", summary="The IVIG request")
def api_request(patient: PatientCase, auth: ReaderSession, store: StoreDep) -> dict[str, Any]:
    """The stored `requests.ivig` (404 when none)."""
    if patient.case.ivig_request is None:
        raise HTTPException(404, "No IVIG plan has been requested for this patient.")
    commit(store, auth.user, "view", "ivig_request", patient_id=patient.id)
    result: dict[str, Any] = to_jsonable(patient.case.ivig_request)
    return result


@router.put("/api/patients/{patient_id}/ivig-request", summary="Set the IVIG request")
def api_set_request(
    body: IvigRequestIn, patient: PatientRef, auth: EditorSession, store: StoreDep
) -> dict[str, Any]:
    """Store `requests.ivig` in place of any earlier one (422 lists every problem)."""
    request = store.observations.set_ivig_request(patient.id, body.entry(), by=auth.user)
    commit(store, auth.user, "update", "ivig_request", patient_id=patient.id)
    result: dict[str, Any] = to_jsonable(request)
    return result


@router.delete(
    "/api/patients/{patient_id}/ivig-request", summary="Remove the IVIG request",
    status_code=204,
)
def api_clear_request(patient: PatientRef, auth: EditorSession, store: StoreDep) -> Response:
    """Remove the IVIG request."""
    if not store.observations.clear_ivig_request(patient.id):
        raise HTTPException(404, "No IVIG plan has been requested for this patient.")
    commit(store, auth.user, "delete", "ivig_request", patient_id=patient.id)
    return Response(status_code=204)


@router.get("/api/patients/{patient_id}/ivig-plan", summary="The IVIG plan")
def api_plan(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> dict[str, Any]:
    """The plan for the stored request (schema: ivig/1); 404 without a request, 422 when the
    planner cannot make one (e.g. no weight recorded)."""
    if patient.case.ivig_request is None:
        raise HTTPException(404, "No IVIG plan has been requested for this patient.")
    plan: dict[str, Any] = ivig_to_json(plan_for_case(patient.case, kb))
    commit(store, auth.user, "view", "ivig_plan", patient_id=patient.id)
    return plan


@router.get("/api/patients/{patient_id}/ivig-plan.ics", summary="The IVIG plan as iCalendar")
def api_plan_ics(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> Response:
    """One all-day event per infusion day."""
    response = _ics(patient, kb)
    commit(store, auth.user, "export", "ivig_plan", patient_id=patient.id, detail="ics")
    return response
