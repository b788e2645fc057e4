"""The CDS Hooks 2.0 endpoints: a FastAPI router for the web app, a Starlette app alone.

`build_cds_router(config, feedback_sink=..., patient_link=...)` gives an APIRouter with

* `GET  /cds-services`: discovery;
* `POST /cds-services/{id}`: a hook call (patient-view, order-select, order-sign);
* `POST /cds-services/{id}/feedback`: card outcomes, stored through the FeedbackSink;
* `OPTIONS` on each of them: the CORS preflight (no token needed).

The router only checks the caller (the JWT of `clepath.fhir.cds.auth`, on every call, discovery
included: a bare 401 on failure), parses the body, reads any prefetch key the client left out
from its FHIR server with the given token (`clepath.fhir.rest`), and calls the pure hook
functions of `clepath.fhir.cds.hooks`. Required data that cannot be had gives 412 with an
OperationOutcome; a malformed call 400 with an OperationOutcome. Tokens and `fhirAuthorization`
are never logged. CORS headers go only to allowlisted origins.

`create_cds_app(config)` serves the same endpoints in a plain Starlette app with a trivial
`/healthz` (for `clepath cds serve` and the latency benchmark), so that the stand-alone server
starts without importing FastAPI.

One process or several: used token ids and the rule of each card are kept in this process's
memory unless a `shared_state` is given (`clepath.store.cdsstate.DatabaseCdsState`, in the
database every worker process shares); then a token used at one worker is refused at every
other, and feedback finds its card's rule whichever worker made the card. The response cache
stays per process (it only saves work). With `CdsConfig.warm_up`, the router answers each
hook once on the bundled demo case before serving, so the first EHR call does not pay for
loading the unit registry and the knowledge tables.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import gc
import hashlib
import importlib
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from fastapi import APIRouter
    from fastapi.routing import APIRoute
    from starlette.applications import Starlette

from clepath.errors import ClepathError
from clepath.fhir.cds import feedback as feedback_rules
from clepath.fhir.cds.auth import AuthFailure, ReplayStore, TokenVerifier, TrustedIssuer
from clepath.fhir.cds.hooks import HookSettings, run_hook
from clepath.fhir.cds.model import HookRequest, RequestProblem, parse_hook_request
from clepath.fhir.cds.prefetch import DataUnavailable, PrefetchValue, classify_all, render
from clepath.fhir.cds.services import SERVICES, discovery, hooks_of
from clepath.fhir.rest import FetchFailed, FhirReader, server_allowed
from clepath.knowledge.base import KnowledgeBase

__all__ = [
    "CardRuleStore",
    "CdsConfig",
    "CdsSharedState",
    "FeedbackSink",
    "InMemoryFeedbackSink",
    "build_cds_router",
    "create_cds_app",
]

log = logging.getLogger("clepath.web.cds")
_JSON = "application/json"
_PREFETCH_KEYS = sorted({k for s in SERVICES for k in s.prefetch})
_MAX_BODY = 5_000_000
SERVER_UNITS_DELAY_S = 1.0  # when a served app starts building the UCUM registry


@dataclass(frozen=True)
class CdsConfig:
    """Everything the CDS endpoints need to know about their deployment.

    `base_url` is the public URL the router's paths hang from (`{base_url}/cds-services`): a
    token's `aud` must equal `{base_url}/cds-services[/{id}[/feedback]]`. `issuers` are the
    trusted CDS clients with their JWKS (file or URL). `cors_origins` is the allowlist of
    browser origins. FHIR fallback: requests name their own `fhirServer`; it is read only if it
    is https (or `allow_http_fhir`, for development) and, when `fhir_servers` is not empty,
    starts with one of those prefixes.
    """

    base_url: str
    issuers: tuple[TrustedIssuer, ...]
    cors_origins: tuple[str, ...] = ()
    clock_skew_s: float = 60.0
    max_token_lifetime_s: float = 3600.0
    fhir_servers: tuple[str, ...] = ()
    allow_http_fhir: bool = False
    fhir_timeout_s: float = 2.0
    fhir_max_pages: int = 5
    cache_size: int = 256
    hooks: HookSettings = field(default_factory=HookSettings)
    clock: Callable[[], float] = time.time  # seconds since the epoch, for token times
    today: Callable[[], dt.date] | None = None  # the assessment date (default: clock's UTC day)
    warm_up: bool = False  # answer each hook once on the demo case before serving


class FeedbackSink(Protocol):
    """Where feedback goes (the web app plugs a database-backed one in)."""

    def record(self, service_id: str, feedback: dict[str, Any]) -> None:
        """Store one checked feedback item (with `rule` when the service knows the card)."""

    def rates(self) -> dict[str, Any]:
        """Accept and override rates, overall, per service and per card rule."""


class CardRuleStore(Protocol):
    """Which rule made each card (for feedback rates per rule)."""

    def remember_cards(self, service_id: str, rules: Mapping[str, str]) -> None:
        """Keep the rule of each card uuid of one response."""

    def card_rule(self, uuid: str) -> tuple[str, str] | None:
        """(service id, rule) of a card, or None when unknown."""


class CdsSharedState(ReplayStore, CardRuleStore, Protocol):
    """Replay protection and card rules shared by every server process."""


class InMemoryFeedbackSink:
    """Feedback kept in memory (for trials and tests; lost on restart)."""

    def __init__(self) -> None:
        self._items: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def record(self, service_id: str, feedback: dict[str, Any]) -> None:
        """Store one feedback item."""
        with self._lock:
            self._items.append((service_id, dict(feedback)))

    def rates(self) -> dict[str, Any]:
        """Accept and override rates from everything stored."""
        with self._lock:
            items = list(self._items)
        return feedback_rules.rates(items)

    @property
    def items(self) -> list[tuple[str, dict[str, Any]]]:
        """Every stored (service id, item), oldest first."""
        with self._lock:
            return list(self._items)


class _Lru:
    """A small least-recently-used map (responses by request content, rules by card uuid)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: collections.OrderedDict[str, Any] = collections.OrderedDict()

    def get(self, key: str) -> Any:
        if key in self._data:
            self._data.move_to_end(key)
            return self._data[key]
        return None

    def put(self, key: str, value: Any) -> None:
        if self.size <= 0:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)


