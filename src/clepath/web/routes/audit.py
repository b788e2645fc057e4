"""The audit log (admins only): who viewed or changed which patient, and sign-ins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clepath.store import AuditEvent
from clepath.web.deps import AdminSession, IdQuery, Limit, Offset, PageNumber, StoreDep
from clepath.web.render import page

__all__ = ["router"]

router = APIRouter(tags=["audit"])
_PAGE = 200


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "username": event.username,
        "action": event.action,
        "patient_id": event.patient_id,
        "resource": event.resource,
        "resource_id": event.resource_id,
        "detail": event.detail,
    }


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    auth: AdminSession,
    store: StoreDep,
    patient_id: IdQuery = None,
    page_number: PageNumber = 1,
) -> Response:
    """The newest events first; one patient's when `patient_id` is given."""
    number = max(1, page_number)
    events = store.audit.events(patient_id=patient_id, limit=_PAGE + 1, offset=(number - 1) * _PAGE)
    # Patients by their case id, not the database's id (issue 12); a deleted one keeps its id.
    shown = {e.patient_id for e in events[:_PAGE] if e.patient_id is not None}
    if patient_id is not None:
        shown.add(patient_id)
    case_ids = {
        pid: summary.case_id for pid in shown if (summary := store.patients.summary(pid))
    }
    return page(
        request, "audit.html", auth, events=events[:_PAGE], patient_id=patient_id,
        page_number=number, more=len(events) > _PAGE, case_ids=case_ids,
    )


@router.get("/api/audit", summary="Audit events")
def api_audit(
    auth: AdminSession,
    store: StoreDep,
    patient_id: IdQuery = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Events, newest first; one patient's when `patient_id` is given."""
    events = store.audit.events(
        patient_id=patient_id, limit=max(1, min(limit, 1000)), offset=max(0, offset)
    )
    return [_event_json(e) for e in events]
