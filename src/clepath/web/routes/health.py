"""Health checks for load balancers and orchestrators. They need no sign-in, say nothing about
patients, and bypass the concurrency bound (`clepath.web.overload`), so they answer under any
load:

- `/healthz` (liveness): the process and its event loop answer; it touches nothing else.
- `/readyz` (readiness): the database answers a query within 2 s, on a connection of its own
  (never waiting behind busy requests); 503 otherwise.
- `/api/health`: the older check (the database through the ordinary request path).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from clepath import __version__
from clepath.web.deps import StoreDep
from clepath.web.state import AppState

__all__ = ["READY_TIMEOUT_S", "router"]

router = APIRouter(tags=["health"])

READY_TIMEOUT_S = 2.0

_UNAVAILABLE = {503: {"description": "The database did not answer in time."}}


@router.get("/api/health", summary="Health check")
def health(store: StoreDep) -> dict[str, str]:
    """`ok` when the database answers."""
    store.session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """`alive` while the server process answers (no database, no sign-in)."""
    return {"status": "alive", "version": __version__}


@router.get("/readyz", summary="Readiness", responses=_UNAVAILABLE)
async def readyz(request: Request) -> JSONResponse:
    """`ready` when the database answers within 2 s; 503 with Retry-After otherwise."""
    state: AppState = request.app.state.clepath
    try:
        await asyncio.wait_for(asyncio.shield(state.probe_database()), READY_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - any failure of the database means "not ready"
        return JSONResponse(
            {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "The database did not answer.",
            },
            status_code=503,
            headers={"Retry-After": "5"},
            media_type="application/problem+json",
        )
    return JSONResponse({"status": "ready", "version": __version__})
