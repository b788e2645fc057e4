"""CLASI examinations: the history with CLASI-A and CLASI-D of each exam, and the entry form.

The form is drawn from the `clasi` knowledge pack: the 13 regions in form order, each item's
allowed values with the description of every level, and the regions an item skips (the scalp
is not scored for scarring). Scores are computed by `clepath.scores.clasi`, never here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from clepath.domain.case import ClasiExam
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.clasi import ClasiItem, ClasiRegion, ClasiRule
from clepath.scores import clasi as clasi_scores
from clepath.store import PatientSummary, Store
from clepath.web import forms
from clepath.web.deps import Auth, EditorSession, Knowledge, PatientRef, StoreDep
from clepath.web.future import entry_warnings
from clepath.web.render import page
from clepath.web.routes import _observations as obs
from clepath.web.routes._common import commit, see_other
from clepath.web.schemas import ClasiIn

__all__ = ["CLASI", "router"]

_GLOBAL_FIELDS = ("mucous_membrane", "recent_hair_loss", "nonscarring_alopecia",
                  "scarring_alopecia_scalp", "dyspigmentation_lasts_12_months")


def _layout(kb: KnowledgeBase) -> dict[str, Any]:
    regions = sorted(kb.table("clasi", "regions", ClasiRegion), key=lambda r: r.order)
    items = kb.table("clasi", "items", ClasiItem)
    return {
        "regions": regions,
        "region_items": [i for i in items if i.scope == "region"],
        "global_items": [i for i in items if i.scope == "global"],
        "rules": kb.table("clasi", "rules", ClasiRule),
        "activity_max": clasi_scores.activity_maximum(kb),
        "damage_max": clasi_scores.damage_maximum(kb),
        "multiplier": kb.value("clasi.dyspigmentation_persistence_multiplier"),
    }


def _entry(form: Any, kb: KnowledgeBase) -> dict[str, Any]:
    layout = _layout(kb)
    return forms.clasi_entry(
        form,
        [r.id for r in layout["regions"]],
        [i.id for i in layout["region_items"]],
        [i.id for i in layout["global_items"]],
    )


def _fields(kb: KnowledgeBase) -> dict[str, str]:
    layout = _layout(kb)
    mapping = {"": "date", "date": "date", "regions": "date"}
    mapping.update({f: f for f in _GLOBAL_FIELDS})
    for region in layout["regions"]:
        mapping[region.id] = f"{region.id}.{layout['region_items'][0].id}"
        for item in layout["region_items"]:
            mapping[f"{region.id}.{item.id}"] = f"{region.id}.{item.id}"
    return mapping


CLASI = obs.ObservationKind(
    kind="clasi",
    resource="clasi_exam",
    path="clasi",
    template="observations/clasi.html",
    fields={},  # built from the pack per request (`_fields`)
    to_entry=lambda form: {},
)


def _history(store: Any, patient_id: int, kb: KnowledgeBase) -> list[tuple[Any, Any]]:
    return [
        (exam, clasi_scores.score_exam(exam.item, kb))
        for exam in store.observations.items(patient_id, "clasi")
    ]


def _page(
    request: Request, patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase
) -> Response:
    """Every CLASI examination with its activity and damage scores."""
    history = _history(store, patient.id, kb)
    commit(store, auth.user, "view", "clasi_exam", patient_id=patient.id)
    labels = {r.id: r.label for r in _layout(kb)["regions"]}
    return page(
        request, CLASI.template, auth, patient=patient, history=history, region_labels=labels
    )


def _form_page(request: Request, auth: Any, patient: Any, kb: KnowledgeBase, **extra: Any) -> (
    Response
):
    return page(request, "observations/clasi_form.html", auth, patient=patient, **_layout(kb),
                **extra)


def _form_from(exam: ClasiExam, kb: KnowledgeBase) -> dict[str, str]:
    """The sheet's fields holding an examination's values."""
    layout = _layout(kb)
    form: dict[str, str] = {}
    for region in layout["regions"]:
        score = exam.region(region.id)
        for item in layout["region_items"]:
            form[f"{region.id}.{item.id}"] = str(getattr(score, item.id))
    for item in layout["global_items"]:
        form[item.id] = str(getattr(exam, item.id))
    persistent = exam.dyspigmentation_lasts_12_months
    form["dyspigmentation_lasts_12_months"] = "" if persistent is None else (
        "yes" if persistent else "no")
    return form


def _add(
    request: Request, patient: PatientSummary, auth: Auth, store: Store, kb: KnowledgeBase,
    form: FormData, today: dt.date,
) -> Response:
    """Add a CLASI examination from the form (a date after today is confirmed first)."""
    try:
        added = store.observations.add(patient.id, "clasi", _entry(form, kb), by=auth.user)
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, _fields(kb), strip="regions.")
        return _form_page(request, auth, patient, kb, status=422, form=form, errors=errors)
    # --- dates after today (issue 9 item 5) ---
    warnings = entry_warnings(form, added.item, today)
    if warnings:
        store.rollback()
        return _form_page(
            request, auth, patient, kb, status=422, form=form, future_warnings=warnings
        )
    commit(store, auth.user, "create", "clasi_exam", patient_id=patient.id, resource_id=added.id)
    return see_other(f"/patients/{patient.id}/clasi?added={added.id}")


def _scored(listed: list[dict[str, Any]], store: Store, patient_id: int, kb: KnowledgeBase) -> (
    list[dict[str, Any]]
):
    """The API's examinations, each with its CLASI-A, CLASI-D and activity band."""
    for item, (_, score) in zip(listed, _history(store, patient_id, kb), strict=True):
        item["scores"] = {"activity": score.activity, "damage": score.damage,
                          "severity": score.severity}
    return listed


router = obs.routes(
    CLASI, name="clasi", item_id="exam_id", schema=ClasiIn, page=_page, add=_add, listed=_scored,
    words=obs.Words("CLASI examination", "CLASI examinations", short="examination", listed=(
        "Every CLASI examination with its CLASI-A, CLASI-D and activity band.")),
)


@router.get("/patients/{patient_id}/clasi/new", include_in_schema=False)
def clasi_form(
    request: Request, patient: PatientRef, auth: EditorSession, store: StoreDep, kb: Knowledge,
    start: str = Query("", alias="from"),
) -> Response:
    """The CLASI sheet over the 13 regions; `?from=last` fills it from the latest examination
    (dated the patient's as-of date, to be changed where today differs)."""
    form: dict[str, str] = {"date": patient.as_of.isoformat()}
    exams = sorted(store.observations.items(patient.id, "clasi"), key=lambda o: o.item.date)
    last = exams[-1].item if exams else None
    if start == "last" and last is not None:
        form.update(_form_from(last, kb))
        return _form_page(request, auth, patient, kb, form=form,
                          from_last=last.date.isoformat())
    return _form_page(request, auth, patient, kb, form=form,
                      last_exam_date=last.date.isoformat() if last is not None else None)
