"""The stdlib SQLite helpers that let `clepath cds serve` start without SQLAlchemy: they read
the same file as SQLAlchemy does, or leave the URL to it, and find the schema revision."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.store import current_revision, head_revision, lite, sqlite_path
from clepath.store.migrate import _stored_revision

_NAMES = st.text(st.sampled_from("abcxyz019_-./"), min_size=1, max_size=20)


@pytest.mark.parametrize("url", ["sqlite:///clepath.db", "sqlite:////tmp/x/clepath.db",
                                 "sqlite+pysqlite:///data/c.db", "sqlite:///./rel/c.sqlite"])
def test_a_plain_file_url_names_the_file_sqlalchemy_opens(url: str) -> None:
    """For plain file URLs the helper's file is SQLAlchemy's file."""
    assert lite.plain_sqlite_file(url) == sqlite_path(url)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///c.db?mode=ro",
                                 "sqlite:///my%20db.db", "postgresql+psycopg://u@h/db",
                                 "sqlite+aiosqlite:///c.db"])
def test_other_urls_are_left_to_sqlalchemy(url: str) -> None:
    """In-memory, query, escaped and non-SQLite URLs get no file from the helper."""
    assert lite.plain_sqlite_file(url) is None


@given(_NAMES)
def test_any_plain_name_agrees_with_sqlalchemy(name: str) -> None:
    """Whatever plain path is written after sqlite:///, both read the same file (or the
    helper declines)."""
    url = f"sqlite:///{name}"
    mine = lite.plain_sqlite_file(url)
    assert mine is None or mine == sqlite_path(url)


def test_a_migrated_file_is_at_the_head_revision(sqlite_template: Path) -> None:
    """The revision read with sqlite3 is Alembic's own reading: the newest one."""
    url = f"sqlite:///{sqlite_template}"

    assert (head_revision(), head_revision()) == (_stored_revision(url), current_revision(url))


def test_a_missing_or_empty_file_has_no_revision(tmp_path: Path) -> None:
    """No file, or a file without the version table: no revision, and no file is made."""
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")

    assert (None, None, False) == (lite.stored_revision(tmp_path / "none.db"),
                                   lite.stored_revision(empty),
                                   (tmp_path / "none.db").exists())
