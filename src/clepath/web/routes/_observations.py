"""The shared shape of observation routes: a page listing a kind with its entry form, adding
from the form, removing one, and the same three actions in the JSON API.

Each resource module (labs, findings, therapies, diagnoses, CLASI) declares an
`ObservationKind` (how its form becomes a case-file entry, where its errors go, which page
shows it) and gets its six routes from `routes(...)`; a kind that needs more (CLASI's sheet,
therapies' edit form and dose confirmation) passes hooks for the page or the form's POST and
adds its extra routes to the router it is given. The functions the routes call (`show`,
`add_from_form`, `remove`, `api_list`, `api_add`, `api_remove`) stay public for such hooks.
docs/observation-kinds.md walks through adding a kind.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.store import PatientSummary, Store
from clepath.web import forms
from clepath.web.clock import Today
from clepath.web.deps import (
    Auth,
    EditorSession,
    Form,
    Id,
    Knowledge,
    Patient,
    PatientRef,
    ReaderSession,
    StoreDep,
)
from clepath.web.describe import describe
from clepath.web.future import entry_warnings
from clepath.web.render import page
from clepath.web.routes._common import commit, observation_json, see_other
from clepath.web.schemas import Entry

__all__ = ["ObservationKind", "Words", "add_from_form", "api_add", "api_list", "api_remove",
           "remove", "routes", "show"]


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


def remove(
    spec: ObservationKind, auth: Auth, store: Store, patient_id: int, item_id: int,
    labels: Mapping[str, str] | None = None,
) -> Response:
    """Remove one item and go back to the kind's page, which names what was removed (by its
    label in the packs where `labels` has it)."""
    found = next((o for o in store.observations.items(patient_id, spec.kind) if o.id == item_id),
                 None)
    if found is None or not store.observations.remove(patient_id, spec.kind, item_id):
        raise HTTPException(404, f"There is no such {spec.resource}.")
    commit(store, auth.user, "delete", spec.resource, patient_id=patient_id, resource_id=item_id)
    removed = quote(describe(found.item, spec.kind, labels))
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


# --- the router factory -------------------------------------------------------------------

Context = Callable[[KnowledgeBase], Mapping[str, Any]]
PageHook = Callable[[Request, PatientSummary, Auth, Store, KnowledgeBase], Response]
AddHook = Callable[
    [Request, PatientSummary, Auth, Store, KnowledgeBase, FormData, dt.date], Response
]
ListHook = Callable[[list[dict[str, Any]], Store, int, KnowledgeBase], list[dict[str, Any]]]


@dataclass(frozen=True)
class Words:
    """How the JSON API's documentation names the kind: summaries "List {many}", "Add a {one}",
    "Remove a {one}"; descriptions `listed`, "Add one {short} (a case-file `kind` item); 422
    lists every problem." and "Remove one {short}."."""

    one: str  # "finding", "lab result"
    many: str  # "findings", "lab results"
    listed: str  # the list operation's description, one sentence
    short: str = ""  # the noun in the add and remove descriptions (default: `one`)
    article: str = "a"


def _no_context(kb: KnowledgeBase) -> Mapping[str, Any]:
    return {}


def _doc(hook: Callable[..., Any] | None, default: str) -> str:
    return inspect.getdoc(hook) or default if hook is not None else default


def _handler(
    name: str, doc: str, call: Callable[..., Any], returns: Any, /, **params: Any
) -> Callable[..., Any]:
    """A route handler called `name` whose signature is `params` (parameter name to annotation,
    in order), for FastAPI to read the dependencies, path parameters and body from; `call` gets
    the same keyword arguments."""

    def handler(**kwargs: Any) -> Any:
        return call(**kwargs)

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = doc
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, annotation=v)
         for k, v in params.items()],
        return_annotation=returns,
    )
    return handler


