"""Case files through the web: import by upload or paste, export, and the same by API."""

from __future__ import annotations

import json

import yaml

from clepath.casefile import parse_case, read_case_data
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE, SEED_CASE
from tests.store._factory import scle_case, seed_case
from tests.web.conftest import Browser, World


def _renamed(path: object, new_id: str) -> str:
    text = SEED_CASE.read_text(encoding="utf-8") if path is None else str(path)
    return text.replace("id: idoj-2020-ivig-rescue", f"id: {new_id}")


class TestImport:
    def test_upload_a_yaml_case_file(self, doc: Browser, kb: KnowledgeBase) -> None:
        """An uploaded copy of the seed case (new id) is stored and opens on its page."""
        text = _renamed(None, "uploaded-0001")

        response = doc.submit("/patients/import", files={
            "file": ("case.yaml", text.encode(), "application/yaml")})
        page = doc.get(response.headers["location"])

        assert (303, 200, True) == (
            response.status_code, page.status_code, "uploaded-0001" in page.text
        )

    def test_paste_a_json_case_file(self, doc: Browser) -> None:
        """Pasted JSON is read as a case file too."""
        data = yaml.load(SEED_CASE.read_text(), Loader=yaml.SafeLoader)
        data["id"] = "pasted-json"

        response = doc.submit("/patients/import", {"text": json.dumps(data, default=str)})

        assert 303 == response.status_code

    def test_bad_file_lists_every_problem_and_saves_nothing(
        self, world: World, doc: Browser
    ) -> None:
        """A file with a bare weight and an unknown drug is refused with both problems."""
        text = _renamed(None, "broken-0001").replace("weight: 60 kg", "weight: 60").replace(
            "drug: dapsone", "drug: dapsoen")

        response = doc.submit("/patients/import", {"text": text})

        assert (422, True, True, 2) == (
            response.status_code, "patient.weight" in response.text,
            "Did you mean dapsone" in response.text, len(doc.get("/api/patients").json()),
        )

    def test_existing_case_id_needs_replace(self, world: World, doc: Browser) -> None:
        """Importing the seed case again is refused unless `replace` is ticked."""
        text = SEED_CASE.read_text(encoding="utf-8")

        refused = doc.submit("/patients/import", {"text": text})
        replaced = doc.submit("/patients/import", {"text": text, "replace": "yes"})

        assert (422, 303, f"/patients/{world.seed}") == (
            refused.status_code, replaced.status_code, replaced.headers["location"]
        )

    def test_yaml_errors_say_where(self, doc: Browser) -> None:
        """Text that is not YAML is refused with its line."""
        response = doc.submit("/patients/import", {"text": "clepath: 1\nid: [unclosed\n"})

        assert (422, True) == (response.status_code, "not valid YAML" in response.text)


class TestExport:
    def test_yaml_export_imports_to_the_same_case(
        self, world: World, doc: Browser, kb: KnowledgeBase
    ) -> None:
        """The exported YAML of demo-scle-0001 reads back as the stored case."""
        response = doc.get(f"/patients/{world.scle}/case.yaml")

        again = parse_case(read_case_data(response.text), kb)

        assert ("attachment", scle_case(kb)) == (
            response.headers["content-disposition"].split(";")[0], again
        )

    def test_json_export_imports_to_the_same_case(
        self, world: World, doc: Browser, kb: KnowledgeBase
    ) -> None:
        """The exported JSON of the seed case reads back as the stored case."""
        data = doc.get(f"/patients/{world.seed}/case.json").json()

        assert seed_case(kb) == parse_case(data, kb)

    def test_export_is_audited(self, world: World, doc: Browser, admin: Browser) -> None:
        """An export writes an `export` row for the patient."""
        doc.get(f"/patients/{world.seed}/case.yaml")

        events = admin.get(f"/api/audit?patient_id={world.seed}").json()

        assert ("export", "yaml") == (events[0]["action"], events[0]["detail"])


class TestApi:
    def test_import_and_export_by_api(self, doc: Browser, kb: KnowledgeBase) -> None:
        """POST /api/cases stores a case; GET .../case gives back the same data."""
        data = doc.get("/api/patients").json()
        source = yaml.load(SCLE_CASE.read_text(), Loader=yaml.SafeLoader)
        source["id"] = "api-import-1"
        body = json.loads(json.dumps(source, default=str))

        created = doc.api("POST", "/api/cases", body)
        exported = doc.get(f"/api/patients/{created.json()['id']}/case").json()

        assert (201, 2, parse_case(body, kb)) == (
            created.status_code, len(data), parse_case(exported, kb)
        )

    def test_invalid_case_by_api_is_422_with_problems(self, doc: Browser) -> None:
        """A case without as_of: 422 naming `as_of`."""
        response = doc.api("POST", "/api/cases", {"clepath": 1, "id": "x"})

        assert (422, ["as_of"]) == (
            response.status_code, [p["field"] for p in response.json()["problems"]]
        )

    def test_replace_whole_record_by_api(
        self, world: World, doc: Browser, kb: KnowledgeBase
    ) -> None:
        """PUT .../case with the SCLE file's observations makes the seed patient hold them."""
        body = json.loads(json.dumps(yaml.load(SCLE_CASE.read_text(), Loader=yaml.SafeLoader),
                                     default=str))
        body["id"] = "idoj-2020-ivig-rescue"

        response = doc.api("PUT", f"/api/patients/{world.seed}/case", body)
        labs = doc.get(f"/api/patients/{world.seed}/labs").json()

        assert (200, 9) == (response.status_code, len(labs))
