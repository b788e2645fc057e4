"""An offline CDS client: test keys, a signer, a loopback JWKS/FHIR server and spec requests.

It plays the EHR's part the way cds-hooks/sandbox does, without a browser or network:

* `generate_key` makes an ES384 (P-384) or RS384 (RSA 2048) key pair at run time, with its
  public JWK (kid = the RFC 7638 thumbprint unless given);
* `Signer` signs CDS client JWTs (iss, aud = the endpoint URL, exp, iat, jti; any header or
  claim can be overridden to build attacks: `alg: none`, HS256 signed with the public key, an
  expired or replayed token, a wrong aud, an unknown issuer);
* `LoopbackServer` serves a JWKS and, optionally, a small FHIR server over a patient's resources
  on 127.0.0.1 (recording each request, so a test can check the bearer token it got);
* `answer_query` answers clepath's prefetch templates from a list of resources (type, patient,
  category, code, status, clinical-status; `_sort`/`_count` ignored);
* `request_body` builds a request shaped like the spec's examples (hookInstance, fhirServer,
  fhirAuthorization, context, prefetch), and `prefetch_for` fills the prefetch, leaving keys
  out (`drop`), null (`null`) or as an OperationOutcome (`outcome`) to simulate partial
  prefetch;
* `draft_order` builds draft MedicationRequests (HCQ, IVIG, a glucocorticoid).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from clepath.domain.display import fmt_plain
from clepath.fhir import terminology as t
from clepath.fhir.cds.prefetch import render
from clepath.fhir.cds.services import PREFETCH

__all__ = [
    "LoopbackServer",
    "Signer",
    "TestKey",
    "answer_query",
    "draft_order",
    "generate_key",
    "hmac_token",
    "jwks",
    "load_key",
    "operation_outcome",
    "prefetch_for",
    "request_body",
    "searchset",
    "unsigned_token",
]

Algorithm = Literal["ES384", "RS384"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class TestKey:
    """A CDS client's key pair for tests and trials."""

    __test__ = False  # not a pytest test class

    kid: str
    alg: Algorithm
    private_key: Any = field(repr=False)

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK (with kid, alg and use)."""
        jwk = _public_members(self.private_key.public_key())
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for `clepath cds call --key`)."""
        return self.private_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())

    def public_pem(self) -> bytes:
        """The public key as PEM (what an attacker would misuse as an HMAC secret)."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _public_members(public: Any) -> dict[str, str]:
    if isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        size = (public.curve.key_size + 7) // 8
        return {"kty": "EC", "crv": "P-384",
                "x": _b64(numbers.x.to_bytes(size, "big")),
                "y": _b64(numbers.y.to_bytes(size, "big"))}
    numbers = public.public_numbers()
    return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}


def _thumbprint(members: Mapping[str, str]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256 of the required members, sorted, no spaces)."""
    required = ("crv", "kty", "x", "y") if members["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({k: members[k] for k in required}, separators=(",", ":"),
                           sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


def generate_key(alg: Algorithm = "ES384", kid: str | None = None) -> TestKey:
    """A fresh key pair (P-384 for ES384, RSA 2048 for RS384)."""
    private: Any
    if alg == "ES384":
        private = ec.generate_private_key(ec.SECP384R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return TestKey(kid or _thumbprint(_public_members(private.public_key())), alg, private)


def load_key(pem: bytes, kid: str | None = None) -> TestKey:
    """A key pair from a PEM private key (EC P-384 -> ES384, RSA -> RS384)."""
    private = serialization.load_pem_private_key(pem, password=None)
    alg: Algorithm = "ES384" if isinstance(private, ec.EllipticCurvePrivateKey) else "RS384"
    return TestKey(kid or _thumbprint(_public_members(private.public_key())), alg, private)


def jwks(*keys: TestKey) -> dict[str, Any]:
    """A JWK Set of the public keys."""
    return {"keys": [k.public_jwk for k in keys]}


@dataclass
class Signer:
    """Signs CDS client JWTs for one issuer."""

    issuer: str
    key: TestKey
    lifetime_s: int = 300
    jku: str | None = None

    def token(
        self,
        aud: str | list[str],
        *,
        headers: Mapping[str, Any] | None = None,
        now: float | None = None,
        **claims: Any,
    ) -> str:
        """A signed token for `aud`; `claims` override or add payload fields (None drops one)."""
        issued = int(now if now is not None else time.time())
        payload: dict[str, Any] = {"iss": self.issuer, "aud": aud, "iat": issued,
                                   "exp": issued + self.lifetime_s, "jti": str(uuid.uuid4())}
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        header: dict[str, Any] = {"kid": self.key.kid, "typ": "JWT"}
        if self.jku:
            header["jku"] = self.jku
        header.update(headers or {})
        return jwt.encode(payload, self.key.private_key, algorithm=self.key.alg, headers=header)

    def bearer(self, aud: str | list[str], **kwargs: Any) -> dict[str, str]:
        """The Authorization header for one call."""
        return {"Authorization": f"Bearer {self.token(aud, **kwargs)}"}


def unsigned_token(payload: Mapping[str, Any], kid: str) -> str:
    """An `alg: none` token (an attack: it must be refused)."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return (_b64(json.dumps(header).encode()) + "." + _b64(json.dumps(payload).encode()) + ".")


def hmac_token(payload: Mapping[str, Any], key: TestKey) -> str:
    """An HS256 token keyed with the issuer's public key PEM (the alg-confusion attack)."""
    import hmac

    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(payload).encode())
    mac = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(mac)


# -- a tiny FHIR search over a list of resources ------------------------------------------------
def _codes(concept: Any) -> set[tuple[str | None, str | None]]:
    if not isinstance(concept, Mapping):
        return set()
    return {(c.get("system"), c.get("code")) for c in concept.get("coding") or ()}


def _matches(resource: Mapping[str, Any], name: str, value: str) -> bool:
    wanted = value.split(",")
    if name == "category":
        have = {code for cat in resource.get("category") or () for _, code in _codes(cat)}
        return bool(have & set(wanted))
    if name == "code":
        have = _codes(resource.get("code")) | _codes(resource.get("medicationCodeableConcept"))
        for item in wanted:
            system, sep, code = item.rpartition("|")
            if any(c == code and (not sep or s == system) for s, c in have):
                return True
        return False
    if name == "status":
        return resource.get("status") in wanted
    if name == "clinical-status":
        return bool({code for _, code in _codes(resource.get("clinicalStatus"))} & set(wanted))
    return True  # patient, _sort, _count and anything else: not a filter here


def searchset(resources: Iterable[Mapping[str, Any]], base: str | None = None) -> dict[str, Any]:
    """A searchset Bundle of the resources."""
    entries = []
    for r in resources:
        entry: dict[str, Any] = {"resource": dict(r), "search": {"mode": "match"}}
        if base:
            entry["fullUrl"] = f"{base.rstrip('/')}/{r['resourceType']}/{r.get('id')}"
        entries.append(entry)
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries),
            "entry": entries}


