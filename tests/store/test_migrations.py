"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from clepath.store import current_revision, head_revision, is_current, make_engine, upgrade
from clepath.store.tables import Base


class TestMigrations:
    def test_migrated_schema_matches_the_models(self, database_url: str) -> None:
        """Autogenerate finds no difference between the migrated database and the tables."""
        engine = make_engine(database_url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                diff = compare_metadata(context, Base.metadata)
        finally:
            engine.dispose()

        assert [] == diff

    def test_database_is_at_the_newest_revision(self, database_url: str) -> None:
        """A migrated database reports the head revision, and upgrading again changes nothing."""
        before = current_revision(database_url)

        after = upgrade(database_url)

        assert (head_revision(), head_revision(), True) == (before, after, is_current(database_url))

    def test_every_table_exists(self, database_url: str) -> None:
        """Patients, each observation kind, assessments, users, sessions, audit and feedback."""
        engine = make_engine(database_url)
        try:
            names = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

        assert {t.name for t in Base.metadata.sorted_tables} <= names

    def test_fresh_sqlite_file_is_created_and_migrated(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """`upgrade` on a path that does not exist yet makes the folder, the file and the schema."""
        url = f"sqlite:///{tmp_path / 'new' / 'clepath.db'}"

        revision = upgrade(url)

        assert (head_revision(), True) == (revision, (tmp_path / "new" / "clepath.db").exists())

    def test_sqlite_uses_write_ahead_logging(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """SQLite databases run in WAL mode with foreign keys enforced."""
        from sqlalchemy import text

        engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
        try:
            with engine.connect() as connection:
                mode = connection.execute(text("PRAGMA journal_mode")).scalar()
                keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
        finally:
            engine.dispose()

        assert ("wal", 1) == (mode, keys)


class TestCurrentDatabaseFastPath:
    def test_scripts_name_the_same_head_as_alembic(self) -> None:
        """The head read from the scripts' revision lines is Alembic's head (0003 or later)."""
        from clepath.store.migrate import _scripted_head

        assert _scripted_head() == head_revision()

    def test_current_database_is_not_migrated_again(self, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        """A second `upgrade` of a SQLite file at the head answers the head without running
        Alembic's upgrade; a file one revision behind is still migrated to the head."""
        from alembic import command

        url = f"sqlite:///{tmp_path / 'restart.db'}"
        upgrade(url)
        calls: list[str] = []
        real = command.upgrade
        monkeypatch.setattr(command, "upgrade", lambda config, rev: calls.append(rev))

        again = upgrade(url)
        behind = f"sqlite:///{tmp_path / 'behind.db'}"
        monkeypatch.setattr(command, "upgrade", real)
        upgrade(behind, "0002")
        caught_up = upgrade(behind)

        assert (head_revision(), [], head_revision()) == (again, calls, caught_up)
