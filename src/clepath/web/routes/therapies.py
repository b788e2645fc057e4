"""Therapy courses: drug, dose with its unit, frequency, route, dates and outcome.

A course can be edited in place (to stop it, or record its outcome); every change is checked
as a case-file `therapies` item first. A course the drugs pack's limits speak against (a dose
above the maximum, a schedule or route not allowed: `clepath.engine.doses`) is not saved until
the user ticks "save anyway" on the form shown again with the warnings; an obvious unit slip
(1000 times the maximum) is refused by the case-file parser itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from clepath.domain.case import TherapyCourse
from clepath.engine.doses import course_problems
from clepath.engine.therapy import drug_rows, effective_drug
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.store import PatientSummary, Store
from clepath.store.entries import parse_item
from clepath.web import forms
from clepath.web.clock import Today
from clepath.web.deps import Auth, EditorSession, Form, Id, Knowledge, PatientRef, StoreDep
from clepath.web.future import entry_warnings
from clepath.web.render import page
from clepath.web.routes import _observations as obs
from clepath.web.routes._common import choices, commit, observation_json, see_other
from clepath.web.schemas import TherapyIn

__all__ = ["THERAPIES", "dose_warnings", "router", "therapy_choices"]

THERAPIES = obs.ObservationKind(
    kind="therapies",
    resource="therapy",
    path="therapies",
    template="observations/therapies.html",
    fields={
        "": "drug",
        "drug": "drug",
        "dose": "dose_value",
        "frequency": "frequency",
        "route": "route",
        "start": "start",
        "stop": "stop",
        "outcome": "outcome",
        "note": "note",
    },
    to_entry=forms.therapy_entry,
    defaults={"dose_unit": "mg", "outcome": "ongoing"},
)
_DOSE_UNITS = ("mg", "g", "ug", "mg/kg", "g/kg")


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    drugs = choices(kb, "drug")
    return {
        "drugs": drugs,
        "drug_labels": dict(drugs),
        "item_labels": dict(drugs),  # how confirmations name a course's drug
        "frequencies": choices(kb, "frequency"),
        "routes": choices(kb, "route"),
        "outcomes": choices(kb, "outcome"),
        "dose_units": _DOSE_UNITS,
    }


therapy_choices = _context
"""The choices the therapy fields offer (drugs, frequencies, routes, outcomes, dose units);
the new-patient form's therapy rows use them too."""


def dose_warnings(kb: KnowledgeBase, course: TherapyCourse) -> list[str]:
    """What the drugs pack's limits say against a course before it is saved (one sentence
    each; empty when nothing). Per-kg maxima need a weight and are left to the assessment."""
    problems = course_problems(
        drug_rows(kb).get(effective_drug(kb, course)),
        course,
        weight_kg=None,
        frequency_labels=kb.vocabulary("frequency").labels,
        route_labels=kb.vocabulary("route").labels,
    )
    return [p.text[:1].upper() + p.text[1:] + "." for p in problems]


def _unconfirmed(kb: KnowledgeBase, as_of: dt.date, form: Form) -> list[str]:
    """The warnings a form must be confirmed against (none once the box is ticked, or when the
    entry is invalid: the parser's errors are shown instead)."""
    if forms.dose_confirmed(form):
        return []
    try:
        course = parse_item("therapies", forms.therapy_entry(form), as_of=as_of, kb=kb)
    except CaseError:
        return []
    return dose_warnings(kb, course)


def _add(
    request: Request, patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase,
    form: FormData, today: dt.date,
) -> Response:
    """Add a therapy course from the form (after confirmation when its dose is implausible)."""
    warnings = _unconfirmed(kb, patient.as_of, form)
    if warnings:
        return obs.show(
            THERAPIES, request, auth, store, patient,
            {**_context(kb), "dose_warnings": warnings}, form=form, status=409,
        )
    return obs.add_from_form(THERAPIES, request, auth, store, patient, form, _context(kb), today)


router = obs.routes(
    THERAPIES, name="therapy", item_id="course_id", schema=TherapyIn, context=_context,
    add=_add, words=obs.Words("therapy course", "therapy courses", short="course",
                              listed="Every therapy course, in the order recorded."),
)


@router.get("/patients/{patient_id}/therapies/{course_id}/edit", include_in_schema=False)
def edit_therapy_form(
    request: Request,
    patient: PatientRef,
    course_id: Id,
    auth: EditorSession,
    store: StoreDep,
    kb: Knowledge,
) -> Response:
    """One course, ready to change."""
    found = store.observations.get(patient.id, "therapies", course_id)
    if found is None:
        raise HTTPException(404, "There is no such therapy course.")
    return page(
        request, "observations/therapy_edit.html", auth, patient=patient, course_id=course_id,
        form=forms.therapy_form(found.item), **_context(kb),
    )


@router.post("/patients/{patient_id}/therapies/{course_id}/edit", include_in_schema=False)
def edit_therapy(
    request: Request,
    patient: PatientRef,
    course_id: Id,
    auth: EditorSession,
    store: StoreDep,
    kb: Knowledge,
    form: Form,
    today: Today,
) -> Response:
    """Replace one course with the form's values (checked first; nothing changes if refused,
    nor before an implausible dose or a start or stop after today is confirmed)."""
    warnings = _unconfirmed(kb, patient.as_of, form)
    if warnings:
        return page(
            request, "observations/therapy_edit.html", auth, status=409, patient=patient,
            course_id=course_id, form=form, dose_warnings=warnings, **_context(kb),
        )
    try:
        changed = store.observations.replace(
            patient.id, "therapies", course_id, forms.therapy_entry(form)
        )
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, THERAPIES.fields)
        return page(
            request, "observations/therapy_edit.html", auth, status=422, patient=patient,
            course_id=course_id, form=form, errors=errors, **_context(kb),
        )
    if changed is None:
        raise HTTPException(404, "There is no such therapy course.")
    # --- dates after today (issue 9 item 5) ---
    warnings = entry_warnings(form, changed.item, today)
    if warnings:
        store.rollback()
        return page(
            request, "observations/therapy_edit.html", auth, status=422, patient=patient,
            course_id=course_id, form=form, future_warnings=warnings, **_context(kb),
        )
    commit(store, auth.user, "update", "therapy", patient_id=patient.id, resource_id=course_id)
    return see_other(f"/patients/{patient.id}/therapies")


@router.put("/api/patients/{patient_id}/therapies/{course_id}", summary="Replace a course")
def api_replace_therapy(
    body: TherapyIn, patient: PatientRef, course_id: Id, auth: EditorSession, store: StoreDep
) -> dict[str, Any]:
    """Replace one course (checked first; 422 and no change when refused)."""
    changed = store.observations.replace(patient.id, "therapies", course_id, body.entry())
    if changed is None:
        raise HTTPException(404, "There is no such therapy course.")
    commit(store, auth.user, "update", "therapy", patient_id=patient.id, resource_id=course_id)
    return observation_json("therapies", changed)
