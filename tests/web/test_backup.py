"""`clepath db backup` and `clepath db restore`: a SQLite backup taken while the database is
open brings back exactly the patients and users it held; a damaged file is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clepath.cli import web as cli_web
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.store import Store, make_engine, session_factory, upgrade
from clepath.store.backup import backup, check_backup
from tests.store._factory import scle_case, seed_case
from tests.store.conftest import FAST_HASHER


@pytest.fixture
def cli() -> typer.Typer:
    """A Typer application holding only the web app's commands."""
    application = typer.Typer()
    cli_web.register(application)

    @application.callback()
    def _root() -> None:
        """Test root."""

    return application


def _case_ids(url: str, kb: KnowledgeBase) -> list[str]:
    engine = make_engine(url)
    try:
        with Store.open(session_factory(engine), kb, FAST_HASHER) as store:
            return sorted(s.case_id for s in store.patients.search(limit=50))
    finally:
        engine.dispose()


def test_backup_then_restore_brings_back_the_records(
    cli: typer.Typer, tmp_path: Path, kb: KnowledgeBase
) -> None:
    """Back up two patients (with a connection still open), add a third, restore: the two
    remain, the third is gone, and the commands say so."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Store.open(session_factory(engine), kb, FAST_HASHER) as store:
        store.patients.add_case(seed_case(kb))
        store.commit()
        store.patients.add_case(scle_case(kb))
        store.commit()
        saved = CliRunner().invoke(cli, ["db", "backup", str(tmp_path / "b.db"),
                                         "--database-url", url])
        store.users.add("late", "a password of some length", "viewer")
        store.commit()
    engine.dispose()
    before = _case_ids(url, kb)
    refused = CliRunner().invoke(cli, ["db", "restore", str(tmp_path / "b.db"),
                                       "--database-url", url])
    restored = CliRunner().invoke(cli, ["db", "restore", str(tmp_path / "b.db"), "--yes",
                                        "--database-url", url])

    assert 0 == saved.exit_code, saved.output
    assert "backed up to" in saved.output
    assert ["demo-scle-0001", "idoj-2020-ivig-rescue"] == before
    assert 0 != refused.exit_code
    assert 0 == restored.exit_code, restored.output
    assert "restored from" in restored.output
    assert ["demo-scle-0001", "idoj-2020-ivig-rescue"] == _case_ids(url, kb)
    users = sqlite3.connect(tmp_path / "live.db").execute("SELECT count(*) FROM users")
    assert (0,) == users.fetchone()


def test_damaged_backup_is_refused(tmp_path: Path) -> None:
    """A file that is not a SQLite database is refused naming the file, before any change."""
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 100)

    with pytest.raises(CaseError) as caught:
        check_backup(bad)

    assert "PATH" == caught.value.problems[0].field


def test_backup_never_overwrites_and_postgres_is_pointed_to_pg_dump(tmp_path: Path) -> None:
    """An existing target is refused; a PostgreSQL URL is told to use pg_dump."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    (tmp_path / "exists.db").write_bytes(b"")

    with pytest.raises(CaseError) as exists:
        backup(url, tmp_path / "exists.db")
    with pytest.raises(CaseError) as postgres:
        backup("postgresql+psycopg://u:p@127.0.0.1/db", tmp_path / "pg.db")

    assert "exists already" in exists.value.problems[0].message
    assert "pg_dump" in (postgres.value.problems[0].accepted or "")
