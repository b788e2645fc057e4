"""Assessments: computed now from the stored observations, or kept for the record.

Keeping an assessment stores its whole JSON with the knowledge versions (`pack@version`) and
the clepath version that produced it, who kept it and when; a kept assessment is shown as it
was, even after the record or the knowledge packs change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from clepath import __version__
from clepath.domain.case import Case
from clepath.engine.assess import assess
from clepath.knowledge.base import KnowledgeBase
from clepath.report.assessment_json import assessment_to_json
from clepath.report.similar import assessment_similar
from clepath.store import Store, StoredAssessment, User
from clepath.web.clock import Today
from clepath.web.deps import (
    EditorSession,
    Id,
    Knowledge,
    PatientCase,
    PatientRef,
    ReaderSession,
    StoreDep,
)
from clepath.web.render import page
from clepath.web.routes._common import commit, see_other

__all__ = ["router"]

router = APIRouter(tags=["assessments"])


def _stored_json(stored: StoredAssessment, *, with_data: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": stored.id,
        "patient_id": stored.patient_id,
        "as_of": stored.as_of.isoformat(),
        "created_at": stored.created_at.isoformat(),
        "created_by": stored.created_by,
        "clepath_version": stored.clepath_version,
        "knowledge": stored.knowledge,
    }
    if with_data:
        out["assessment"] = stored.data
    return out


def _keep(
    store: Store,
    patient_id: int,
    case: Case,
    kb: KnowledgeBase,
    user: User,
    today: dt.date | None = None,
) -> StoredAssessment:
    result = assess(case, kb, today=today)
    stored = store.assessments.save(
        patient_id,
        assessment_to_json(result, assessment_similar(case, kb)),
        knowledge=result.knowledge,
        as_of=case.as_of,
        clepath_version=__version__,
        by=user,
    )
    commit(store, user, "create", "assessment", patient_id=patient_id, resource_id=stored.id)
    return stored


@router.post("/patients/{patient_id}/assessments", include_in_schema=False)
def keep_assessment(
    patient: PatientCase, auth: EditorSession, store: StoreDep, kb: Knowledge, today: Today
) -> Response:
    """Keep today's assessment for the record."""
    stored = _keep(store, patient.id, patient.case, kb, auth.user, today)
    return see_other(f"/patients/{patient.id}/assessments/{stored.id}")


@router.get("/patients/{patient_id}/assessments", include_in_schema=False)
def assessment_list(
    request: Request, patient: PatientRef, auth: ReaderSession, store: StoreDep
) -> Response:
    """The assessments kept for this patient, newest first."""
    kept = store.assessments.for_patient(patient.id)
    commit(store, auth.user, "view", "assessment", patient_id=patient.id)
    return page(
        request, "assessments/list.html", auth, patient=patient, kept=kept,
    )


@router.get("/patients/{patient_id}/assessments/{assessment_id}", include_in_schema=False)
def assessment_page(
    request: Request,
    patient: PatientRef,
    assessment_id: Id,
    auth: ReaderSession,
    store: StoreDep,
) -> Response:
    """One kept assessment, shown as it was when kept."""
    stored = store.assessments.get(patient.id, assessment_id)
    if stored is None:
        raise HTTPException(404, "There is no such kept assessment.")
    commit(store, auth.user, "view", "assessment", patient_id=patient.id, resource_id=stored.id)
    return page(
        request, "assessments/show.html", auth, patient=patient, stored=stored,
        assessment=stored.data,
    )


# --- JSON API ---------------------------------------------------------------------------------


@router.get("/api/patients/{patient_id}/assessment", summary="Assess the patient now")
def api_assess(
    patient: PatientCase, auth: ReaderSession, store: StoreDep, kb: Knowledge, today: Today
) -> dict[str, Any]:
    """The assessment of the stored record as of its `as_of` (schema: assessment/1)."""
    commit(store, auth.user, "view", "patient", patient_id=patient.id, detail="assessment")
    result: dict[str, Any] = assessment_to_json(
        assess(patient.case, kb, today=today), assessment_similar(patient.case, kb)
    )
    return result


@router.post("/api/patients/{patient_id}/assessments", summary="Keep an assessment")
def api_keep(
    patient: PatientCase, auth: EditorSession, store: StoreDep, kb: Knowledge, today: Today
) -> JSONResponse:
    """Assess now and keep the result with its knowledge versions."""
    stored = _keep(store, patient.id, patient.case, kb, auth.user, today)
    return JSONResponse(_stored_json(stored), status_code=201)


@router.get("/api/patients/{patient_id}/assessments", summary="List kept assessments")
def api_kept(patient: PatientRef, auth: ReaderSession, store: StoreDep) -> list[dict[str, Any]]:
    """Kept assessments, newest first (without their bodies)."""
    kept = store.assessments.for_patient(patient.id)
    commit(store, auth.user, "view", "assessment", patient_id=patient.id)
    return [_stored_json(s, with_data=False) for s in kept]


@router.get(
    "/api/patients/{patient_id}/assessments/{assessment_id}", summary="One kept assessment"
)
def api_kept_one(
    patient: PatientRef, assessment_id: Id, auth: ReaderSession, store: StoreDep
) -> dict[str, Any]:
    """A kept assessment with its body, knowledge versions, author and time."""
    stored = store.assessments.get(patient.id, assessment_id)
    if stored is None:
        raise HTTPException(404, "There is no such kept assessment.")
    commit(store, auth.user, "view", "assessment", patient_id=patient.id, resource_id=stored.id)
    return _stored_json(stored)
