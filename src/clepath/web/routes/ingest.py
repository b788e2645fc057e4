"""Confirming a case report's reading: paste or upload the text, check the draft, then save.

The draft from `clepath.ingest` is shown beside the report with every field's span
highlighted; the clinician keeps, edits or drops each entry and fills what the report does not
give (the assessment date, lab dates). Only then is the case checked by the case-file validator
and stored as a new patient, exactly like an imported case file.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from clepath.errors import CaseError, FieldProblem
from clepath.ingest import ingest_text
from clepath.ingest.extract import PatientDraft
from clepath.web import forms
from clepath.web.deps import EditorSession, Form, Knowledge, StoreDep
from clepath.web.render import page
from clepath.web.routes._common import commit, see_other

__all__ = ["router"]

router = APIRouter(tags=["case reports"])

MAX_REPORT_BYTES = 1024 * 1024
_FIELDS: dict[str, tuple[str, ...]] = {
    "case": ("id", "as_of"),
    "patient": ("age", "sex", "weight"),
    "cle": ("subtype", "sites"),
    "labs": ("test", "date", "value", "unit", "result"),
    "therapies": ("drug", "dose", "frequency", "outcome", "note"),
    "ivig.induction": ("dose", "days"),
    "ivig.maintenance": ("dose", "every", "cycles"),
}
_INTEGERS = {"age", "days", "cycles"}
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_PATH = re.compile(
    r"^(?:(?P<list>cle|labs|therapies)\[(?P<i>\d+)\]|patient|requests\.ivig\."
    r"(?P<ivig>induction|maintenance)|as_of)"
)


def _report_text(form: Any) -> str:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            raw = upload.file.read(MAX_REPORT_BYTES + 1)
        finally:
            upload.file.close()
    else:
        raw = str(form.get("report") or "").encode("utf-8")
    if not raw.strip():
        raise CaseError(FieldProblem("report", "", "is empty", "a case report's text"))
    if len(raw) > MAX_REPORT_BYTES:
        raise CaseError(FieldProblem("report", "", "is too large", "a text under 1 MB"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(FieldProblem("report", "", "is not UTF-8 text", "plain text")) from None


def _group_key(path: str) -> str | None:
    m = _PATH.match(path)
    if not m:
        return None
    if m.group("list"):
        return f"{m.group('list')}.{m.group('i')}"
    if m.group("ivig"):
        return f"ivig.{m.group('ivig')}"
    return "case" if path.startswith("as_of") else "patient"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _groups(draft: PatientDraft) -> list[dict[str, Any]]:
    """The draft as entries the clinician keeps, edits or drops, each with its evidence."""
    case = draft.case
    groups: list[dict[str, Any]] = [
        {"key": "case", "kind": "case", "title": "Case", "values": {"id": case["id"], "as_of": ""}},
        {
            "key": "patient",
            "kind": "patient",
            "title": "Patient",
            "values": {k: _text(case.get("patient", {}).get(k)) for k in _FIELDS["patient"]},
        },
    ]
    for kind in ("cle", "labs", "therapies"):
        for i, row in enumerate(case.get(kind, [])):
            first = row.get("subtype") or row.get("test") or row.get("drug")
            groups.append(
                {
                    "key": f"{kind}.{i}",
                    "kind": kind,
                    "title": f"{kind} {i + 1}: {first}",
                    "values": {k: _text(row.get(k)) for k in _FIELDS[kind]},
                }
            )
    ivig = case.get("requests", {}).get("ivig", {})
    for part in ("induction", "maintenance"):
        if part in ivig:
            groups.append(
                {
                    "key": f"ivig.{part}",
                    "kind": f"ivig.{part}",
                    "title": f"IVIG {part}",
                    "values": {k: _text(ivig[part].get(k)) for k in _FIELDS[f"ivig.{part}"]},
                }
            )
    by_key = {g["key"]: g for g in groups}
    for g in groups:
        g.update(evidence=[], missing=[])
    for f in draft.fields:
        key = _group_key(f["field"])
        if key in by_key:
            by_key[key]["evidence"].append(
                {
                    "field": f["field"],
                    "text": f["text"],
                    "rule": f["rule"],
                    "span": f"{f['span'][0]}-{f['span'][1]}",
                }
            )
    for u in draft.unresolved:
        key = _group_key(u["field"])
        if key in by_key:
            by_key[key]["missing"].append(f"{u['field']}: {u['reason']}")
    return groups


def _segments(text: str, drafts: list[PatientDraft]) -> list[dict[str, Any]]:
    """The report split into plain and highlighted pieces (a span per drafted field)."""
    spans = sorted(
        {(f["span"][0], f["span"][1], f["field"], d.number) for d in drafts for f in d.fields}
    )
    out: list[dict[str, Any]] = []
    position = 0
    for start, end, name, number in spans:
        if start < position or end <= start:
            continue  # overlapping spans: the first one is shown
        if start > position:
            out.append({"text": text[position:start]})
        out.append({"text": text[start:end], "field": name, "patient": number})
        position = end
    if position < len(text):
        out.append({"text": text[position:]})
    return out


def _context(text: str, kb: Knowledge) -> dict[str, Any]:
    result = ingest_text(text, kb, "report")
    drafts = result.extraction.patients
    return {
        "report": text,
        "segments": _segments(text, drafts),
        "patients": [
            {
                "number": d.number,
                "label": d.label,
                "groups": _groups(d),
                "suggestions": d.suggestions,
            }
            for d in drafts
        ],
        "cohorts": result.extraction.cohorts,
        "knowledge": result.knowledge,
        "fields": _FIELDS,
    }


@router.get("/patients/ingest", include_in_schema=False)
def ingest_form(request: Request, auth: EditorSession) -> Response:
    """Paste or upload a published case report's text."""
    return page(request, "patients/ingest.html", auth)


