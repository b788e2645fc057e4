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


class TestResponseCache:
    """A repeated call is answered without parsing or assessing it again, never across
    patients."""

    def test_new_hook_instance_and_token_are_answered_from_the_cache(
        self, cds: Harness, monkeypatch
    ) -> None:  # type: ignore[no-untyped-def]
        """Same content, new hookInstance and a new FHIR access token: one assessment."""
        import clepath.web.cds as router

        calls: list[str] = []
        real = router.run_hook

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(args[0])
            return real(*args, **kwargs)

        monkeypatch.setattr(router, "run_hook", counting)
        bodies = [cds.body("patient-view") for _ in range(3)]
        for number, body in enumerate(bodies):
            body["fhirServer"] = "https://fhir.example.org/r4"
            body["fhirAuthorization"] = {"access_token": f"token-{number}",
                                         "token_type": "Bearer", "expires_in": 300,
                                         "scope": "patient/*.read", "subject": "clepath"}

        cards = [cds.post(SUMMARY, body).json()["cards"] for body in bodies]

        assert ([SUMMARY], cards[0], cards[0]) == (calls, cards[1], cards[2])

    def test_patient_id_equal_to_the_hook_instance_never_shares_an_answer(
        self, cds: Harness
    ) -> None:
        """Two calls whose patientId repeats their own hookInstance differ in the patient:
        each card links to its own patient."""
        links = []
        for patient in ("p-1", "p-2"):
            body = cds.body("patient-view")
            body["hookInstance"] = patient
            body["context"]["patientId"] = patient
            card = cds.post(SUMMARY, body).json()["cards"][0]
            links.append(card["links"][0]["url"])

        assert ["https://clepath.example.org/p/p-1", "https://clepath.example.org/p/p-2"] == links


class TestCacheKey:
    """The key is made from the request's bytes; it is trusted only when the parsed request
    shows the spans left out were its own top-level hookInstance and fhirAuthorization."""

    @staticmethod
    def _service(kb):  # type: ignore[no-untyped-def]
        from clepath.web.cds import CdsConfig, InMemoryFeedbackSink, _Service

        return _Service(CdsConfig(base_url="http://127.0.0.1:1", issuers=()),
                        InMemoryFeedbackSink(), None, kb, None)

    def test_hook_instance_and_authorization_are_left_out(self, kb) -> None:  # type: ignore[no-untyped-def]
        """Bodies differing only there share a key; another patient does not."""
        import orjson

        service = self._service(kb)

        def key(instance: str, token: str, patient: str) -> str:
            body = {"hookInstance": instance, "hook": "patient-view",
                    "fhirServer": "https://fhir.example.org",
                    "fhirAuthorization": {"access_token": token, "token_type": "Bearer"},
                    "context": {"userId": "Practitioner/1", "patientId": patient}}
            keyed = service.cache_key(SUMMARY, orjson.dumps(body))
            assert keyed is not None
            return keyed[0]

        assert (key("a", "t1", "x") == key("b", "t2", "x"), key("a", "t1", "x") == key(
            "a", "t1", "y")) == (True, False)

    def test_a_nested_hook_instance_is_not_trusted(self, kb) -> None:  # type: ignore[no-untyped-def]
        """A "hookInstance" inside the context, before the real one, is what the pattern
        finds first; the parsed request shows it is not the top-level one."""
        import orjson

        from clepath.web.cds import _spans_are_top_level

        body = {"context": {"hookInstance": "decoy", "patientId": "x", "userId": "u"},
                "hookInstance": "real", "hook": "patient-view"}
        keyed = self._service(kb).cache_key(SUMMARY, orjson.dumps(body))

        assert keyed is not None
        assert (b"decoy", False) == (keyed[1].instance, _spans_are_top_level(keyed[1], body))

    def test_own_spans_are_trusted(self, kb) -> None:  # type: ignore[no-untyped-def]
        """The usual request: the spans are its own."""
        import orjson

        from clepath.web.cds import _spans_are_top_level

        body = {"hookInstance": "d1c5b2a0", "hook": "patient-view",
                "fhirServer": "https://fhir.example.org",
                "fhirAuthorization": {"access_token": "t", "token_type": "Bearer",
                                      "expires_in": 300},
                "context": {"patientId": "x", "userId": "u"}}
        keyed = self._service(kb).cache_key(SUMMARY, orjson.dumps(body))

        assert keyed is not None and _spans_are_top_level(keyed[1], body)


class TestKnowledgeVersions:
    def test_every_card_states_the_knowledge_it_came_from(self, cds: Harness, kb) -> None:  # type: ignore[no-untyped-def]
        """The card's extension carries clepath's and every pack's version; the detail says
        them in words."""
        from clepath import __version__

        card = cds.post(SUMMARY, cds.body("patient-view")).json()["cards"][0]
        versions = card["extension"]["org.clepath.knowledge"]

        assert ({"clepath": __version__, "packs": kb.versions()}, True) == (
            versions, f"clepath {__version__}, knowledge packs: " in card["detail"])


class TestWarmUp:
    def test_warm_up_answers_each_hook_on_the_demo_case(self, kb) -> None:  # type: ignore[no-untyped-def]
        """The demo SCLE patient (176 lb) gets its summary card; hydroxychloroquine 400 mg/day
        is 5.01 mg/kg, above 5 mg/kg; prednisolone 20 mg/day is above the maintenance target;
        the IVIG order has no regimen in the case and gets the safety checks."""
        from clepath.web.cds import warm_up

        made = warm_up(kb)

        assert {"patient-view": ["cle_summary"],
                "order-sign": ["gc_above_target", "hcq_above_max", "ivig_no_regimen",
                               "ivig_safety"]} == made


def test_the_standalone_app_answers_as_the_fastapi_router() -> None:
    """`create_cds_app` (plain Starlette, for `clepath cds serve`) and the FastAPI router of the
    web app give the same status, body and headers for a wrong method, an unknown path, a
    preflight, a trailing slash and a call without a token."""
    import warnings

    from fastapi import FastAPI

    from clepath.web.cds import CdsConfig, InMemoryFeedbackSink, build_cds_router, create_cds_app

    with warnings.catch_warnings():  # the test client asks for httpx2; httpx is installed
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    config = CdsConfig(base_url="http://testserver", issuers=(),
                       cors_origins=("https://ehr-ui.example.org",))
    mounted = FastAPI()
    mounted.include_router(build_cds_router(config, feedback_sink=InMemoryFeedbackSink()))
    origin = {"origin": "https://ehr-ui.example.org"}
    asks = [("GET", "/cds-services/clepath-cle-summary", {}), ("OPTIONS", "/cds-services", origin),
            ("GET", "/nothing-here", {}), ("POST", "/cds-services", {}),
            ("GET", "/cds-services/", {}), ("POST", "/cds-services/clepath-cle-summary", origin)]

    def answers(app: object) -> list[tuple[int, str, dict[str, str]]]:
        client = TestClient(app)  # type: ignore[arg-type]
        found = []
        for method, path, headers in asks:
            answer = client.request(method, path, headers=headers, follow_redirects=False)
            found.append((answer.status_code, answer.text, {
                k: v for k, v in answer.headers.items() if k not in ("date", "content-length")}))
        return found

    alone = answers(create_cds_app(config))

    assert alone == answers(mounted)
    assert [405, 204, 404, 405, 307, 401] == [status for status, _, _ in alone]
    assert '{"detail":"Method Not Allowed"}' == alone[0][1]
