"""A health check for load balancers: the app answers and the database is reachable.
It needs no sign-in and says nothing about patients."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from clepath import __version__
from clepath.web.deps import StoreDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/api/health", summary="Health check")
def health(store: StoreDep) -> dict[str, str]:
    """`ok` when the database answers."""
    store.session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}