def answer_query(query: str, resources: Iterable[Mapping[str, Any]]) -> Any:
    """What a FHIR server would answer to a relative query over one patient's resources."""
    path, _, qs = query.partition("?")
    parts = [p for p in path.strip("/").split("/") if p]
    items = [r for r in resources if r.get("resourceType") == parts[0]] if parts else []
    if len(parts) == 2:  # a read: Type/id (the patient is the only one, whatever its id)
        return dict(items[0]) if items else None
    for name, value in parse_qsl(qs, keep_blank_values=True):
        items = [r for r in items if _matches(r, name, value)]
    return searchset(items)


def operation_outcome(text: str = "the query failed") -> dict[str, Any]:
    """An OperationOutcome as a client sends it in place of data after an error."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "exception", "diagnostics": text}]}


def prefetch_for(
    resources: Iterable[Mapping[str, Any]],
    context: Mapping[str, Any],
    *,
    templates: Mapping[str, str] = PREFETCH,
    drop: Iterable[str] = (),
    null: Iterable[str] = (),
    outcome: Iterable[str] = (),
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The prefetch a client sends: each template rendered and answered, except the keys left
    out (`drop`), sent as null (`null`) or replaced by an OperationOutcome (`outcome`)."""
    pool = list(resources)
    drop, null, outcome = set(drop), set(null), set(outcome)
    out: dict[str, Any] = {}
    for key, template in templates.items():
        if key in drop:
            continue
        if key in null:
            out[key] = None
        elif key in outcome:
            out[key] = operation_outcome(f"{key}: the EHR could not run the query")
        else:
            out[key] = answer_query(render(template, context, today=today or dt.date.today()),
                                    pool)
    return out


