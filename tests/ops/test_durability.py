"""Kill -9 durability, bounded: every write the API acknowledged survives SIGKILL of the
server, valid writes are accepted after the restart, and SQLite's integrity check passes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ops.kill9 import run


def test_sqlite_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    """Two seeded rounds on SQLite: 0 acknowledged writes lost, 0 refused after restart."""
    tally = run(f"sqlite:///{tmp_path / 'k.db'}", tmp_path, rounds=2)

    assert tally.acknowledged > 0
    assert ([], 0, "ok") == (tally.lost, tally.refused_after_restart, tally.integrity)


def test_postgres_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    """Two seeded rounds on PostgreSQL: 0 acknowledged writes lost, 0 refused after restart."""
    url = os.environ.get("CLEPATH_TEST_POSTGRES_URL", "").strip()
    if not url:
        pytest.skip("PostgreSQL tests need $CLEPATH_TEST_POSTGRES_URL")
    tally = run(url, tmp_path, rounds=2)

    assert tally.acknowledged > 0
    assert ([], 0) == (tally.lost, tally.refused_after_restart)
