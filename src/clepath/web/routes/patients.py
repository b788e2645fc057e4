"""Patients: the list with search, a new patient, the patient page with its assessment,
the patient's details (assessment date, demographics), and deletion.

The patient page runs `clepath.engine.assess.assess` on the stored observations and renders
`assessment_to_json`; the same template shows a stored assessment later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from clepath.domain.body import case_on
from clepath.domain.case import Case
from clepath.engine.assess import assess
from clepath.errors import CaseError
from clepath.report.assessment_json import assessment_to_json
from clepath.report.jsonable import to_jsonable
from clepath.report.similar import assessment_similar
from clepath.store import PatientSummary, Store
from clepath.web import forms
from clepath.web.clock import Today
from clepath.web.deps import (
    EditorSession,
    Form,
    Knowledge,
    Limit,
    Offset,
    PageNumber,
    PatientCase,
    PatientRecord,
    PatientRef,
    ReaderSession,
    StoreDep,
)
from clepath.web.future import as_of_warnings, entry_warnings, measurement_warnings
from clepath.web.render import page
from clepath.web.routes._common import choices, commit, see_other
from clepath.web.routes.labs import LABS, lab_choices
from clepath.web.routes.therapies import THERAPIES, dose_warnings, therapy_choices
from clepath.web.schemas import PatientDetailsIn

__all__ = ["PATIENT_FIELDS", "router"]

router = APIRouter(tags=["patients"])

# Case-file field (or prefix) -> field of the patient form.
PATIENT_FIELDS = {
    "id": "case_id",
    "as_of": "as_of",
    "patient.sex": "sex",
    "patient.age": "age",
    "patient.birth_date": "birth_date",
    "patient.weight": "weight_value",
    "patient.height": "height_value",
    "patient.pre_pregnancy_weight": "pre_pregnancy_weight_value",
    "patient.smoking": "smoking",
    "patient.pregnant": "pregnant",
    "patient.blood_group": "blood_group",
    "patient.conditions": "conditions",
    "cle[0].subtype": "subtype",
    "cle[0].sites": "sites",
    "cle[0].since": "since",
}


def _summary_json(s: PatientSummary) -> dict[str, Any]:
    return {
        "id": s.id,
        "case_id": s.case_id,
        "as_of": s.as_of.isoformat(),
        "sex": s.sex,
        "age_years": s.age_years,
        "updated_at": s.updated_at.isoformat(),
    }


def _audit_search(
    store: Store, auth: Any, q: str, shown: list[PatientSummary], *, more: bool = False
) -> None:
    """Audit a list or a search; a search's row says how many matched, never what was typed."""
    if not q.strip():
        commit(store, auth.user, "list", "patients")
        return
    count = f"{len(shown)}{' or more' if more else ''}"
    commit(store, auth.user, "search", "patients", detail=f"{count} matched")


def _form_context(kb: Knowledge) -> dict[str, Any]:
    return {
        "sexes": choices(kb, "sex"),
        "smoking": choices(kb, "smoking"),
        "conditions": choices(kb, "condition"),
        "subtypes": choices(kb, "cle_subtype"),
        "regions": choices(kb, "clasi_region"),
    }


@router.get("/", include_in_schema=False)
def home() -> Response:
    """The patient list is the start page."""
    return see_other("/patients")


@router.get("/patients", include_in_schema=False)
def patient_list(
    request: Request, auth: ReaderSession, store: StoreDep, q: str = "",
    page_number: PageNumber = 1,
) -> Response:
    """Patients, most recently changed first; `q` searches the case id, the stored name, date
    of birth and record number (the audit row counts the matches, never names the text)."""
    size = 50
    number = max(1, page_number)
    patients = store.patients.search(q, limit=size + 1, offset=(number - 1) * size)
    _audit_search(store, auth, q, patients[:size], more=len(patients) > size)
    return page(
        request,
        "patients/list.html",
        auth,
        patients=patients[:size],
        q=q,
        page_number=number,
        more=len(patients) > size,
    )


# The new-patient form offers this many therapy and lab rows without JavaScript; "add another"
# (clepath.js) adds more, and a form sent back keeps every row it had.
NEW_PATIENT_ROWS = 3


def _new_patient_context(kb: Knowledge, form: Any) -> dict[str, Any]:
    return {
        **_form_context(kb), **therapy_choices(kb), **lab_choices(kb),
        "therapy_rows": range(max(NEW_PATIENT_ROWS, forms.THERAPY_ROWS.count(form))),
        "lab_rows": range(max(NEW_PATIENT_ROWS, forms.LAB_ROWS.count(form))),
        "labs_open": bool(forms.LAB_ROWS.entries(form)),
        # Smoking, pregnancy, blood group and conditions fold away until one is given.
        "fold_more": True,
        "more_open": any(
            form.getlist(k) if hasattr(form, "getlist") else form.get(k)
            for k in ("smoking", "pregnant", "blood_group", "conditions")
        ),
    }


