"""The router: discovery, CORS, malformed calls, caching, and `clepath cds call`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cds.conftest import ORDERS, ORIGIN, SUMMARY, Harness
from tests.conftest import ROOT


class TestDiscovery:
    def test_services_and_same_id_per_order_hook(self, cds: Harness) -> None:
        """Discovery lists patient-view and the order service once per order hook."""
        services = cds.discovery().json()["services"]

        assert [(SUMMARY, "patient-view"), (ORDERS, "order-select"), (ORDERS, "order-sign")] == [
            (s["id"], s["hook"]) for s in services]
        assert all(s["description"] and s["prefetch"]["patient"] for s in services)


class TestCors:
    def test_preflight_for_an_allowed_origin(self, cds: Harness) -> None:
        """A preflight from the allowlisted origin gets the CORS headers, no token needed."""
        response = cds.client.options(cds.url(SUMMARY), headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})

        assert 204 == response.status_code
        assert ORIGIN == response.headers["access-control-allow-origin"]
        assert "Authorization" in response.headers["access-control-allow-headers"]

    def test_other_origins_get_no_cors_headers(self, cds: Harness) -> None:
        """Another origin gets no Access-Control-Allow-Origin, also on a 401."""
        preflight = cds.client.options(cds.url(), headers={"Origin": "https://evil.example"})
        refused = cds.client.get(cds.url(), headers={"Origin": "https://evil.example"})

        assert "access-control-allow-origin" not in preflight.headers
        assert 401 == refused.status_code
        assert "access-control-allow-origin" not in refused.headers

    def test_allowed_origin_can_read_a_401(self, cds: Harness) -> None:
        """An allowlisted browser client sees the 401 (CORS headers on errors too)."""
        refused = cds.client.get(cds.url(), headers={"Origin": ORIGIN})

        assert (401, ORIGIN) == (refused.status_code,
                                 refused.headers["access-control-allow-origin"])


class TestMalformed:
    def test_missing_hook_instance(self, cds: Harness) -> None:
        """A call without hookInstance is a 400 with an OperationOutcome."""
        body = cds.body("patient-view")
        del body["hookInstance"]

        response = cds.post(SUMMARY, body)

        assert (400, "OperationOutcome") == (response.status_code,
                                             response.json()["resourceType"])

    def test_fhir_authorization_without_fhir_server(self, cds: Harness) -> None:
        """fhirAuthorization without fhirServer breaks cds-r-1: 400."""
        body = cds.body("patient-view", fallback=True)
        del body["fhirServer"]

        response = cds.post(SUMMARY, body)

        assert 400 == response.status_code and "cds-r-1" in response.text

    def test_wrong_hook_for_the_service(self, cds: Harness) -> None:
        """order-sign sent to the patient-view service is a 400."""
        assert 400 == cds.post(SUMMARY, cds.body("order-sign")).status_code

    def test_unknown_service(self, cds: Harness) -> None:
        """An unknown service id is a 404 (after the token is checked)."""
        assert 404 == cds.post("nope", cds.body("patient-view")).status_code


class TestStableCards:
    def test_same_request_same_card_uuid(self, cds: Harness) -> None:
        """Two patient-view calls for the same data give the same card uuid."""
        first = cds.post(SUMMARY, cds.body("patient-view")).json()["cards"][0]["uuid"]

        assert first == cds.post(SUMMARY, cds.body("patient-view")).json()["cards"][0]["uuid"]


class TestCallCommand:
    def test_cds_call_against_a_loopback_server(self, cds: Harness, tmp_path: Path) -> None:
        """`clepath cds call discovery` signs with a key file and prints the services."""
        key = tmp_path / "key.pem"
        key.write_bytes(cds.signer.key.private_pem())

        result = subprocess.run(
            [sys.executable, "-m", "clepath.cli.main", "cds", "call", "discovery",
             "--url", cds.base, "--key", str(key), "--issuer", cds.signer.issuer],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)

        assert 0 == result.returncode, result.stderr
        assert SUMMARY in result.stdout and "HTTP 200" in result.stderr

    def test_cds_call_patient_view_with_partial_prefetch(self, cds: Harness,
                                                         tmp_path: Path) -> None:
        """`clepath cds call patient-view --demo scle --null medications` gets one card."""
        key = tmp_path / "key.pem"
        key.write_bytes(cds.signer.key.private_pem())

        result = subprocess.run(
            [sys.executable, "-m", "clepath.cli.main", "cds", "call", "patient-view",
             "--demo", "scle", "--null", "medications", "--url", cds.base, "--key", str(key),
             "--issuer", cds.signer.issuer],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)

        assert 0 == result.returncode, result.stderr
        assert '"summary": "CLASI-A 12' in result.stdout
        assert "card rules: all kept" in result.stderr