@router.post("/patients/ingest", include_in_schema=False)
def ingest_report(request: Request, auth: EditorSession, form: Form, kb: Knowledge) -> Response:
    """Read the report and show each patient's draft beside the text for confirmation."""
    try:
        text = _report_text(form)
    except CaseError as exc:
        errors = forms.form_errors(exc.problems, {})
        return page(request, "patients/ingest.html", auth, status=422, errors=errors)
    return page(request, "patients/ingest_confirm.html", auth, **_context(text, kb))


def _case_from_form(form: Any) -> dict[str, Any]:
    """Case-file data from the entries the clinician kept, as edited."""
    data: dict[str, Any] = {"clepath": 1}
    lists: dict[str, list[dict[str, Any]]] = {"cle": [], "labs": [], "therapies": []}
    ivig: dict[str, Any] = {}
    for key in form.getlist("group"):
        kind = key.split(".")[0] if not key.startswith("ivig.") else key
        if kind not in _FIELDS or (key != "case" and form.get(f"keep.{key}") != "yes"):
            continue
        values: dict[str, Any] = {}
        for name in _FIELDS[kind]:
            raw = str(form.get(f"f.{key}.{name}") or "").strip()
            if not raw:
                continue
            if name in _INTEGERS and raw.isdigit():
                values[name] = int(raw)
            elif name == "value" and _NUMBER.match(raw):
                values[name] = float(raw)
            elif name == "sites":
                values[name] = [s.strip() for s in raw.split(",") if s.strip()]
            else:
                values[name] = raw
        if kind == "case":
            data.update(values)
        elif kind == "patient":
            data["patient"] = values
        elif kind.startswith("ivig."):
            ivig[kind.split(".")[1]] = values
        else:
            lists[kind].append(values)
    for kind, rows in lists.items():
        if rows:
            data[kind] = rows
    if ivig:
        data["requests"] = {"ivig": ivig}
    return data


@router.post("/patients/ingest/confirm", include_in_schema=False)
def confirm_report(
    request: Request, auth: EditorSession, store: StoreDep, form: Form, kb: Knowledge
) -> Response:
    """Check the confirmed draft with the case-file validator and store it as a new patient."""
    data = _case_from_form(form)
    try:
        patient_id, _ = store.patients.import_data(data, by=auth.user, replace=False)
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, {})
        context = _context(str(form.get("report") or ""), kb)
        return page(
            request,
            "patients/ingest_confirm.html",
            auth,
            status=422,
            errors=errors,
            submitted={k: str(v) for k, v in form.multi_items()},
            **context,
        )
    commit(store, auth.user, "import", "patient", patient_id=patient_id, detail="case report")
    return see_other(f"/patients/{patient_id}")