def _new_patient_page(
    request: Request, auth: Any, kb: Knowledge, form: Any, status: int = 200, **extra: Any
) -> Response:
    return page(
        request, "patients/new.html", auth, status=status, form=form,
        **_new_patient_context(kb, form), **extra,
    )


@router.get("/patients/new", include_in_schema=False)
def new_patient_form(request: Request, auth: EditorSession, kb: Knowledge, today: Today) -> (
    Response
):
    """The one form for a new patient: details, diagnosis and therapies (assessment date
    today)."""
    return _new_patient_page(request, auth, kb, {"as_of": today.isoformat()})


def _saved_words(case: Any) -> str:
    """What a new patient was saved with, for the message on its page: "10 therapies, 4 lab
    results and 1 diagnosis"."""
    def counted(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    parts = [counted(len(case.therapies), "therapy", "therapies") if case.therapies
             else "no therapy"]
    if case.labs:
        parts.append(counted(len(case.labs), "lab result", "lab results"))
    if case.cle:
        parts.append(counted(len(case.cle), "diagnosis", "diagnoses"))
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@router.post("/patients", include_in_schema=False)
def create_patient(
    request: Request,
    auth: EditorSession,
    store: StoreDep,
    kb: Knowledge,
    form: Form,
    today: Today,
) -> Response:
    """Store a new patient with its diagnosis, therapies and first labs from the one form, in
    one transaction: if any part is refused nothing is saved and every problem is shown at its
    field (a row's too); an implausible dose or a date after today is confirmed first."""
    therapy_rows = [row for row, _ in forms.THERAPY_ROWS.entries(form)]
    lab_rows = [row for row, _ in forms.LAB_ROWS.entries(form)]
    try:
        patient_id, _ = store.patients.import_data(forms.new_patient_data(form), by=auth.user)
    except CaseError as exc:
        store.rollback()
        fields = {
            **PATIENT_FIELDS,
            **forms.THERAPY_ROWS.error_fields(therapy_rows, THERAPIES.fields),
            **forms.LAB_ROWS.error_fields(lab_rows, LABS.fields),
            **forms.body_fields(forms.body_entries(form, None)),
        }
        errors = forms.form_errors(exc.problems, fields)
        return _new_patient_page(request, auth, kb, form, status=422, errors=errors)
    stored = store.patients.load(patient_id)
    assert stored is not None
    # --- implausible doses (issue 9) and dates after today (issue 9 item 5) ---
    courses = list(zip(therapy_rows, stored.therapies, strict=True))
    warned = [] if forms.dose_confirmed(form) else [
        f"Therapy {row + 1} ({course.drug}): {text}"
        for row, course in courses for text in dose_warnings(kb, course)
    ]
    future = as_of_warnings(form, stored.as_of, today) + [
        f"Therapy {row + 1} ({course.drug}): {text}"
        for row, course in courses for text in entry_warnings(form, course, today)
    ] + [text for lab in stored.labs for text in entry_warnings(form, lab, today)] + (
        measurement_warnings(form, stored.measurements, today))
    if warned or future:
        store.rollback()
        return _new_patient_page(
            request, auth, kb, form, status=409 if warned else 422,
            dose_warnings=warned, future_warnings=future,
        )
    commit(store, auth.user, "create", "patient", patient_id=patient_id)
    return see_other(f"/patients/{patient_id}?created=1")


def _assessment_context(
    store: Store, patient: Any, kb: Knowledge, today: dt.date | None = None
) -> dict[str, Any]:
    case = patient.case
    return {
        "patient": patient,
        "case": case,
        "assessment": assessment_to_json(
            assess(case, kb, today=today), assessment_similar(case, kb)
        ),
        "after_as_of": store.observations.after_as_of(patient.id, case.as_of),
        "stored": store.assessments.for_patient(patient.id)[:5],
    }


@router.get("/patients/{patient_id}", include_in_schema=False)
def patient_page(
    request: Request,
    patient: PatientCase,
    auth: ReaderSession,
    store: StoreDep,
    kb: Knowledge,
    today: Today,
) -> Response:
    """The patient's record summary and the assessment computed from it now."""
    context = _assessment_context(store, patient, kb, today)
    commit(store, auth.user, "view", "patient", patient_id=patient.id)
    # After the new-patient form: what was saved, read back from the record (not the URL).
    created = _saved_words(patient.case) if request.query_params.get("created") else None
    return page(request, "patients/show.html", auth, created=created, **context)


@router.get("/patients/{patient_id}/edit", include_in_schema=False)
def edit_patient_form(
    request: Request, patient: PatientRecord, auth: EditorSession, kb: Knowledge
) -> Response:
    """The patient's details, ready to change."""
    return page(
        request, "patients/edit.html", auth, patient=patient,
        form=forms.patient_form(patient.case), **_form_context(kb),
    )


def _body_entries(
    form: Any, case: Case, as_of: str | None, details: dict[str, Any]
) -> list[dict[str, Any]]:
    """The weight and height boxes as dated measurements (date empty: the assessment date).
    A patient whose weight (height) was recorded undated, with no dated one, keeps it undated
    while the date box stays empty; a date given starts the dated history."""
    entries = forms.body_entries(form, as_of)
    kept = []
    for entry in entries:
        name = entry["name"]
        undated = case.patient.weight_kg if name == "weight" else case.patient.height_cm
        dated = any(m.name == name for m in case.measurements)
        if undated is not None and not dated and not form.get(f"{name}_date"):
            details[name] = entry["value"]
        else:
            kept.append(entry)
    return kept


@router.post("/patients/{patient_id}/edit", include_in_schema=False)
def edit_patient(
    request: Request,
    patient: PatientRecord,
    auth: EditorSession,
    store: StoreDep,
    kb: Knowledge,
    form: Form,
    today: Today,
) -> Response:
    """Replace the assessment date and the patient's details (checked as in a case file; an
    assessment date after today is confirmed first)."""
    as_of, details = forms.patient_entry(form)
    entries = _body_entries(form, patient.case, as_of, details)
    try:
        case = store.patients.update_details(
            patient.id, as_of, details, measurements=entries, by=auth.user
        )
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, {**PATIENT_FIELDS, **forms.body_fields(entries)})
        return page(
            request, "patients/edit.html", auth, status=422, patient=patient,
            form=form, errors=errors, **_form_context(kb),
        )
    # --- dates after today (issue 9 item 5) ---
    recorded = {(e["name"], str(e.get("date"))) for e in entries}
    warnings = as_of_warnings(form, case.as_of, today) + measurement_warnings(
        form, [m for m in case.measurements if (m.name, m.date.isoformat()) in recorded], today
    )
    if warnings:
        store.rollback()
        return page(
            request, "patients/edit.html", auth, status=422, patient=patient,
            form=form, future_warnings=warnings, **_form_context(kb),
        )
    commit(store, auth.user, "update", "patient", patient_id=patient.id)
    return see_other(f"/patients/{patient.id}")


