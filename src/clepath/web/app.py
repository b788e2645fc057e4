"""The app factory: `create_app(settings)` builds everything; importing this module builds nothing.

Pages and the JSON API sit side by side (one route module per resource in `routes/`); the
OpenAPI document is at `/api/openapi.json`. FastAPI's interactive docs are off because they
load their scripts from a CDN and every asset here is served locally.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from clepath import __version__
from clepath.errors import CaseError, FieldProblem
from clepath.fhir.cds.auth import TrustedIssuer
from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.store import make_engine, session_factory
from clepath.store.throttle import DatabaseLoginThrottle
from clepath.web.cds import CdsConfig, build_cds_router
from clepath.web.feedback import DatabaseFeedbackSink
from clepath.web.handlers import install_handlers
from clepath.web.issuers import ISSUERS_ACCEPTED, parse_issuers, patient_link
from clepath.web.limits import BodyLimit
from clepath.web.middleware import RequestGuard
from clepath.web.openapi import install_openapi
from clepath.web.overload import LoadShedder, ShedPolicy
from clepath.web.render import make_templates, static_dir
from clepath.web.routes import ROUTERS
from clepath.web.state import AppState

__all__ = ["ISSUERS_ACCEPTED", "app_from_env", "cds_config", "create_app", "parse_issuers"]


def create_app(
    settings: Settings,
    *,
    knowledge: KnowledgeBase | None = None,
    password_hasher: PasswordHasher | None = None,
    warm_up: bool = False,
) -> FastAPI:
    """The clepath web app for these settings.

    Args:
        settings: database URL, secret key, cookie and sign-in policy.
        knowledge: the loaded packs (loaded here when not given; tests pass theirs).
        password_hasher: argon2 parameters for new hashes (argon2-cffi's defaults if None).
        warm_up: build the unit registry and load the PDF compiler soon after the start, in
            the background, and, when
            CDS clients are trusted, answer each hook once on the demo case (`clepath serve`
            does; tests need not).
    """
    if knowledge is None:
        from clepath.knowledge.loader import load_knowledge

        knowledge = load_knowledge()
    # One connection per request that may run at once, plus room for the sign-in throttle and
    # CDS state; a request never waits long for a connection (the old 30 s wait became 500s).
    engine = make_engine(
        settings.database_url,
        create_directory=True,
        pool_size=settings.max_concurrency + 4,
        pool_timeout=10.0,
    )
    state = AppState(
        settings=settings,
        knowledge=knowledge,
        engine=engine,
        sessions=session_factory(engine),
        hasher=password_hasher or PasswordHasher(),
        throttle=DatabaseLoginThrottle(
            engine, settings.login_attempts, settings.login_window_minutes * 60
        ),
        templates=make_templates(),
        probe_engine=make_engine(settings.database_url, pool_size=1, pool_timeout=1.0),
    )

    if warm_up:
        # The UCUM registry's set-up (about a second, not thread-safe) and the PDF compiler
        # with its fonts are loaded in the background, starting a second from now, when the
        # server is listening: its start is not slowed, and a request needing either sooner
        # loads it itself, under its lock.
        from clepath.domain.units import warm_up as warm_up_units
        from clepath.report.pdf import warm_up as warm_up_documents
        from clepath.web.cds import SERVER_UNITS_DELAY_S

        warm_up_units(delay_s=SERVER_UNITS_DELAY_S)
        warm_up_documents(delay_s=SERVER_UNITS_DELAY_S)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="clepath",
        version=__version__,
        summary="Decision support for cutaneous lupus erythematosus: pages and JSON API.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.clepath = state
    install_handlers(app)
    app.add_middleware(
        LoadShedder,
        policy=ShedPolicy(
            max_concurrency=settings.max_concurrency,
            max_queue=settings.max_queue,
            queue_seconds=settings.queue_seconds,
            request_timeout_seconds=settings.request_timeout_seconds,
        ),
    )
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestGuard)  # outermost: every answer, 503s too, is logged
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    for router in ROUTERS:
        app.include_router(router)

    # CDS Hooks checks the EHR's JWT itself, so it is included without the session and CSRF
    # dependencies; feedback goes to the database.
    config = cds_config(settings)
    app.include_router(
        build_cds_router(
            dataclasses.replace(config, warm_up=warm_up and bool(config.issuers)),
            feedback_sink=DatabaseFeedbackSink(state.store),
            patient_link=patient_link(settings.public_url or settings.public_base_url),
            kb=knowledge,
            shared_state=state.cds_state,
        )
    )
    install_openapi(app)
    return app


def cds_config(settings: Settings) -> CdsConfig:
    """The CDS Hooks deployment described by the settings (issuers read from their file).

    Raises:
        CaseError: naming CLEPATH_CDS_ISSUERS_FILE when the file cannot be read or is malformed.
    """
    return CdsConfig(
        base_url=settings.public_base_url,
        issuers=_issuers(settings.cds_issuers_file),
        cors_origins=settings.cds_cors_origins,
        fhir_servers=settings.cds_fhir_servers,
        allow_http_fhir=settings.cds_allow_http_fhir,
    )


def _issuers(path_text: str | None) -> tuple[TrustedIssuer, ...]:
    if not path_text:
        return ()
    field = "CLEPATH_CDS_ISSUERS_FILE"
    path = Path(path_text)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CaseError(
            FieldProblem(field, path_text, f"cannot be read ({exc})", ISSUERS_ACCEPTED)
        ) from None
    return parse_issuers(entries, field=field, folder=path.parent, where=path_text)


def app_from_env() -> FastAPI:
    """The app described by the `CLEPATH_*` variables, warmed up: the factory uvicorn calls in
    each worker process of `clepath serve --workers N`."""
    return create_app(Settings.from_env(), warm_up=True)
