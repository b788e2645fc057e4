"""The app factory: `create_app(settings)` builds everything; importing this module builds nothing.

Pages and the JSON API sit side by side (one route module per resource in `routes/`); the
OpenAPI document is at `/api/openapi.json`. FastAPI's interactive docs are off because they
load their scripts from a CDN and every asset here is served locally.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from clepath import __version__
from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.store import make_engine, session_factory
from clepath.web.handlers import install_handlers
from clepath.web.middleware import RequestGuard
from clepath.web.render import make_templates, static_dir
from clepath.web.routes import ROUTERS
from clepath.web.state import AppState
from clepath.web.throttle import LoginThrottle

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    knowledge: KnowledgeBase | None = None,
    password_hasher: PasswordHasher | None = None,
) -> FastAPI:
    """The clepath web app for these settings.

    Args:
        settings: database URL, secret key, cookie and sign-in policy.
        knowledge: the loaded packs (loaded here when not given; tests pass theirs).
        password_hasher: argon2 parameters for new hashes (argon2-cffi's defaults if None).
    """
    if knowledge is None:
        from clepath.knowledge.loader import load_knowledge

        knowledge = load_knowledge()
    engine = make_engine(settings.database_url, create_directory=True)
    state = AppState(
        settings=settings,
        knowledge=knowledge,
        engine=engine,
        sessions=session_factory(engine),
        hasher=password_hasher or PasswordHasher(),
        throttle=LoginThrottle(settings.login_attempts, settings.login_window_minutes * 60),
        templates=make_templates(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

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
    app.add_middleware(RequestGuard)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    for router in ROUTERS:
        app.include_router(router)

    # --- CDS Hooks: include here -------------------------------------------------------------
    # `clepath.web.cds.build_cds_router` serves discovery, the hooks and feedback. It checks the
    # EHR's JWT itself, so it is included without the session/CSRF dependencies, and feedback
    # goes to the database through `DatabaseFeedbackSink`. Once a CdsConfig is read from the
    # settings (issuers, base URL, CORS origins), add:
    #
    #     from clepath.web.cds import build_cds_router
    #     from clepath.web.feedback import DatabaseFeedbackSink
    #     app.include_router(build_cds_router(
    #         cds_config, feedback_sink=DatabaseFeedbackSink(state),
    #         patient_link=lambda case_id: f"/patients?q={quote(case_id)}", kb=knowledge,
    #     ))
    # -----------------------------------------------------------------------------------------
    return app
