"""The CDS Hooks services are served by the web app itself, with feedback kept in its database."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from clepath.casefile import load_case
from clepath.errors import CaseError
from clepath.fhir.cds import harness as h
from clepath.fhir.export import case_to_bundle
from clepath.fhir.importer import collect_resources
from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.web import create_app
from clepath.web.feedback import DatabaseFeedbackSink
from tests.conftest import SCLE_CASE
from tests.store.conftest import FAST_HASHER

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BASE = "http://127.0.0.1"
ISSUER = "https://ehr.example.org"
PATIENT = "scle-0001"
WHEN = "2024-03-15T10:05:31Z"


def _settings(database_url: str, issuers_file: Path | None) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        cds_base_url=BASE,
        cds_issuers_file=str(issuers_file) if issuers_file else None,
    )


@pytest.fixture
def trusted(tmp_path: Path) -> tuple[h.Signer, Path]:
    """An EHR's signing key, and an issuers file trusting its JWKS (file)."""
    key = h.generate_key("ES384")
    (tmp_path / "ehr-jwks.json").write_text(json.dumps(h.jwks(key)))
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps([{"iss": ISSUER, "jwks_file": "ehr-jwks.json"}]))
    return h.Signer(ISSUER, key), issuers


def _patient_view(kb: KnowledgeBase) -> dict[str, Any]:
    resources = collect_resources(
        case_to_bundle(load_case(SCLE_CASE, kb), kb, include_ivig=False).bundle
    )
    context = {"userId": "Practitioner/example", "patientId": PATIENT}
    prefetch = h.prefetch_for(resources, context)
    return h.request_body("patient-view", patient_id=PATIENT, prefetch=prefetch)


class TestMountedCds:
    def test_without_trusted_issuers_every_call_is_refused(
        self, database_url: str, kb: KnowledgeBase
    ) -> None:
        """With no issuer configured, discovery answers a bare 401."""
        app = create_app(_settings(database_url, None), knowledge=kb, password_hasher=FAST_HASHER)

        with TestClient(app, base_url=BASE) as client:
            response = client.get("/cds-services")

        assert 401 == response.status_code

    def test_discovery_hook_and_stored_feedback(
        self, database_url: str, kb: KnowledgeBase, trusted: tuple[h.Signer, Path]
    ) -> None:
        """A trusted EHR discovers the services, gets the summary card, and its override is
        stored in the database and counted."""
        signer, issuers = trusted
        app = create_app(
            _settings(database_url, issuers), knowledge=kb, password_hasher=FAST_HASHER
        )
        url = f"{BASE}/cds-services"
        summary_url = f"{url}/clepath-cle-summary"

        with TestClient(app, base_url=BASE) as client:
            services = client.get(url, headers=signer.bearer(url)).json()["services"]
            cards = client.post(
                summary_url, json=_patient_view(kb), headers=signer.bearer(summary_url)
            ).json()["cards"]
            feedback = {"feedback": [{
                "card": cards[0]["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
                "overrideReason": {"reason": cards[0]["overrideReasons"][0]},
            }]}
            stored = client.post(
                f"{summary_url}/feedback", json=feedback,
                headers=signer.bearer(f"{summary_url}/feedback"),
            )
        # read back from the database
        report = DatabaseFeedbackSink(app.state.clepath.store).rates()
        app.state.clepath.close()

        assert "clepath-cle-summary" in {s["id"] for s in services}
        assert 1 == len(cards) and "CLASI-A 12" in cards[0]["summary"]
        assert len(cards[0]["summary"]) < 140
        assert 200 == stored.status_code
        assert 1.0 == report["all"]["override_rate"]

    def test_malformed_issuers_file_names_the_setting(
        self, database_url: str, kb: KnowledgeBase, tmp_path: Path
    ) -> None:
        """A broken issuers file is a clear error naming CLEPATH_CDS_ISSUERS_FILE."""
        bad = tmp_path / "issuers.json"
        bad.write_text('{"iss": "not a list"}')

        with pytest.raises(CaseError) as info:
            create_app(_settings(database_url, bad), knowledge=kb, password_hasher=FAST_HASHER)

        assert "CLEPATH_CDS_ISSUERS_FILE" == info.value.problems[0].field
