"""SQLite through the standard library's driver, for a process that must start fast.

`clepath cds serve` on a SQLite file needs only two things from the database at start: that
its schema is the newest (one query) and a connection for the CDS state (replay protection,
card rules). Both are done here with `sqlite3`, so that the server does not import SQLAlchemy
(about a quarter of a second of CPU) before it answers. Only plain file URLs are read here
(`sqlite:///PATH`, `sqlite+pysqlite:///PATH`, without a query or escapes); anything else is
left to SQLAlchemy (`plain_sqlite_file` returns None). The connection pragmas are the ones
`clepath.store.database.make_engine` applies to every SQLite connection.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["PRAGMAS", "apply_pragmas", "connect", "plain_sqlite_file", "stored_revision"]

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)
_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def plain_sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite file URL; None for any other URL (in-memory, a query, a
    percent escape, another database), which SQLAlchemy then reads."""
    for prefix in _PREFIXES:
        if url.startswith(prefix):
            rest = url[len(prefix):]
            if not rest or rest == ":memory:" or any(c in rest for c in "?#%"):
                return None
            return Path(rest)
    return None


def apply_pragmas(connection: sqlite3.Connection) -> None:
    """Set clepath's connection pragmas (WAL, foreign keys, busy timeout, synchronous)."""
    cursor = connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def connect(path: Path) -> sqlite3.Connection:
    """A driver connection to the SQLite file with clepath's pragmas (usable from any thread,
    as SQLAlchemy's are: `check_same_thread=False`)."""
    connection = sqlite3.connect(str(path), check_same_thread=False)
    apply_pragmas(connection)
    return connection


def stored_revision(path: Path) -> str | None:
    """The one revision in the file's `alembic_version` table; None when the file does not
    exist, has no such table, cannot be read or holds more than one row."""
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(str(path))
    except sqlite3.Error:
        return None
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return str(rows[0][0]) if len(rows) == 1 else None
