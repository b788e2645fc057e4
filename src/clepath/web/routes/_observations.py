"""The shared shape of observation routes: a page listing a kind with its entry form, adding
from the form, removing one, and the same three actions in the JSON API.

Each resource module (labs, findings, therapies, diagnoses, CLASI) declares an
`ObservationKind` (how its form becomes a case-file entry, where its errors go, which page
shows it) and routes that call these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from clepath.errors import CaseError
from clepath.store import PatientSummary, Store
from clepath.web import forms
from clepath.web.deps import Auth, Patient
from clepath.web.describe import describe
from clepath.web.future import entry_warnings
from clepath.web.render import page
from clepath.web.routes._common import commit, observation_json, see_other

__all__ = ["ObservationKind", "add_from_form", "api_add", "api_list", "api_remove", "remove",
           "show"]


@dataclass(frozen=True)
class ObservationKind:
    """One observation kind as the web shows it."""

    kind: str  # the store's kind and the case-file section
    resource: str  # the audit log's word for one item
    path: str  # URL segment under /patients/{id}/
    template: str
    fields: Mapping[str, str]  # entry field (or prefix) -> form field
    to_entry: Callable[[FormData], dict[str, Any]]
    strip: str = ""
    defaults: Mapping[str, str] = field(default_factory=dict)


def show(
    spec: ObservationKind,
    request: Request,
    auth: Auth,
    store: Store,
    patient: Patient | PatientSummary,
    context: Mapping[str, Any],
    *,
    form: Any = None,
    errors: forms.FormErrors | None = None,
    status: int = 200,
    future_warnings: list[str] | None = None,
) -> Response:
    """The kind's page: the stored items and the entry form (with errors after a rejection,
    or the dates after today to confirm)."""
    items = store.observations.items(patient.id, spec.kind)
    if status == 200:
        commit(store, auth.user, "view", spec.resource, patient_id=patient.id)
    return page(
        request,
        spec.template,
        auth,
        status=status,
        patient=patient,
        items=items,
        form=form if form is not None else dict(spec.defaults),
        errors=errors,
        future_warnings=future_warnings or [],
        **context,
    )


def add_from_form(
    spec: ObservationKind,
    request: Request,
    auth: Auth,
    store: Store,
    patient: Patient | PatientSummary,
    form: FormData,
    context: Mapping[str, Any],
    today: dt.date | None = None,
) -> Response:
    """Add from the form; a rejected form is shown again with each problem at its field, and a
    date after `today` is shown again, unsaved, until the form confirms it."""
    try:
        added = store.observations.add(patient.id, spec.kind, spec.to_entry(form), by=auth.user)
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, spec.fields, strip=spec.strip)
        return show(
            spec, request, auth, store, patient, context, form=form, errors=errors, status=422
        )
    # --- dates after today (issue 9 item 5) ---
    warnings = entry_warnings(form, added.item, today) if today is not None else []
    if warnings:
        store.rollback()
        return show(
            spec, request, auth, store, patient, context, form=form, status=422,
            future_warnings=warnings,
        )
    commit(store, auth.user, "create", spec.resource, patient_id=patient.id, resource_id=added.id)
    return see_other(f"/patients/{patient.id}/{spec.path}?added={added.id}")


def remove(spec: ObservationKind, auth: Auth, store: Store, patient_id: int, item_id: int) -> (
    Response
):
    """Remove one item and go back to the kind's page, which names what was removed."""
    found = next((o for o in store.observations.items(patient_id, spec.kind) if o.id == item_id),
                 None)
    if found is None or not store.observations.remove(patient_id, spec.kind, item_id):
        raise HTTPException(404, f"There is no such {spec.resource}.")
    commit(store, auth.user, "delete", spec.resource, patient_id=patient_id, resource_id=item_id)
    removed = quote(describe(found.item, spec.kind))
    return see_other(f"/patients/{patient_id}/{spec.path}?removed={removed}")


def api_list(spec: ObservationKind, auth: Auth, store: Store, patient_id: int) -> (
    list[dict[str, Any]]
):
    """Every stored item of the kind, oldest first."""
    items = store.observations.items(patient_id, spec.kind)
    commit(store, auth.user, "view", spec.resource, patient_id=patient_id)
    return [observation_json(spec.kind, item) for item in items]


def api_add(
    spec: ObservationKind, auth: Auth, store: Store, patient_id: int, entry: dict[str, Any]
) -> JSONResponse:
    """Add one item (a case-file entry); 422 with every problem when it is not valid."""
    added = store.observations.add(patient_id, spec.kind, entry, by=auth.user)
    commit(store, auth.user, "create", spec.resource, patient_id=patient_id, resource_id=added.id)
    return JSONResponse(observation_json(spec.kind, added), status_code=201)


def api_remove(spec: ObservationKind, auth: Auth, store: Store, patient_id: int, item_id: int) -> (
    Response
):
    """Remove one item; 404 when the patient has no such item."""
    if not store.observations.remove(patient_id, spec.kind, item_id):
        raise HTTPException(404, f"There is no such {spec.resource}.")
    commit(store, auth.user, "delete", spec.resource, patient_id=patient_id, resource_id=item_id)
    return Response(status_code=204)
