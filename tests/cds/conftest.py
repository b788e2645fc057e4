"""The CDS client harness as a fixture: test keys made now, a JWKS and a FHIR server on
loopback, a signer, and the spec's example requests sent through the real router.

`cds` gives a `Harness`: an httpx client of an app holding only the CDS router, served by
uvicorn on a loopback port in a thread (every token's aud is http://127.0.0.1:<port>/...),
the trusted issuer's signer (ES384; an RS384 signer too), the loopback server (JWKS at
/jwks.json, the Example 2 patient's resources at /fhir), and the in-memory feedback sink.
The assessment date is fixed at Example 2's as_of (2024-03-15); token times are real time.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn

from clepath.casefile import load_case
from clepath.fhir.cds import harness as h
from clepath.fhir.cds.auth import TrustedIssuer
from clepath.fhir.export import case_to_bundle
from clepath.fhir.importer import collect_resources
from clepath.knowledge.base import KnowledgeBase
from clepath.web.cds import CdsConfig, InMemoryFeedbackSink, create_cds_app
from tests.conftest import SCLE_CASE

ISSUER = "https://ehr.example.org"
RS_ISSUER = "https://rsa-ehr.example.org"
ORIGIN = "https://ehr-ui.example.org"
TODAY = dt.date(2024, 3, 15)
PATIENT = "scle-0001"
SUMMARY = "clepath-cle-summary"
ORDERS = "clepath-cle-orders"


@dataclass
class Harness:
    """An EHR talking to the CDS router: signed calls, spec-shaped requests."""

    client: httpx.Client
    base: str
    signer: h.Signer
    rs_signer: h.Signer
    server: h.LoopbackServer
    sink: InMemoryFeedbackSink
    resources: list[dict[str, Any]]
    keys: dict[str, h.TestKey] = field(default_factory=dict)

    def url(self, service: str | None = None, *, feedback: bool = False) -> str:
        """The absolute endpoint URL (what `aud` must be)."""
        path = "/cds-services" + (f"/{service}" if service else "")
        return self.base + path + ("/feedback" if feedback else "")

    def post(self, service: str, body: dict[str, Any], *, token: str | None = None,
             headers: dict[str, str] | None = None, feedback: bool = False) -> Any:
        """POST with a fresh valid token unless one is given."""
        url = self.url(service, feedback=feedback)
        auth = {"Authorization": f"Bearer {token or self.signer.token(url)}"}
        return self.client.post(url, json=body, headers={**auth, **(headers or {})})

    def discovery(self, token: str | None = None) -> Any:
        """GET /cds-services with a valid (or the given) token."""
        url = self.url()
        return self.client.get(url, headers={
            "Authorization": f"Bearer {token or self.signer.token(url)}"})

    def prefetch(self, **kwargs: Any) -> dict[str, Any]:
        """The full prefetch for the patient, minus any keys dropped/nulled/outcome'd."""
        context = {"userId": "Practitioner/example", "patientId": PATIENT}
        return h.prefetch_for(self.resources, context, today=TODAY, **kwargs)

    def body(self, hook: str, *, orders: list[dict[str, Any]] | None = None,
             fallback: bool = False, **prefetch: Any) -> dict[str, Any]:
        """A spec-shaped request; `fallback` adds the loopback fhirServer and a token."""
        return h.request_body(
            hook, patient_id=PATIENT, prefetch=self.prefetch(**prefetch),
            fhir_server=self.server.fhir_base if fallback else None,
            access_token="fhir-access-token-do-not-log" if fallback else None,
            draft_orders=orders or [])


@pytest.fixture(scope="session")
def keys() -> dict[str, h.TestKey]:
    """Key pairs generated at test time: the trusted ES384 and RS384 keys and an outsider."""
    return {"es": h.generate_key("ES384"), "rs": h.generate_key("RS384"),
            "stranger": h.generate_key("ES384")}


@pytest.fixture(scope="session")
def scle_resources(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Example 2's FHIR resources, as an EHR would hold them."""
    return collect_resources(case_to_bundle(load_case(SCLE_CASE, kb), kb,
                                            include_ivig=False).bundle)


@pytest.fixture
def cds(kb: KnowledgeBase, keys: dict[str, h.TestKey],
        scle_resources: list[dict[str, Any]]) -> Iterator[Harness]:
    """The harness: router app on loopback, signers, loopback JWKS/FHIR server, feedback sink."""
    with h.LoopbackServer(h.jwks(keys["es"]), scle_resources) as server:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = CdsConfig(
            base_url=base,
            issuers=(TrustedIssuer.from_url(ISSUER, server.jwks_url),
                     TrustedIssuer(RS_ISSUER, _keys_source(keys["rs"]))),
            cors_origins=(ORIGIN,),
            allow_http_fhir=True,
            today=lambda: TODAY,
        )
        sink = InMemoryFeedbackSink()
        app = create_cds_app(config, feedback_sink=sink, kb=kb,
                             patient_link=lambda pid: f"https://clepath.example.org/p/{pid}")
        with _serve(app, sock), httpx.Client(timeout=30) as client:
            yield Harness(client, base, h.Signer(ISSUER, keys["es"]),
                          h.Signer(RS_ISSUER, keys["rs"]), server, sink, list(scle_resources),
                          keys)


class _serve:  # noqa: N801 - used as a context manager, like a function
    """Run an ASGI app with uvicorn on an already bound loopback socket, in a thread."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)
        self.sock = sock

    def __enter__(self) -> _serve:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def _keys_source(key: h.TestKey) -> Any:
    from clepath.fhir.cds.auth import JwksSource

    return JwksSource(keys=h.jwks(key))
