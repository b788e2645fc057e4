"""Diagnoses: the cutaneous lupus subtypes present (case-file `cle`), their CLASI-region
sites and since when."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from clepath.knowledge.base import KnowledgeBase
from clepath.web import forms
from clepath.web.deps import EditorSession, Form, Id, Knowledge, PatientRef, ReaderSession, StoreDep
from clepath.web.routes import _observations as obs
from clepath.web.routes._common import choices
from clepath.web.schemas import CleIn

__all__ = ["DIAGNOSES", "router"]

router = APIRouter(tags=["diagnoses"])

DIAGNOSES = obs.ObservationKind(
    kind="cle",
    resource="diagnosis",
    path="diagnoses",
    template="observations/diagnoses.html",
    fields={"": "subtype", "subtype": "subtype", "sites": "sites", "since": "since"},
    to_entry=forms.cle_entry,
)


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    subtypes, regions = choices(kb, "cle_subtype"), choices(kb, "clasi_region")
    return {
        "subtypes": subtypes,
        "regions": regions,
        "subtype_labels": dict(subtypes),
        "region_labels": dict(regions),
    }


@router.get("/patients/{patient_id}/diagnoses", include_in_schema=False)
def diagnoses_page(
    request: Request, patient: PatientRef, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> Response:
    """The CLE subtypes recorded and the form to add one."""
    return obs.show(DIAGNOSES, request, auth, store, patient, _context(kb))


@router.post("/patients/{patient_id}/diagnoses", include_in_schema=False)
def add_diagnosis(
    request: Request,
    patient: PatientRef,
    auth: EditorSession,
    store: StoreDep,
    kb: Knowledge,
    form: Form,
) -> Response:
    """Add a CLE subtype from the form."""
    return obs.add_from_form(DIAGNOSES, request, auth, store, patient, form, _context(kb))


@router.post("/patients/{patient_id}/diagnoses/{entry_id}/delete", include_in_schema=False)
def delete_diagnosis(
    patient: PatientRef, entry_id: Id, auth: EditorSession, store: StoreDep
) -> Response:
    """Remove one CLE subtype."""
    return obs.remove(DIAGNOSES, auth, store, patient.id, entry_id)


@router.get("/api/patients/{patient_id}/cle", summary="List CLE diagnoses")
def api_diagnoses(
    patient: PatientRef, auth: ReaderSession, store: StoreDep
) -> list[dict[str, Any]]:
    """Every CLE subtype recorded."""
    return obs.api_list(DIAGNOSES, auth, store, patient.id)


@router.post("/api/patients/{patient_id}/cle", summary="Add a CLE diagnosis", status_code=201)
def api_add_diagnosis(
    body: CleIn, patient: PatientRef, auth: EditorSession, store: StoreDep
) -> JSONResponse:
    """Add one CLE subtype (a case-file `cle` item); 422 lists every problem."""
    return obs.api_add(DIAGNOSES, auth, store, patient.id, body.entry())


@router.delete(
    "/api/patients/{patient_id}/cle/{entry_id}", summary="Remove a CLE diagnosis",
    status_code=204,
)
def api_delete_diagnosis(
    patient: PatientRef, entry_id: Id, auth: EditorSession, store: StoreDep
) -> Response:
    """Remove one CLE subtype."""
    return obs.api_remove(DIAGNOSES, auth, store, patient.id, entry_id)
