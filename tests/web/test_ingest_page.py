"""Confirming a case report's reading in the web app: highlighted spans, keep/edit/drop, save."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.ingest.test_ingest import TWO_PATIENTS
from tests.web.conftest import Browser


def _as_form(pairs: list[tuple[str, Any]]) -> dict[str, list[Any]]:
    """Pairs as a form mapping with repeated names kept (httpx sends each value)."""
    out: dict[str, list[Any]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _first_form(page: str) -> list[tuple[str, str]]:
    """The (name, value) pairs the first confirmation form would submit as rendered."""
    form = re.search(r'<form method="post" action="/patients/ingest/confirm".*?</form>', page, re.S)
    assert form is not None
    body = form.group(0)
    pairs: list[tuple[str, str]] = []
    for tag in re.finditer(r"<input ([^>]*)>", body):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(1)))
        if "name" not in attrs or attrs.get("type") == "file":
            continue
        if attrs.get("type") == "checkbox" and "checked" not in tag.group(1):
            continue
        pairs.append((html.unescape(attrs["name"]), html.unescape(attrs.get("value", ""))))
    report = re.search(r'<textarea name="report" hidden>(.*?)</textarea>', body, re.S)
    assert report is not None
    pairs.append(("report", html.unescape(report.group(1))))
    return pairs


class TestIngestPage:
    def test_draft_is_shown_with_highlighted_spans(self, doc: Browser) -> None:
        """The pasted report comes back with the titre 1:320 highlighted as labs[0].value."""
        page = doc.submit("/patients/ingest", {"report": TWO_PATIENTS})

        assert 200 == page.status_code
        assert (
            '<mark title="labs[0].value (patient 1)" data-field="labs[0].value">1:320</mark>'
            in (page.text)
        )

    def test_confirmed_draft_becomes_a_patient(self, doc: Browser) -> None:
        """With dates filled and the AZA course dropped, the saved case has HCQ, MTX and IVIG."""
        page = doc.submit("/patients/ingest", {"report": TWO_PATIENTS}).text
        data: list[tuple[str, Any]] = []
        for name, value in _first_form(page):
            if name == "f.case.as_of":
                value = "2024-05-01"
            if name.endswith(".date"):
                value = "2024-04-20"
            if name == "f.case.id":
                value = "report-confirmed-1"
            if name == "keep.therapies.2":  # azathioprine
                continue
            data.append((name, value))
        data.append(("csrf_token", doc.csrf))

        response = doc.client.post("/patients/ingest/confirm", data=_as_form(data))
        location = response.headers["location"].replace("/patients/", "/api/patients/")
        case = doc.get(location + "/case").json()

        drugs = [t["drug"] for t in case["therapies"]]
        induction = {k: case["requests"]["ivig"]["induction"][k] for k in ("dose", "days")}

        assert (
            303,
            "report-confirmed-1",
            ["hydroxychloroquine", "methotrexate", "intravenous immunoglobulin"],
            {"dose": {"value": 2.0, "unit": "g/kg"}, "days": 4},
        ) == (response.status_code, case["id"], drugs, induction)

    def test_missing_dates_are_refused_and_nothing_saved(self, doc: Browser) -> None:
        """Saving without the assessment date is refused (422) naming as_of; no patient is added."""
        page = doc.submit("/patients/ingest", {"report": TWO_PATIENTS}).text
        data = [*_first_form(page), ("csrf_token", doc.csrf)]
        before = len(doc.get("/api/patients").json())

        response = doc.client.post("/patients/ingest/confirm", data=_as_form(data))

        assert (422, True, before) == (
            response.status_code,
            "as_of" in response.text,
            len(doc.get("/api/patients").json()),
        )

    def test_viewer_cannot_open_the_page(self, viewer: Browser) -> None:
        """A viewer (read-only role) is refused the report reader."""
        assert viewer.get("/patients/ingest").status_code in (303, 403)
