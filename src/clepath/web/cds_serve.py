"""The stand-alone CDS Hooks server of `clepath cds serve`, one or several worker processes.

`clepath cds serve` describes the deployment once, as JSON in the `CLEPATH_CDS_SERVE`
variable (`serve_spec`), and uvicorn calls `app_from_env` in each worker process. Every worker
uses the same database (`clepath.store`): used token ids and card rules
(`clepath.store.cdsstate.DatabaseCdsState`) and the feedback are shared, so a token accepted by
one worker is refused by every other and feedback rates count every card. Each worker answers
each hook once on the demo case before serving (`clepath.web.cds.warm_up`).

The specification holds paths and URLs only, never a key or a token.
"""

from __future__ import annotations

import gc
import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clepath.errors import CaseError, FieldProblem
from clepath.web.issuers import parse_issuers, patient_link

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["ENV", "app_from_env", "serve_spec"]

ENV = "CLEPATH_CDS_SERVE"


def serve_spec(
    *,
    base_url: str,
    issuers: Sequence[Mapping[str, str]],
    database_url: str,
    cors_origins: Sequence[str] = (),
    allow_http_fhir: bool = False,
    cache_size: int = 256,
) -> str:
    """The JSON a worker process reads from `CLEPATH_CDS_SERVE` (issuer JWKS files made
    absolute, so workers need not share a working folder)."""
    entries = []
    for issuer in issuers:
        entry = dict(issuer)
        if "jwks_file" in entry:
            entry["jwks_file"] = str(Path(entry["jwks_file"]).resolve())
        entries.append(entry)
    return json.dumps({"base_url": base_url, "issuers": entries, "database_url": database_url,
                       "cors_origins": list(cors_origins), "allow_http_fhir": allow_http_fhir,
                       "cache_size": cache_size})


def _spec(environ: Mapping[str, str]) -> dict[str, Any]:
    raw = environ.get(ENV)
    accepted = "the JSON written by `clepath cds serve`"
    if not raw:
        raise CaseError(FieldProblem(ENV, None, "is not set", accepted))
    try:
        spec = json.loads(raw)
    except ValueError:
        raise CaseError(FieldProblem(ENV, raw[:60], "is not JSON", accepted)) from None
    if not isinstance(spec, dict) or not {"base_url", "issuers", "database_url"} <= spec.keys():
        raise CaseError(FieldProblem(ENV, raw[:60], "lacks base_url, issuers or database_url",
                                     accepted))
    return spec


class _FeedbackOnFirstUse:
    """The database feedback sink, made when the first feedback arrives (or when `load` is
    called): the store and SQLAlchemy are then imported, not at start."""

    def __init__(self, database_url: str, kb: Any) -> None:
        self._url = database_url
        self._kb = kb
        self._sink: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """The real sink (`clepath.web.feedback.DatabaseFeedbackSink`), made once."""
        with self._lock:
            if self._sink is None:
                from clepath.store import Store, make_engine, session_factory
                from clepath.web.feedback import DatabaseFeedbackSink

                sessions = session_factory(make_engine(self._url, create_directory=True))
                self._sink = DatabaseFeedbackSink(lambda: Store.open(sessions, self._kb))
            return self._sink

    def record(self, service_id: str, feedback: dict[str, Any]) -> None:
        """Store one checked feedback item."""
        self.load().record(service_id, feedback)

    def rates(self) -> dict[str, Any]:
        """Accept and override rates from everything stored."""
        result: dict[str, Any] = self.load().rates()
        return result


def app_from_env(environ: Mapping[str, str] | None = None) -> Starlette:
    """The CDS app of one worker process, from `CLEPATH_CDS_SERVE` (uvicorn's factory).

    On a SQLite file the CDS state (token ids, card rules) goes through the standard library's
    driver and the feedback store is opened on the first feedback, so the server answers
    without having imported SQLAlchemy; token ids are checked against the database from the
    first call on."""
    from clepath.knowledge.loader import load_knowledge
    from clepath.store import lite
    from clepath.store.cdsstate import DatabaseCdsState
    from clepath.web.cds import CdsConfig, create_cds_app

    spec = _spec(os.environ if environ is None else environ)
    base = str(spec["base_url"]).rstrip("/")
    issuers = parse_issuers(spec["issuers"], field="--trust", folder=Path("/"),
                            where="the trusted clients")
    kb = load_knowledge()
    url = str(spec["database_url"])
    path = lite.plain_sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = DatabaseCdsState.on_sqlite(path)
    else:
        from clepath.store import make_engine

        state = DatabaseCdsState(make_engine(url, create_directory=True))
    config = CdsConfig(base_url=base, issuers=issuers,
                       cors_origins=tuple(spec.get("cors_origins") or ()),
                       allow_http_fhir=bool(spec.get("allow_http_fhir")),
                       cache_size=int(spec.get("cache_size", 256)), warm_up=True)
    app = create_cds_app(
        config,
        feedback_sink=_FeedbackOnFirstUse(url, kb),
        # the CDS server alone has no patient pages: link only to a configured web app
        patient_link=patient_link((os.environ if environ is None else environ).get(
            "CLEPATH_PUBLIC_URL")),
        kb=kb,
        shared_state=state,
    )
    gc.enable()  # `clepath cds serve` turned it off while the app was made
    return app
