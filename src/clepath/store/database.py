"""Engines and sessions: SQLite (WAL, foreign keys on) by default, PostgreSQL by URL.

Design rule: nothing here runs at import time; `make_engine(url)` is called by the web app's
factory and by the CLI. SQLite URLs get the pragmas clepath relies on (write-ahead logging for
a reader beside a writer, enforced foreign keys so a deleted patient takes its observations).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from clepath.store.lite import apply_pragmas

__all__ = ["make_engine", "session_factory", "sqlite_path"]


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    apply_pragmas(dbapi_connection)


def make_engine(
    url: str,
    *,
    create_directory: bool = False,
    pool_size: int | None = None,
    pool_timeout: float | None = None,
) -> Engine:
    """An engine for `url`; for a SQLite file, WAL mode and enforced foreign keys.

    Args:
        url: a SQLAlchemy database URL (`sqlite:///clepath.db`,
            `postgresql+psycopg://user:pass@host/db`).
        create_directory: make the SQLite file's folder when it does not exist yet.
        pool_size: connections kept (SQLAlchemy's default 5 + 10 overflow if None); the web
            app passes its concurrency bound so no request waits for a connection.
        pool_timeout: seconds to wait for a free connection (SQLAlchemy's 30 if None).
    """
    pool: dict[str, Any] = {}
    if pool_size is not None:
        pool.update(pool_size=pool_size, max_overflow=max(2, pool_size // 2))
    if pool_timeout is not None:
        pool["pool_timeout"] = pool_timeout
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if create_directory and path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        if path is None:
            pool = {}  # in-memory SQLite uses a single-connection pool
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    return create_engine(parsed, pool_pre_ping=True, **pool)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
