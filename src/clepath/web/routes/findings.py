"""Clinical findings: dated findings from the findings vocabulary, with a value and its unit
where the finding has one (a fever in Cel, arthritis as a count of joints)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from clepath.knowledge.base import KnowledgeBase
from clepath.web import forms
from clepath.web.clock import Today
from clepath.web.deps import EditorSession, Form, Knowledge, PatientRef, ReaderSession, StoreDep
from clepath.web.routes import _observations as obs
from clepath.web.routes._common import choices
from clepath.web.schemas import FindingIn

__all__ = ["FINDINGS", "router"]

router = APIRouter(tags=["findings"])

FINDINGS = obs.ObservationKind(
    kind="findings",
    resource="finding",
    path="findings",
    template="observations/findings.html",
    fields={
        "": "name",
        "name": "name",
        "date": "date",
        "value": "value",
        "attributed_to": "attributed_to",
        "note": "note",
    },
    to_entry=forms.finding_entry,
)


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    names = choices(kb, "finding")
    return {"names": names, "labels": dict(names)}


@router.get("/patients/{patient_id}/findings", include_in_schema=False)
def findings_page(
    request: Request, patient: PatientRef, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> Response:
    """The patient's findings and the form to add one."""
    return obs.show(FINDINGS, request, auth, store, patient, _context(kb))


@router.post("/patients/{patient_id}/findings", include_in_schema=False)
def add_finding(
    request: Request,
    patient: PatientRef,
    auth: EditorSession,
    store: StoreDep,
    kb: Knowledge,
    form: Form,
    today: Today,
) -> Response:
    """Add a finding from the form."""
    return obs.add_from_form(FINDINGS, request, auth, store, patient, form, _context(kb), today)


@router.post("/patients/{patient_id}/findings/{finding_id}/delete", include_in_schema=False)
def delete_finding(
    patient: PatientRef, finding_id: int, auth: EditorSession, store: StoreDep
) -> Response:
    """Remove one finding."""
    return obs.remove(FINDINGS, auth, store, patient.id, finding_id)


@router.get("/api/patients/{patient_id}/findings", summary="List findings")
def api_findings(
    patient: PatientRef, auth: ReaderSession, store: StoreDep
) -> list[dict[str, Any]]:
    """Every finding, oldest first."""
    return obs.api_list(FINDINGS, auth, store, patient.id)


@router.post("/api/patients/{patient_id}/findings", summary="Add a finding", status_code=201)
def api_add_finding(
    body: FindingIn, patient: PatientRef, auth: EditorSession, store: StoreDep
) -> JSONResponse:
    """Add one finding (a case-file `findings` item); 422 lists every problem."""
    return obs.api_add(FINDINGS, auth, store, patient.id, body.entry())


@router.delete(
    "/api/patients/{patient_id}/findings/{finding_id}", summary="Remove a finding",
    status_code=204,
)
def api_delete_finding(
    patient: PatientRef, finding_id: int, auth: EditorSession, store: StoreDep
) -> Response:
    """Remove one finding."""
    return obs.api_remove(FINDINGS, auth, store, patient.id, finding_id)
