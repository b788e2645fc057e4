"""Store fixtures: a migrated database per test (SQLite and PostgreSQL) and a Store on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from clepath.knowledge.base import KnowledgeBase
from clepath.store import Store, make_engine, session_factory
from tests.store._backends import database_url, postgres_url, sqlite_template

__all__ = ["database_url", "postgres_url", "sqlite_template"]

# Cheap argon2 parameters: hashing cost is not what these tests check.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def store(database_url: str, kb: KnowledgeBase) -> Iterator[Store]:
    """A unit of work on a fresh database (closed after the test)."""
    engine = make_engine(database_url)
    unit = Store.open(session_factory(engine), kb, FAST_HASHER)
    try:
        yield unit
    finally:
        unit.close()
        engine.dispose()


@pytest.fixture
def reopen(database_url: str, kb: KnowledgeBase) -> Iterator[object]:
    """A function giving a second, independent unit of work on the same database."""
    engine = make_engine(database_url)
    opened: list[Store] = []

    def open_store() -> Store:
        unit = Store.open(session_factory(engine), kb, FAST_HASHER)
        opened.append(unit)
        return unit

    try:
        yield open_store
    finally:
        for unit in opened:
            unit.close()
        engine.dispose()


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Leave out the combinations that do not exist (the sqlite3 driver on PostgreSQL), rather
    than reporting them as skipped."""
    kept, dropped = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        params = spec.params if spec is not None else {}
        pair = (params.get("database_url"), params.get("make"))
        (dropped if pair == ("postgresql", "sqlite3") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
