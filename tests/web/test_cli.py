"""`clepath serve`, `clepath db` and `clepath user`: what `make run` does on a fresh machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from clepath.cli import web as cli_web
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.store import Store, head_revision, make_engine, session_factory
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


@contextmanager
def _store(url: str, kb: KnowledgeBase) -> Iterator[Store]:
    engine = make_engine(url)
    try:
        with Store.open(session_factory(engine), kb, FAST_HASHER) as store:
            yield store
    finally:
        engine.dispose()


class TestDb:
    def test_upgrade_creates_and_migrates(self, cli: typer.Typer, tmp_path: Path) -> None:
        """`db upgrade` on a new SQLite path reports the newest revision; `db current` agrees."""
        url = f"sqlite:///{tmp_path / 'fresh.db'}"

        upgraded = CliRunner().invoke(cli, ["db", "upgrade", "--database-url", url])
        current = CliRunner().invoke(cli, ["db", "current", "--database-url", url])

        assert (0, True, True) == (
            upgraded.exit_code,
            upgraded.output.strip().endswith(f"schema at revision {head_revision()}"),
            "(up to date)" in current.output,
        )

    def test_password_is_never_printed(self, cli: typer.Typer, database_url: str) -> None:
        """A PostgreSQL URL's password is masked in the output."""
        result = CliRunner().invoke(cli, ["db", "current", "--database-url", database_url])

        assert ("clepath:clepath@" not in result.output) and result.exit_code == 0


class TestUser:
    def test_add_a_user_who_can_sign_in(
        self, cli: typer.Typer, database_url: str, kb: KnowledgeBase
    ) -> None:
        """`user add` with a password on stdin stores an argon2 hash that signs in."""
        result = CliRunner().invoke(
            cli, ["user", "add", "Ward.Lead", "--role", "admin", "--password-stdin",
                  "--database-url", database_url], input="a long enough password\n")

        with _store(database_url, kb) as store:
            user = store.users.authenticate("ward.lead", "a long enough password")

        assert (0, "added user ward.lead (admin)", "admin") == (
            result.exit_code, result.output.strip(), user.role if user else None
        )

    def test_duplicate_user_is_refused_and_update_works(
        self, cli: typer.Typer, database_url: str, kb: KnowledgeBase
    ) -> None:
        """A second `user add` of the same name fails; with --update it sets the password."""
        args = ["user", "add", "sam", "--password-stdin", "--database-url", database_url]
        CliRunner().invoke(cli, args, input="first password here\n")

        again = CliRunner().invoke(cli, args, input="second password here\n")
        updated = CliRunner().invoke(cli, [*args, "--update", "--role", "viewer"],
                                     input="second password here\n")
        with _store(database_url, kb) as store:
            user = store.users.authenticate("sam", "second password here")

        assert (CaseError, 0, "viewer") == (
            type(again.exception), updated.exit_code, user.role if user else None
        )

    def test_list(self, cli: typer.Typer, database_url: str, kb: KnowledgeBase) -> None:
        """`user list` prints each name, role and whether they may sign in."""
        with _store(database_url, kb) as store:
            store.users.add("ana", "correct horse battery", "viewer")
            store.commit()

        result = CliRunner().invoke(cli, ["user", "list", "--database-url", database_url])

        assert "ana\tviewer\tactive" == result.output.strip()


class TestServe:
    def test_fresh_machine_gets_the_demo(self, tmp_path: Path, kb: KnowledgeBase) -> None:
        """On an empty SQLite file: the seed case and a demo clinician whose password works."""
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'run' / 'clepath.db'}")
        cli_web.prepare_database(settings)

        password = cli_web.seed_demo(settings)
        with _store(settings.database_url, kb) as store:
            demo = store.users.authenticate("demo", password or "")
            patients = [p.case_id for p in store.patients.search()]

        assert ("clinician", ["idoj-2020-ivig-rescue"], None) == (
            demo.role if demo else None, patients, cli_web.seed_demo(settings)
        )

    def test_serve_prints_how_to_sign_in(
        self, cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`serve` prints the address and the demo sign-in, then runs uvicorn on them."""
        import uvicorn

        calls: list[dict[str, Any]] = []
        monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
        url = f"sqlite:///{tmp_path / 'clepath.db'}"

        first = CliRunner().invoke(cli, ["serve", "--port", "8123", "--database-url", url])
        second = CliRunner().invoke(cli, ["serve", "--port", "8123", "--database-url", url])

        assert (True, True, True, False) == (
            "http://127.0.0.1:8123/" in first.output,
            "sign in as 'demo' with password '" in first.output,
            "clepath user add demo --role clinician --update" in second.output,
            calls[0]["access_log"],
        )

    def test_server_database_must_be_migrated_first(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On PostgreSQL behind the newest schema, serve stops and says to run db upgrade."""
        import clepath.store as store_module

        monkeypatch.setattr(store_module, "is_current", lambda url: False)
        settings = Settings(database_url="postgresql+psycopg://u:secret@db.invalid/clepath")

        with pytest.raises(CaseError) as caught:
            cli_web.prepare_database(settings)

        problem = caught.value.problems[0]
        assert ("run `clepath db upgrade` first", False) == (
            problem.accepted, "secret" in str(problem.value)
        )


class TestSettings:
    def test_environment_variables(self) -> None:
        """CLEPATH_* variables are read; options given on the command line win."""
        settings = Settings.from_env(
            {"CLEPATH_PORT": "9000", "CLEPATH_HOST": "0.0.0.0", "CLEPATH_COOKIE_SECURE": "no"},
            port=9100,
        )

        assert (9100, "0.0.0.0", False) == (settings.port, settings.host, settings.cookie_secure)

    def test_bad_variable_is_named(self) -> None:
        """A port that is not a number names CLEPATH_PORT."""
        with pytest.raises(CaseError) as caught:
            Settings.from_env({"CLEPATH_PORT": "eighty"})

        assert ["CLEPATH_PORT"] == [p.field for p in caught.value.problems]
