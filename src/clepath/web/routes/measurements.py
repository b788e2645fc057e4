"""Weight and height: dated measurements with their history (issue 12). The IVIG dose uses the
latest weight on or before the plan's start; the assessment the latest on or before as_of.

The page shows the whole stored record (an undated weight or height of the details page is
listed apart), so its two form routes load the record; the rest is the shared shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from clepath.domain.body import latest_on_or_before
from clepath.knowledge.base import KnowledgeBase
from clepath.store import PatientSummary, Store
from clepath.web import forms
from clepath.web.deps import Auth, Patient
from clepath.web.routes import _observations as obs
from clepath.web.schemas import MeasurementIn

__all__ = ["MEASUREMENTS", "router"]

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


def _context(store: Store, record: Patient) -> dict[str, Any]:
    """The choices and, per measurement name, the id of the stored item the assessment uses (the
    rule of `clepath.domain.body`, never re-derived in the page)."""
    items = store.observations.items(record.id, MEASUREMENTS.kind)
    used: dict[str, int] = {}
    for name, _ in _CONTEXT["names"]:
        chosen = latest_on_or_before([o.item for o in items], name, record.as_of)
        for o in items:
            if o.item is chosen:
                used[name] = o.id
    return {**_CONTEXT, "used_ids": used}


def _record(store: Store, patient: PatientSummary) -> Patient:
    case = store.patients.load(patient.id)
    if case is None:
        raise HTTPException(404, "There is no such patient.")
    return Patient(patient.id, case)


def _page(
    request: Request, patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase
) -> Response:
    """The patient's weights and heights, newest first (and any undated value of the details
    page), and the form to add one."""
    record = _record(store, patient)
    return obs.show(MEASUREMENTS, request, auth, store, record, _context(store, record))


def _add(
    request: Request, patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase,
    form: FormData, today: dt.date,
) -> Response:
    """Add a weight or height from the form."""
    record = _record(store, patient)
    return obs.add_from_form(MEASUREMENTS, request, auth, store, record, form,
                             _context(store, record), today)


router = obs.routes(
    MEASUREMENTS, name="measurement", item_id="measurement_id", schema=MeasurementIn,
    page=_page, add=_add,
    words=obs.Words("weight or height", "weights and heights", short="weight or height",
                    listed="Every dated weight and height, oldest first."),
)
