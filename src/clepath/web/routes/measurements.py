"""Weight and height: dated measurements with their history (issue 12). The IVIG dose uses the
latest weight on or before the plan's start; the assessment the latest on or before as_of."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from clepath.web import forms
from clepath.web.clock import Today
from clepath.web.deps import (
    EditorSession,
    Form,
    Id,
    PatientRecord,
    PatientRef,
    ReaderSession,
    StoreDep,
)
from clepath.web.routes import _observations as obs
from clepath.web.schemas import MeasurementIn

__all__ = ["MEASUREMENTS", "router"]

router = APIRouter(tags=["measurements"])

MEASUREMENTS = obs.ObservationKind(
    kind="measurements",
    resource="measurement",
    path="measurements",
    template="observations/measurements.html",
    fields={"": "value_value", "name": "name", "date": "date", "value": "value_value"},
    to_entry=forms.measurement_entry,
    defaults={"name": "weight", "value_unit": "kg"},
)

_CONTEXT: dict[str, Any] = {"names": [("weight", "Weight"), ("height", "Height")]}


@router.get("/patients/{patient_id}/measurements", include_in_schema=False)
def measurements_page(
    request: Request, patient: PatientRecord, auth: ReaderSession, store: StoreDep
) -> Response:
    """The patient's weights and heights, newest first (and any undated value of the details
    page), and the form to add one."""
    return obs.show(MEASUREMENTS, request, auth, store, patient, _CONTEXT)


@router.post("/patients/{patient_id}/measurements", include_in_schema=False)
def add_measurement(
    request: Request, patient: PatientRecord, auth: EditorSession, store: StoreDep, form: Form,
    today: Today,
) -> Response:
    """Add a weight or height from the form."""
    return obs.add_from_form(MEASUREMENTS, request, auth, store, patient, form, _CONTEXT, today)


@router.post(
    "/patients/{patient_id}/measurements/{measurement_id}/delete", include_in_schema=False
)
def delete_measurement(
    patient: PatientRef, measurement_id: Id, auth: EditorSession, store: StoreDep
) -> Response:
    """Remove one weight or height."""
    return obs.remove(MEASUREMENTS, auth, store, patient.id, measurement_id)


@router.get("/api/patients/{patient_id}/measurements", summary="List weights and heights")
def api_measurements(
    patient: PatientRef, auth: ReaderSession, store: StoreDep
) -> list[dict[str, Any]]:
    """Every dated weight and height, oldest first."""
    return obs.api_list(MEASUREMENTS, auth, store, patient.id)


@router.post(
    "/api/patients/{patient_id}/measurements", summary="Add a weight or height", status_code=201
)
def api_add_measurement(
    body: MeasurementIn, patient: PatientRef, auth: EditorSession, store: StoreDep
) -> JSONResponse:
    """Add one dated weight or height (a case-file `measurements` item); 422 lists every
    problem."""
    return obs.api_add(MEASUREMENTS, auth, store, patient.id, body.entry())


@router.delete(
    "/api/patients/{patient_id}/measurements/{measurement_id}",
    summary="Remove a weight or height", status_code=204,
)
def api_delete_measurement(
    patient: PatientRef, measurement_id: Id, auth: EditorSession, store: StoreDep
) -> Response:
    """Remove one weight or height."""
    return obs.api_remove(MEASUREMENTS, auth, store, patient.id, measurement_id)