@router.post("/patients/{patient_id}/delete", include_in_schema=False)
def delete_patient(
    request: Request, patient: PatientRecord, auth: EditorSession, store: StoreDep, form: Form
) -> Response:
    """Delete the patient after the case id is typed to confirm."""
    if str(form.get("confirm") or "").strip() != patient.case.id:
        return page(
            request, "error.html", auth, status=422, title="Not deleted",
            messages=["To delete this patient, type its case id exactly in the box."],
        )
    store.patients.delete(patient.id)
    commit(store, auth.user, "delete", "patient", patient_id=patient.id)
    return see_other("/patients")


# --- JSON API ---------------------------------------------------------------------------------


@router.get("/api/patients", summary="List and search patients")
def api_patients(
    auth: ReaderSession, store: StoreDep, q: str = "", limit: Limit = 50, offset: Offset = 0
) -> list[dict[str, Any]]:
    """Patients whose case id or stored name contains `q`, whose date of birth it names
    (1972-03-14 or 14/03/1972) or whose record number it is exactly; most recently changed
    first. The identifiers themselves are not returned."""
    found = store.patients.search(q, limit=max(1, min(limit, 500)), offset=max(0, offset))
    _audit_search(store, auth, q, found)
    return [_summary_json(s) for s in found]


@router.get("/api/patients/{patient_id}", summary="One patient")
def api_patient(patient: PatientRecord, auth: ReaderSession, store: StoreDep) -> dict[str, Any]:
    """The patient's details (weight and height: the latest on or before as_of, with the day
    measured; null for an undated value) and how many observations of each kind are stored."""
    case = patient.case
    commit(store, auth.user, "view", "patient", patient_id=patient.id)
    return {
        "id": patient.id,
        "case_id": case.id,
        "as_of": case.as_of.isoformat(),
        "patient": to_jsonable(case_on(case, case.as_of).patient),
        "counts": {
            "cle": len(case.cle),
            "findings": len(case.findings),
            "labs": len(case.labs),
            "clasi": len(case.clasi),
            "therapies": len(case.therapies),
            "measurements": len(case.measurements),
        },
        "ivig_request": to_jsonable(case.ivig_request),
    }


@router.put("/api/patients/{patient_id}/details", summary="Replace the patient's details")
def api_update_details(
    body: PatientDetailsIn, patient: PatientRef, auth: EditorSession, store: StoreDep
) -> dict[str, Any]:
    """Replace `as_of` and the `patient` section (checked as in a case file; 422 otherwise)."""
    case = store.patients.update_details(patient.id, body.as_of, body.patient, by=auth.user)
    commit(store, auth.user, "update", "patient", patient_id=patient.id)
    return {"id": patient.id, "as_of": case.as_of.isoformat(), "patient": to_jsonable(case.patient)}


@router.delete("/api/patients/{patient_id}", summary="Delete a patient", status_code=204)
def api_delete_patient(patient: PatientRef, auth: EditorSession, store: StoreDep) -> Response:
    """Delete the patient, its observations and stored assessments (the audit log stays)."""
    if not store.patients.delete(patient.id):
        raise HTTPException(404, "There is no such patient.")
    commit(store, auth.user, "delete", "patient", patient_id=patient.id)
    return Response(status_code=204)
