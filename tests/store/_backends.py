"""Database fixtures: every store and web test runs on SQLite and on PostgreSQL.

SQLite: each test gets a fresh copy of a database migrated once per session.
PostgreSQL: the server named by $CLEPATH_TEST_POSTGRES_URL (the CI script starts Debian's
postgresql and exports it); the schema is rebuilt by the migrations once per session and every
table is emptied before each test. Without the variable the PostgreSQL tests skip with the
reason, except under CI=true, where they fail: CI must never pass without PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from clepath.store import make_engine, upgrade
from clepath.store.tables import Base

__all__ = ["POSTGRES_ENV", "database_url", "postgres_url", "sqlite_template"]

POSTGRES_ENV = "CLEPATH_TEST_POSTGRES_URL"
_EXAMPLE = "postgresql+psycopg://clepath:clepath@127.0.0.1:5432/clepath_test"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "clepath.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL database, its schema rebuilt by the migrations."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        reason = f"PostgreSQL tests need ${POSTGRES_ENV}, e.g. {_EXAMPLE}"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true but ${POSTGRES_ENV} is not set: {reason}")
        pytest.skip(reason)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    upgrade(url)
    return url


def _empty_postgres(url: str) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            # A connection left open by an earlier test would block TRUNCATE: fail, never hang.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """An empty, migrated database: a SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "sqlite":
        path = tmp_path / "clepath.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    yield url