# The hookInstance value and the fhirAuthorization object (flat: strings and a number), found
# in the raw request for the response cache's key (`_Service.cache_key`).
_HOOK_INSTANCE = re.compile(rb'"hookInstance"\s*:\s*"((?:[^"\\\x00-\x1f]|\\.)*)"')
_FHIR_AUTHORIZATION = re.compile(rb'"fhirAuthorization"\s*:\s*(\{[^{}]*\})\s*,?')


@dataclass(frozen=True)
class _Spans:
    """What the cache key left out of a request: the hookInstance text, the fhirAuthorization
    object's text (None: none found)."""

    instance: bytes
    authorization: bytes | None


def _parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestProblem("the request body is not JSON") from None


def _spans_are_top_level(spans: _Spans, data: Mapping[str, Any]) -> bool:
    """True when the spans the key left out are the parsed request's own hookInstance and
    fhirAuthorization (and nothing else), so that equal keys mean equal requests apart from
    those two."""
    if spans.instance != str(data.get("hookInstance")).encode("utf-8"):
        return False  # escaped characters, or a nested "hookInstance" found first
    given = data.get("fhirAuthorization")
    if spans.authorization is None:
        return given is None
    try:
        return given is not None and orjson.loads(spans.authorization) == given
    except orjson.JSONDecodeError:
        return False


def _outcome(status: int, text: str, code: str = "processing") -> Response:
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "details": {"text": text}}]}
    return Response(json.dumps(body), status_code=status, media_type="application/fhir+json")


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type=_JSON)


Handler = Callable[[Request], Awaitable[Response]]


def _with_cors(handler: Handler, allowed: frozenset[str]) -> Handler:
    """The handler, adding CORS headers for allowlisted origins to each of its responses."""

    async def with_cors(request: Request) -> Response:
        response: Response = await handler(request)
        origin = request.headers.get("origin")
        if origin and origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Vary"] = "Origin"
        return response

    return with_cors


def _cors_route(origins: tuple[str, ...]) -> type[APIRoute]:
    from fastapi.routing import APIRoute

    allowed = frozenset(origins)

    class CorsRoute(APIRoute):
        """Adds CORS headers for allowlisted origins to every response of the router."""

        def get_route_handler(self) -> Callable[[Request], Any]:
            return _with_cors(super().get_route_handler(), allowed)

    return CorsRoute