def routes(
    spec: ObservationKind,
    *,
    name: str,
    item_id: str,
    schema: type[Entry],
    words: Words,
    context: Context = _no_context,
    page: PageHook | None = None,
    add: AddHook | None = None,
    listed: ListHook | None = None,
    future_dates: bool = True,
) -> APIRouter:
    """The six routes of an observation kind, on a new router tagged `spec.path`:

    - GET  /patients/{patient_id}/{path}: the page (`show`, or the `page` hook);
    - POST /patients/{patient_id}/{path}: add from the form (`add_from_form`, or `add`);
    - POST /patients/{patient_id}/{path}/{item_id}/delete: remove one (`remove`);
    - GET, POST /api/patients/{patient_id}/{kind} and DELETE …/{item_id}: the JSON API, whose
      body is `schema` (an `Entry` model) and whose list `listed` may add to.

    `name` is the singular stem of the handlers' names (`add_finding`, `api_findings`: the
    OpenAPI operation ids); `item_id` the path parameter's name; `context` the template's
    choice lists from the packs; `future_dates` whether a form's date after today is confirmed
    before saving. A kind adds its other routes to the router returned.
    """
    router = APIRouter(tags=[spec.path])
    base, api = f"/patients/{{patient_id}}/{spec.path}", f"/api/patients/{{patient_id}}/{spec.kind}"
    short = words.short or words.one

    def show_page(
        request: Request, patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase
    ) -> Response:
        if page is not None:
            return page(request, patient, auth, store, kb)
        return show(spec, request, auth, store, patient, context(kb))

    def add_form(
        request: Request, patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase,
        form: FormData, today: dt.date,
    ) -> Response:
        if add is not None:
            return add(request, patient, auth, store, kb, form, today)
        return add_from_form(spec, request, auth, store, patient, form, context(kb),
                             today if future_dates else None)

    def delete_form(
        patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase, **ids: int
    ) -> Response:
        return remove(spec, auth, store, patient.id, ids[item_id],
                      context(kb).get("item_labels"))

    def list_api(
        patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase
    ) -> list[dict[str, Any]]:
        items = api_list(spec, auth, store, patient.id)
        return items if listed is None else listed(items, store, patient.id, kb)

    def add_api(body: Entry, patient: PatientSummary, auth: Auth, store: Store) -> JSONResponse:
        return api_add(spec, auth, store, patient.id, body.entry())

    def delete_api(patient: PatientSummary, auth: Auth, store: Store, **ids: int) -> Response:
        return api_remove(spec, auth, store, patient.id, ids[item_id])

    page_doc = _doc(page, f"The patient's {words.many} and the form to add one.")
    add_doc = _doc(add, f"Add {words.article} {words.one} from the form.")
    item = {item_id: Id}
    reader = {"patient": PatientRef, "auth": ReaderSession, "store": StoreDep}
    editor = {"patient": PatientRef, "auth": EditorSession, "store": StoreDep}

    router.add_api_route(
        base, _handler(f"{spec.path}_page", page_doc, show_page, Response, request=Request,
                       **reader, kb=Knowledge),
        methods=["GET"], include_in_schema=False,
    )
    router.add_api_route(
        base, _handler(f"add_{name}", add_doc, add_form, Response, request=Request, **editor,
                       kb=Knowledge, form=Form, today=Today),
        methods=["POST"], include_in_schema=False,
    )
    router.add_api_route(
        f"{base}/{{{item_id}}}/delete",
        _handler(f"delete_{name}", f"Remove one {short}.", delete_form, Response,
                 patient=PatientRef, **item, auth=EditorSession, store=StoreDep, kb=Knowledge),
        methods=["POST"], include_in_schema=False,
    )
    router.add_api_route(
        api, _handler(f"api_{spec.path}", words.listed, list_api, list[dict[str, Any]],
                      **reader, kb=Knowledge),
        methods=["GET"], summary=f"List {words.many}",
    )
    router.add_api_route(
        api, _handler(
            f"api_add_{name}",
            f"Add one {short} (a case-file `{spec.kind}` item); 422 lists every problem.",
            add_api, JSONResponse, body=schema, **editor,
        ),
        methods=["POST"], summary=f"Add {words.article} {words.one}", status_code=201,
    )
    router.add_api_route(
        f"{api}/{{{item_id}}}",
        _handler(f"api_delete_{name}", f"Remove one {short}.", delete_api, Response,
                 patient=PatientRef, **item, auth=EditorSession, store=StoreDep),
        methods=["DELETE"], summary=f"Remove {words.article} {words.one}", status_code=204,
    )
    return router
