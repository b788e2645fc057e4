"""Application logs never contain patient data: only methods, route templates and statuses."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import SEED_CASE
from tests.web.conftest import Browser, World

MARKERS = ("zz-marker-case-77", "marker-note-xyzzy", "98765.4321", "marker-api-note",
           "zz-marker-exception", "zz-search-words", "Zelda Markername", "MRN-ZZ-4242",
           "1931-07-09", "09/07/1931")
_CLIENT_LOGGERS = ("httpx", "httpcore")


@pytest.fixture
def busy_log(world: World, doc: Browser, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every log line written while a clinician imports, searches (also by name, date of birth
    and record number), views, edits and exports,
    submits bad forms, and a route fails, all with recognisable patient data."""

    @world.app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("zz-marker-exception in zz-marker-case-77")

    caplog.set_level(logging.DEBUG)
    text = SEED_CASE.read_text(encoding="utf-8").replace(
        "id: idoj-2020-ivig-rescue", "id: zz-marker-case-77").replace(
        "note: worsening scaly erythematous plaques", "note: marker-note-xyzzy")
    created = doc.submit("/patients/import", {"text": text})
    patient = created.headers["location"]
    api = patient.replace("/patients/", "/api/patients/")
    doc.get("/patients", params={"q": "zz-search-words zz-marker-case-77"})
    # identifiers (issue 12): stored as letter details, then searched by each form
    saved = doc.submit(patient + "/ivig/letter-details", {
        "patient_name": "Zelda Markername", "birth_date": "1931-07-09",
        "record_number": "MRN-ZZ-4242"})
    assert 303 == saved.status_code
    for typed in ("Zelda Markername", "1931-07-09", "09/07/1931", "MRN-ZZ-4242"):
        assert "zz-marker-case-77" in doc.get("/patients", params={"q": typed}).text
        doc.api("GET", "/api/patients?q=" + typed)
    for path in ("", "/labs", "/findings", "/therapies", "/clasi", "/ivig", "/case.yaml"):
        doc.get(patient + path)
    doc.submit(patient + "/labs", {"test": "wbc", "date": "2019-05-30", "value": "98765.4321"})
    doc.submit(patient + "/labs", {"test": "wbk", "date": "2019-05-30", "value": "98765.4321",
                                   "unit": "/mm3"})
    doc.api("POST", api + "/findings", {"name": "fever", "date": "2019-05-30",
                                         "note": "marker-api-note"})
    doc.api("POST", "/api/cases", {"clepath": 1, "id": "zz-marker-case-77"})
    failed = doc.get("/boom-for-test")
    assert 500 == failed.status_code
    # httpx logs the test client's own requests (the browser's side), not the application's.
    server = [r for r in caplog.records if not r.name.startswith(_CLIENT_LOGGERS)]
    return [f"{r.name}: {r.getMessage()}" for r in server]


class TestNoPatientDataInLogs:
    def test_no_marker_reaches_the_log(self, busy_log: list[str]) -> None:
        """Case ids, notes, values and search words appear in no log message."""
        leaks = [(m, line) for line in busy_log for m in MARKERS if m in line]

        assert [] == leaks

    def test_requests_are_logged_by_route_template(self, busy_log: list[str]) -> None:
        """The log names `/patients/{patient_id}`, never the concrete path."""
        assert any("GET /patients/{patient_id} 200" in line for line in busy_log)

    def test_failures_are_logged_by_type_only(self, busy_log: list[str]) -> None:
        """An unexpected exception is logged as its type and route, without its message."""
        assert any("unhandled RuntimeError on GET /boom-for-test" in line for line in busy_log)

    def test_json_lines_carry_no_patient_data_and_a_request_id(
        self, busy_log: list[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        """Every server record, written as the JSON line `clepath serve` emits, is valid JSON
        without any marker, and each request line names its request id."""
        import json

        from clepath.web.logs import JsonFormatter, RequestIdFilter

        records = [r for r in caplog.get_records("setup") if not r.name.startswith(_CLIENT_LOGGERS)]
        for record in records:
            RequestIdFilter().filter(record)
        lines = [JsonFormatter().format(r) for r in records]
        entries = [json.loads(line) for line in lines]
        leaks = [(m, line) for line in lines for m in MARKERS if m in line]
        requests = [e for e in entries if "route" in e]

        assert [] == leaks
        assert requests and all(len(e["request_id"]) == 32 for e in requests)