class _Service:
    """The state behind the router: verifier, knowledge, caches, sink."""

    def __init__(self, config: CdsConfig, sink: FeedbackSink,
                 patient_link: Callable[[str], str] | None, kb: KnowledgeBase,
                 shared: CdsSharedState | None) -> None:
        self.config = config
        self.sink = sink
        self.patient_link = patient_link
        self.kb = kb
        self.shared = shared
        self.base = config.base_url.rstrip("/")
        self.verifier = TokenVerifier(config.issuers, skew_s=config.clock_skew_s,
                                      max_lifetime_s=config.max_token_lifetime_s,
                                      clock=config.clock, replay=shared)
        self.responses = _Lru(config.cache_size)
        self.card_rules = _Lru(50_000)
        self.prefetch_keys = _PREFETCH_KEYS
        self.templates = {k: v for s in SERVICES for k, v in s.prefetch.items()}

    def today(self) -> dt.date:
        if self.config.today is not None:
            return self.config.today()
        return dt.datetime.fromtimestamp(self.config.clock(), dt.UTC).date()

    def authorise(self, request: Request, *audiences: str) -> Response | None:
        try:
            token = self.verifier.verify(request.headers.get("authorization"), audiences)
        except AuthFailure as exc:
            log.warning("cds: token refused (%s) on %s", exc, request.scope.get("path"))
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        log.info("cds: caller iss=%s jti=%s tenant=%s on %s", token.iss, token.jti,
                 token.tenant, request.scope.get("path"))
        return None

    async def raw_body(self, request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > _MAX_BODY:
            raise RequestProblem("the request body is too large")
        raw = await request.body()
        if len(raw) > _MAX_BODY:
            raise RequestProblem("the request body is too large")
        return raw

    async def body(self, request: Request) -> tuple[Any, bytes]:
        raw = await self.raw_body(request)
        return _parse_json(raw), raw

    async def fetch_missing(self, hook: HookRequest,
                            values: dict[str, PrefetchValue]) -> dict[str, PrefetchValue]:
        """Read from the client's FHIR server every key it did not prefetch (or paginated)."""
        todo = [k for k, v in values.items() if v.state in ("absent", "outcome") or v.next_url]
        server = hook.fhir_server
        if not todo or server is None:
            return values
        if not server_allowed(server, self.config.fhir_servers, self.config.allow_http_fhir):
            log.warning("cds: FHIR server not allowed for fallback reads")
            return values
        import httpx  # loaded with the first read (`warm_up` preloads it after the start)

        token = hook.fhir_authorization.access_token if hook.fhir_authorization else None
        timeout = httpx.Timeout(self.config.fhir_timeout_s)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            reader = FhirReader(client, server, token, self.config.fhir_max_pages)
            results = await asyncio.gather(*(self._read(reader, hook, key, values[key])
                                             for key in todo))
        out = dict(values)
        out.update(dict(zip(todo, results, strict=True)))
        return out

    async def fetch_medications(self, hook: HookRequest,
                                values: dict[str, PrefetchValue]) -> dict[str, PrefetchValue]:
        """Read from the FHIR server the Medications that draft orders reference and neither
        `draftOrders` nor the prefetch holds (added under the key `draftMedications`)."""
        from clepath.fhir.cds.orders import medication_references

        have = {f"Medication/{r.get('id')}" for v in values.values() if v.state == "data"
                for r in v.resources if r.get("resourceType") == "Medication"}
        wanted = [ref for ref in medication_references(hook.draft_orders)
                  if ref not in have and ref.startswith("Medication/")][:10]
        server = hook.fhir_server
        if not wanted or server is None or not server_allowed(
                server, self.config.fhir_servers, self.config.allow_http_fhir):
            return values
        import httpx  # loaded with the first read (`warm_up` preloads it after the start)

        token = hook.fhir_authorization.access_token if hook.fhir_authorization else None
        timeout = httpx.Timeout(self.config.fhir_timeout_s)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            reader = FhirReader(client, server, token, self.config.fhir_max_pages)

            async def one(ref: str) -> Any:
                try:
                    return await reader.read(ref)
                except (FetchFailed, ClepathError) as exc:
                    log.warning("cds: reading a referenced Medication failed (%s)", exc)
                    return None

            found = await asyncio.gather(*(one(ref) for ref in wanted))
        medications = tuple(dict(m) for m in found if isinstance(m, Mapping)
                            and m.get("resourceType") == "Medication")
        if not medications:
            return values
        return {**values, "draftMedications": PrefetchValue("data", medications, fetched=True)}

    async def _read(self, reader: FhirReader, hook: HookRequest, key: str,
                    value: PrefetchValue) -> PrefetchValue:
        from clepath.fhir.cds.prefetch import classify

        try:
            if value.state == "data" and value.next_url:
                first = {"resourceType": "Bundle", "type": "searchset",
                         "link": [{"relation": "next", "url": value.next_url}],
                         "entry": [{"resource": r} for r in value.resources]}
                data = await reader.follow(first)
            else:
                query = render(self.templates[key], hook.context, today=self.today())
                data = await reader.read(query)
        except (FetchFailed, ClepathError) as exc:
            log.warning("cds: fallback read of %s failed (%s)", key, exc)
            return value if value.state != "data" else PrefetchValue("absent")
        if data is None:  # 404: the server does not have it (or does not serve the search)
            log.warning("cds: fallback read of %s: the FHIR server answered 404", key)
            return PrefetchValue("absent", note="the FHIR server answered 404")
        fetched = classify({key: data}, key)
        return PrefetchValue(fetched.state, fetched.resources, None, fetched.note, fetched=True)

    def cache_key(self, service_id: str, raw: bytes) -> tuple[str, _Spans] | None:
        """The key of a call's response, from the request's bytes without the value of its
        hookInstance (new on every call) and without its fhirAuthorization (a token), plus the
        service and the day; and the spans taken out (None: no hookInstance found).

        The spans are found by pattern, before the body is parsed, so that a repeated call is
        answered without parsing it. A response is stored under the key only after the parsed
        request showed that the spans were its top-level hookInstance and fhirAuthorization
        (`_spans_are_top_level`); were a span found elsewhere, the key keeps the real
        hookInstance and so matches no other call."""
        at = raw.find(b'"hookInstance"')  # a plain scan first: the pattern starts here
        instance = _HOOK_INSTANCE.match(raw, at) if at >= 0 else None
        if instance is None:
            return None
        content = raw[:instance.start(1)] + raw[instance.end(1):]
        at = content.find(b'"fhirAuthorization"')
        auth = _FHIR_AUTHORIZATION.match(content, at) if at >= 0 else None
        auth_text = None
        if auth is not None:
            auth_text = auth.group(1)
            content = content[:auth.start()] + content[auth.end():]
        digest = hashlib.sha256(content)
        digest.update(f"\x1f{service_id}\x1f{self.today().isoformat()}".encode())
        return digest.hexdigest(), _Spans(instance.group(1), auth_text)

    async def call(self, service_id: str, request: Request) -> Response:
        hooks = hooks_of(service_id)
        if not hooks:
            return _outcome(404, f"no CDS service {service_id!r}", "not-found")
        try:
            raw = await self.raw_body(request)
        except RequestProblem as exc:
            return _outcome(400, str(exc), "invalid")
        started = time.perf_counter()
        keyed = self.cache_key(service_id, raw)
        cached = self.responses.get(keyed[0]) if keyed else None
        if cached is not None and keyed is not None:
            instance = keyed[1].instance.decode("utf-8", "replace")
            hook_name = next(iter(hooks)) if len(hooks) == 1 else "/".join(sorted(hooks))
        else:
            try:
                data = _parse_json(raw)
                hook = parse_hook_request(data, hooks)
            except RequestProblem as exc:
                return _outcome(400, str(exc), "invalid")
            instance, hook_name = hook.hook_instance, hook.hook
            # Same request content, same answer; an answer that needed reads from the FHIR
            # server is never stored (the server's data may change between calls).
            values = classify_all(hook.prefetch, self.prefetch_keys)
            values = await self.fetch_missing(hook, values)
            values = await self.fetch_medications(hook, values)
            try:
                result = run_hook(service_id, hook, values, self.kb, today=self.today(),
                                  settings=self.config.hooks, patient_link=self.patient_link)
            except DataUnavailable as exc:
                log.info("cds: %s %s: 412 (%s)", service_id, hook.hook, ", ".join(exc.keys))
                return _outcome(412, f"required data unavailable: {', '.join(exc.keys)}",
                                "not-found")
            except ClepathError as exc:
                log.warning("cds: %s %s could not be answered (%s)", service_id, hook.hook,
                            type(exc).__name__)
                return _outcome(422, str(exc), "processing")
            cached = orjson.dumps(result.response), result.rules, len(result.response["cards"])
            if (keyed is not None and not any(v.fetched for v in values.values())
                    and _spans_are_top_level(keyed[1], data)):
                self.responses.put(keyed[0], cached)
            if self.shared is not None:
                self.shared.remember_cards(service_id, result.rules)
        response, rules, count = cached
        for uuid, rule in rules.items():
            self.card_rules.put(uuid, (service_id, rule))
        log.info("cds: %s %s hookInstance=%s cards=%d in %.1f ms", service_id, hook_name,
                 instance, count, (time.perf_counter() - started) * 1000)
        return Response(response, media_type=_JSON)

    async def feedback(self, service_id: str, request: Request) -> Response:
        if not hooks_of(service_id):
            return _outcome(404, f"no CDS service {service_id!r}", "not-found")
        try:
            items = feedback_rules.parse_feedback((await self.body(request))[0])
        except RequestProblem as exc:
            return _outcome(400, str(exc), "invalid")
        for item in items:
            known = self.card_rules.get(item["card"])
            if known is None and self.shared is not None:
                known = self.shared.card_rule(item["card"])
            if known is not None and known[0] == service_id:
                item["rule"] = known[1]
            self.sink.record(service_id, item)
        log.info("cds: feedback for %s: %d item(s)", service_id, len(items))
        return Response(status_code=200)


def warm_up(kb: KnowledgeBase, settings: HookSettings | None = None) -> dict[str, list[str]]:
    """Answer patient-view and order-sign (hydroxychloroquine, prednisolone, IVIG) once on the
    bundled SCLE demo case, outside any request, so the unit registry, the knowledge tables and
    the FHIR models are loaded before the first EHR call. Returns the rules of the cards made,
per hook."""
    from importlib import resources

    from clepath.casefile import load_case
    from clepath.domain.units import warm_up as warm_up_units
    from clepath.fhir.cds import harness
    from clepath.fhir.cds.services import ORDERS, PATIENT_VIEW
    from clepath.fhir.export import case_to_bundle
    from clepath.fhir.importer import collect_resources

    started = time.perf_counter()
    # The UCUM registry for units beyond the precomputed table, built once in the background,
    # starting a second from now: the server is listening by then, and its start is not
    # slowed. A unit needed sooner builds the registry itself, under its lock.
    warm_up_units(delay_s=SERVER_UNITS_DELAY_S)
    with resources.as_file(resources.files("clepath") / "demo" / "demo-scle-0001.yaml") as path:
        case = load_case(path, kb)
    today = dt.date.today()
    found = collect_resources(case_to_bundle(case, kb, include_ivig=False).bundle)
    context = {"userId": "Practitioner/warm-up", "patientId": "warm-up"}
    prefetch = harness.prefetch_for(found, context, today=today)
    orders = [harness.draft_order("hydroxychloroquine", 400, "mg", patient_id="warm-up"),
              harness.draft_order("prednisolone", 20, "mg", patient_id="warm-up"),
              harness.draft_order("IVIG", 30, "g", patient_id="warm-up", days=5)]
    made: dict[str, list[str]] = {}
    for service_id, hook, extra in ((PATIENT_VIEW, "patient-view", {}),
                                    (ORDERS, "order-sign", {"draft_orders": orders})):
        body = harness.request_body(hook, patient_id="warm-up", prefetch=prefetch, **extra)
        request = parse_hook_request(orjson.loads(orjson.dumps(body)), hooks_of(service_id))
        result = run_hook(service_id, request, classify_all(request.prefetch, _PREFETCH_KEYS),
                          kb, today=today, settings=settings)
        made[hook] = sorted(result.rules.values())
    log.info("cds: warmed up in %.2f s", time.perf_counter() - started)
    return made


def _service(config: CdsConfig, feedback_sink: FeedbackSink,
             patient_link: Callable[[str], str] | None, kb: KnowledgeBase | None,
             shared_state: CdsSharedState | None) -> _Service:
    """The state behind the endpoints, warmed up when the configuration asks for it."""
    if kb is None:
        from clepath.knowledge.loader import load_knowledge

        kb = load_knowledge()
    service = _Service(config, feedback_sink, patient_link, kb, shared_state)
    if config.warm_up:
        warm_up(service.kb, config.hooks)
        after = threading.Timer(SERVER_UNITS_DELAY_S, _after_start)
        after.daemon = True
        after.start()
    return service


def _after_start() -> None:
    """A second after a served app was made (it is listening by then): load the HTTP client of
    the FHIR reads (a read needing it sooner loads it itself), then move what is loaded
    (knowledge, FHIR models, modules) out of the collector's full passes, which otherwise walk
    all of it and stall every request in flight."""
    importlib.import_module("httpx")
    gc.collect()
    gc.freeze()


_PATHS = ("/cds-services", "/cds-services/{service_id}", "/cds-services/{service_id}/feedback")


def _endpoints(service: _Service) -> tuple[Handler, Handler, Handler, Handler]:
    """preflight, discovery, call and feedback: plain Starlette endpoints (the router and
    the stand-alone app serve the same ones)."""
    base = service.base

    async def preflight(request: Request) -> Response:
        return Response(status_code=204)

    async def discover(request: Request) -> Response:
        denied = service.authorise(request, f"{base}/cds-services")
        return denied or _json(discovery())

    async def call(request: Request) -> Response:
        service_id = request.path_params["service_id"]
        denied = service.authorise(request, f"{base}/cds-services/{service_id}")
        return denied or await service.call(service_id, request)

    async def feedback(request: Request) -> Response:
        service_id = request.path_params["service_id"]
        denied = service.authorise(request, f"{base}/cds-services/{service_id}/feedback",
                                   f"{base}/cds-services/{service_id}")
        return denied or await service.feedback(service_id, request)

    return preflight, discover, call, feedback


def build_cds_router(
    config: CdsConfig,
    *,
    feedback_sink: FeedbackSink,
    patient_link: Callable[[str], str] | None = None,
    kb: KnowledgeBase | None = None,
    shared_state: CdsSharedState | None = None,
) -> APIRouter:
    """The CDS Hooks router (paths relative to `config.base_url`) for a FastAPI app such as the
    web app; `shared_state` for a server with several worker processes (module docstring)."""
    from fastapi import APIRouter

    service = _service(config, feedback_sink, patient_link, kb, shared_state)
    preflight, discover_any, call_any, feedback_any = _endpoints(service)
    router = APIRouter(route_class=_cors_route(config.cors_origins), tags=["CDS Hooks"])
    for path in _PATHS:
        router.add_api_route(path, preflight, methods=["OPTIONS"], include_in_schema=False)

    # The signatures FastAPI documents (the service id as a path parameter); the work is the
    # shared endpoints'.
    @router.get("/cds-services", summary="CDS Hooks discovery")
    async def discover(request: Request) -> Response:
        return await discover_any(request)

    @router.post("/cds-services/{service_id}", summary="Call a CDS service")
    async def call(service_id: str, request: Request) -> Response:
        return await call_any(request)

    @router.post("/cds-services/{service_id}/feedback", summary="Card feedback")
    async def feedback(service_id: str, request: Request) -> Response:
        return await feedback_any(request)

    return router


def create_cds_app(
    config: CdsConfig,
    *,
    feedback_sink: FeedbackSink | None = None,
    patient_link: Callable[[str], str] | None = None,
    kb: KnowledgeBase | None = None,
    shared_state: CdsSharedState | None = None,
) -> Starlette:
    """An app with only the CDS endpoints and a trivial `GET /healthz`.

    It is a plain Starlette app, not FastAPI (it has no OpenAPI document and validates no
    parameters), so `clepath cds serve` does not import FastAPI and pydantic's OpenAPI models
    (about 0.15 s of CPU at start). It answers as the FastAPI router does: the same endpoints,
    CORS headers and, for an unknown path or method, FastAPI's JSON `{"detail": ...}`."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    service = _service(config, feedback_sink or InMemoryFeedbackSink(), patient_link, kb,
                       shared_state)
    preflight, discover, call, feedback = _endpoints(service)
    allowed = frozenset(config.cors_origins)

    async def healthz(request: Request) -> Response:
        return Response('{"ok":true}', media_type=_JSON)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it only
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        return Response(orjson.dumps({"detail": exc.detail}), status_code=exc.status_code,
                        media_type=_JSON, headers=exc.headers)

    def route(path: str, endpoint: Handler, method: str, *, cors: bool = True) -> Route:
        made = Route(path, _with_cors(endpoint, allowed) if cors else endpoint,
                     methods=[method])
        made.methods = {method}  # as FastAPI: no implicit HEAD beside GET
        return made

    routes = [route(path, preflight, "OPTIONS") for path in _PATHS]
    routes += [route(_PATHS[0], discover, "GET"), route(_PATHS[1], call, "POST"),
               route(_PATHS[2], feedback, "POST"),
               route("/healthz", healthz, "GET", cors=False)]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
