"""Case files in and out: import a YAML or JSON case file (upload or paste), export a patient.

Import checks the whole file with `clepath.casefile` before anything is written; a file with
any problem changes nothing and every problem is listed with its field. Export writes the
stored observations back as a case file that imports to the same record.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from clepath.casefile import parse_case, read_case_data
from clepath.errors import CaseError, FieldProblem
from clepath.store import case_to_data
from clepath.web import forms
from clepath.web.deps import EditorSession, Form, Knowledge, PatientRecord, ReaderSession, StoreDep
from clepath.web.render import page
from clepath.web.routes._common import commit, see_other

__all__ = ["MAX_CASE_BYTES", "router"]

router = APIRouter(tags=["case files"])

MAX_CASE_BYTES = 5 * 1024 * 1024
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _file_name(case_id: str, suffix: str) -> str:
    return (_UNSAFE_NAME.sub("_", case_id).strip("._") or "case") + suffix


def _uploaded_text(form: Any) -> tuple[str, str]:
    """(text, name) from the upload, or the pasted text when no file was chosen."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            raw = upload.file.read(MAX_CASE_BYTES + 1)
        finally:
            upload.file.close()
        name = upload.filename
    else:
        raw = str(form.get("text") or "").encode("utf-8")
        name = "pasted text"
    if not raw.strip():
        raise CaseError(FieldProblem("file", name, "is empty", "a YAML or JSON case file"))
    if len(raw) > MAX_CASE_BYTES:
        raise CaseError(FieldProblem("file", name, "is too large", "a case file under 5 MB"))
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError:
        raise CaseError(
            FieldProblem("file", name, "is not UTF-8 text", "a YAML or JSON file")
        ) from None


@router.get("/patients/import", include_in_schema=False)
def import_form(request: Request, auth: EditorSession) -> Response:
    """The case-file import form."""
    return page(request, "patients/import.html", auth)


@router.post("/patients/import", include_in_schema=False)
def import_case(request: Request, auth: EditorSession, store: StoreDep, form: Form) -> Response:
    """Import a case file; with `replace`, a patient with the same case id is replaced."""
    replace = form.get("replace") == "yes"
    try:
        text, name = _uploaded_text(form)
        data = read_case_data(text, name=name)
        patient_id, replaced = store.patients.import_data(data, by=auth.user, replace=replace)
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, {})
        return page(
            request, "patients/import.html", auth, status=422, errors=errors,
            replace=replace, text=str(form.get("text") or ""),
        )
    commit(store, auth.user, "replace" if replaced else "import", "patient", patient_id=patient_id)
    return see_other(f"/patients/{patient_id}")


def _yaml(data: dict[str, Any]) -> str:
    text: str = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return text


@router.get("/patients/{patient_id}/case.yaml", include_in_schema=False)
@router.get(
    "/api/patients/{patient_id}/case.yaml",
    summary="Export as a YAML case file",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {"schema": {"type": "object"}}},
                     "description": "The case file (YAML, format 1)."}},
)
def export_yaml(patient: PatientRecord, auth: ReaderSession, store: StoreDep) -> Response:
    """The patient's record as a case file (YAML, format 1)."""
    commit(store, auth.user, "export", "patient", patient_id=patient.id, detail="yaml")
    name = _file_name(patient.case.id, ".yaml")
    return Response(
        _yaml(case_to_data(patient.case)),
        media_type="application/yaml; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/patients/{patient_id}/case.json", include_in_schema=False)
def export_json_file(patient: PatientRecord, auth: ReaderSession, store: StoreDep) -> Response:
    """The patient's record as a case file (JSON), as a download."""
    commit(store, auth.user, "export", "patient", patient_id=patient.id, detail="json")
    name = _file_name(patient.case.id, ".json")
    return Response(
        json.dumps(case_to_data(patient.case, dates_as_text=True), indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


# --- JSON API ---------------------------------------------------------------------------------

CaseBody = Annotated[
    dict[str, Any],
    Body(description="A case file (format 1) as JSON; see docs/case-format.md."),
]


@router.post("/api/cases", summary="Import a case file", status_code=201)
def api_import(
    data: CaseBody, auth: EditorSession, store: StoreDep, replace: bool = False
) -> JSONResponse:
    """Store a case file as a new patient (or replace the one with its case id, if asked)."""
    patient_id, replaced = store.patients.import_data(data, by=auth.user, replace=replace)
    commit(store, auth.user, "replace" if replaced else "import", "patient", patient_id=patient_id)
    return JSONResponse(
        {"id": patient_id, "case_id": data.get("id"), "replaced": replaced},
        status_code=200 if replaced else 201,
    )


@router.get("/api/patients/{patient_id}/case", summary="Export as a case file")
def api_export(patient: PatientRecord, auth: ReaderSession, store: StoreDep) -> dict[str, Any]:
    """The patient's record as case-file data (format 1); importing it gives the same record."""
    commit(store, auth.user, "export", "patient", patient_id=patient.id, detail="json")
    data: dict[str, Any] = case_to_data(patient.case, dates_as_text=True)
    return data


@router.put("/api/patients/{patient_id}/case", summary="Replace the whole record")
def api_replace(
    data: CaseBody, patient: PatientRecord, auth: EditorSession, store: StoreDep, kb: Knowledge
) -> dict[str, Any]:
    """Replace every observation of the patient with those of a case file."""
    case = parse_case(data, kb)
    store.patients.replace_case(patient.id, case, by=auth.user)
    commit(store, auth.user, "replace", "patient", patient_id=patient.id)
    return {"id": patient.id, "case_id": case.id}