def request_body(
    hook: str,
    *,
    patient_id: str,
    user_id: str = "Practitioner/example",
    encounter_id: str | None = "89284",
    prefetch: Mapping[str, Any] | None = None,
    fhir_server: str | None = None,
    access_token: str | None = None,
    draft_orders: Iterable[Mapping[str, Any]] = (),
    selections: Iterable[str] | None = None,
) -> dict[str, Any]:
    """A hook request shaped like the CDS Hooks 2.0 examples (§Calling a CDS Service)."""
    context: dict[str, Any] = {"userId": user_id, "patientId": patient_id}
    if encounter_id:
        context["encounterId"] = encounter_id
    orders = [dict(o) for o in draft_orders]
    if hook in ("order-select", "order-sign"):
        context["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"resource": o} for o in orders]}
    if hook == "order-select":
        context["selections"] = list(selections) if selections is not None else [
            f"MedicationRequest/{o['id']}" for o in orders]
    body: dict[str, Any] = {"hookInstance": str(uuid.uuid4()), "hook": hook, "context": context}
    if fhir_server:
        body["fhirServer"] = fhir_server
    if access_token:
        body["fhirAuthorization"] = {"access_token": access_token, "token_type": "Bearer",
                                     "expires_in": 300,
                                     "scope": "user/Patient.read user/Observation.read",
                                     "subject": "clepath-cds"}
    if prefetch is not None:
        body["prefetch"] = dict(prefetch)
    return body


def draft_order(
    drug: str,
    dose: float,
    unit: str,
    *,
    order_id: str | None = None,
    patient_id: str = "example",
    per_day: int = 1,
    days: int | None = None,
    every_days: int | None = None,
    start: dt.date | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    """A draft MedicationRequest naming the drug in text only, as most EHRs send it.

    `per_day` doses a day (or one dose every `every_days` days); `days` a number of
    administrations (IVIG: infusion days, `timing.repeat.count`).
    """
    repeat: dict[str, Any] = ({"frequency": 1, "period": every_days, "periodUnit": "d"}
                              if every_days else {"frequency": per_day, "period": 1,
                                                  "periodUnit": "d"})
    if days is not None:
        repeat["count"] = days
    if start is not None:
        repeat["boundsPeriod"] = {"start": start.isoformat()}
    return {
        "resourceType": "MedicationRequest",
        "id": order_id or f"draft-{drug.replace(' ', '-')}",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": text or drug},
        "subject": {"reference": f"Patient/{patient_id}"},
        "dosageInstruction": [{
            "text": f"{fmt_plain(dose)} {unit}",
            "timing": {"repeat": repeat},
            "doseAndRate": [{"doseQuantity": t.quantity(dose, unit)}],
        }],
    }


# -- loopback HTTP: a JWKS and a FHIR server ---------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # quiet: tests read `requests` instead

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        owner = self.server.owner
        owner.requests.append({"path": self.path,
                               "authorization": self.headers.get("Authorization")})
        status, body = owner.respond(self.path)
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    owner: LoopbackServer
    daemon_threads = True


class LoopbackServer:
    """A JWKS (`/jwks.json`) and a FHIR server (`/fhir/...`) on 127.0.0.1, in a thread."""

    def __init__(self, jwks_document: Mapping[str, Any] | None = None,
                 resources: Iterable[Mapping[str, Any]] = ()) -> None:
        self.jwks_document = dict(jwks_document or {"keys": []})
        self.resources = [dict(r) for r in resources]
        self.failing: set[str] = set()  # resource types whose searches answer 500
        self.missing: set[str] = set()  # resource types whose reads and searches answer 404
        self.requests: list[dict[str, Any]] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def jwks_url(self) -> str:
        """The URL of the JWKS."""
        return f"{self.url}/jwks.json"

    @property
    def fhir_base(self) -> str:
        """The FHIR base URL."""
        return f"{self.url}/fhir"

    def respond(self, path: str) -> tuple[int, Any]:
        """The status and JSON body for a GET of `path`."""
        if path == "/jwks.json":
            return 200, self.jwks_document
        if not path.startswith("/fhir/"):
            return 404, None
        query = path.removeprefix("/fhir/")
        kind = urlsplit(query).path.split("/")[0]
        if kind in self.failing:
            return 500, operation_outcome("server error")
        if kind in self.missing or "*" in self.missing:
            return 404, operation_outcome("not found")
        answer = answer_query(query, self.resources)
        if answer is None:
            return 404, operation_outcome("not found")
        return 200, answer

    def start(self) -> LoopbackServer:
        """Start serving (returns self)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
