"""Lab results: the patient's results by date, and a form that takes a value with its unit.

A value is converted to the test's canonical unit (`/mm3` to `10*9/L`) by the case-file
parser; a number without a unit, or a unit that cannot be converted, is refused with the
reason next to the field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.labs import LabTest
from clepath.web import forms
from clepath.web.clock import Today
from clepath.web.deps import EditorSession, Form, Knowledge, PatientRef, ReaderSession, StoreDep
from clepath.web.routes import _observations as obs
from clepath.web.schemas import LabIn

__all__ = ["LABS", "router"]

router = APIRouter(tags=["labs"])

LABS = obs.ObservationKind(
    kind="labs",
    resource="lab",
    path="labs",
    template="observations/labs.html",
    fields={
        "": "value",
        "test": "test",
        "date": "date",
        "value": "value",
        "unit": "unit",
        "result": "result",
        "lower": "lower",
        "upper": "upper",
        "attributed_to": "attributed_to",
    },
    to_entry=forms.lab_entry,
)
# Units offered beside the value box (any UCUM unit or common spelling is accepted).
_UNITS = (
    "10*9/L", "/mm3", "/uL", "g/L", "g/dL", "mg/dL", "mg/L", "umol/L", "mmol/L", "[iU]/mL",
    "U/L", "ng/mL", "mL/min/{1.73_m2}", "g/d", "mg/mg", "/[HPF]", "%",
)


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    tests = [
        (t.id, t.label, t.canonical_unit, t.kind) for t in kb.table("labs", "tests", LabTest)
    ]
    return {
        "tests": tests,
        "labels": {t[0]: t[1] for t in tests},
        "units": _UNITS,
        "results": [(w, w) for w in ("positive", "negative", "low", "high", "normal")],
    }


@router.get("/patients/{patient_id}/labs", include_in_schema=False)
def labs_page(
    request: Request, patient: PatientRef, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> Response:
    """The patient's lab results and the form to add one."""
    return obs.show(LABS, request, auth, store, patient, _context(kb))


@router.post("/patients/{patient_id}/labs", include_in_schema=False)
def add_lab(
    request: Request,
    patient: PatientRef,
    auth: EditorSession,
    store: StoreDep,
    kb: Knowledge,
    form: Form,
    today: Today,
) -> Response:
    """Add a lab result from the form."""
    return obs.add_from_form(LABS, request, auth, store, patient, form, _context(kb), today)


@router.post("/patients/{patient_id}/labs/{lab_id}/delete", include_in_schema=False)
def delete_lab(patient: PatientRef, lab_id: int, auth: EditorSession, store: StoreDep) -> Response:
    """Remove one lab result."""
    return obs.remove(LABS, auth, store, patient.id, lab_id)


@router.get("/api/patients/{patient_id}/labs", summary="List lab results")
def api_labs(patient: PatientRef, auth: ReaderSession, store: StoreDep) -> list[dict[str, Any]]:
    """Every lab result, oldest first: its case-file entry and the stored canonical values."""
    return obs.api_list(LABS, auth, store, patient.id)


@router.post("/api/patients/{patient_id}/labs", summary="Add a lab result", status_code=201)
def api_add_lab(
    body: LabIn, patient: PatientRef, auth: EditorSession, store: StoreDep
) -> JSONResponse:
    """Add one lab result (a case-file `labs` item); 422 lists every problem."""
    return obs.api_add(LABS, auth, store, patient.id, body.entry())


@router.delete(
    "/api/patients/{patient_id}/labs/{lab_id}", summary="Remove a lab result", status_code=204
)
def api_delete_lab(
    patient: PatientRef, lab_id: int, auth: EditorSession, store: StoreDep
) -> Response:
    """Remove one lab result."""
    return obs.api_remove(LABS, auth, store, patient.id, lab_id)
