"""Kept assessments record the knowledge versions that produced them."""

from __future__ import annotations

from clepath.knowledge.base import KnowledgeBase
from tests.web._html import score
from tests.web.conftest import Browser, World


class TestKeep:
    def test_keeping_records_knowledge_and_author(
        self, world: World, doc: Browser, kb: KnowledgeBase
    ) -> None:
        """A kept assessment of the seed case: SLEDAI-2K 7, every pack version, kept by doc."""
        response = doc.submit(f"/patients/{world.seed}/assessments")
        kept = doc.get(f"/api/patients/{world.seed}/assessments").json()[0]
        body = doc.get(f"/api/patients/{world.seed}/assessments/{kept['id']}").json()

        assert (303, kb.versions(), "doc", 7) == (
            response.status_code, kept["knowledge"], kept["created_by"],
            body["assessment"]["scores"]["sledai_2k"]["score"],
        )

    def test_kept_assessment_does_not_change_with_the_record(
        self, world: World, doc: Browser
    ) -> None:
        """After a CLASI exam is added, the kept page still shows no CLASI; the live one does."""
        doc.submit(f"/patients/{world.seed}/assessments")
        kept = doc.get(f"/api/patients/{world.seed}/assessments").json()[0]
        doc.submit(f"/patients/{world.seed}/clasi", {"date": "2019-06-01",
                                                     "chest.erythema": "2"})

        old = doc.get(f"/patients/{world.seed}/assessments/{kept['id']}").text
        live = doc.get(f"/patients/{world.seed}").text

        assert ("not recorded", "2") == (score(old, "clasi_a"), score(live, "clasi_a"))

    def test_api_keep(self, world: World, doc: Browser) -> None:
        """POST /api/.../assessments answers 201 with the knowledge versions."""
        response = doc.api("POST", f"/api/patients/{world.scle}/assessments")

        assert (201, "1.0.0") == (response.status_code, response.json()["knowledge"]["clasi"])

    def test_live_assessment_by_api(self, world: World, doc: Browser) -> None:
        """GET /api/.../assessment is the assessment JSON (schema assessment/1)."""
        data = doc.get(f"/api/patients/{world.seed}/assessment").json()

        assert ("https://clepath.org/schemas/assessment/1", 7, True) == (
            data["schema"], data["scores"]["sledai_2k"]["score"], data["refractory"]["status"]
        )
