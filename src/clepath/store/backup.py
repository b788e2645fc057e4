"""Backups of a SQLite database with SQLite's online backup API (safe while the app serves).

`backup(url, target)` copies the live database page by page into a new file, consistent as of
one moment even while requests write; `restore(source, url)` checks the backup (integrity and
a clepath schema) and copies it over the database, again through the backup API, so a server
still holding the file sees a whole database. PostgreSQL is backed up with `pg_dump` /
`pg_restore` (docs/deploy.md); these functions refuse other databases with a CaseError.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from clepath.errors import CaseError, FieldProblem
from clepath.store.database import sqlite_path

__all__ = ["backup", "check_backup", "restore"]

_PG = "PostgreSQL: use pg_dump --format=custom and pg_restore (see docs/deploy.md)"


def _database_file(url: str) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise CaseError(FieldProblem("--database-url", url.split("@")[-1],
                                     "is not a SQLite file", _PG))
    return path


def backup(url: str, target: Path) -> int:
    """Copy the SQLite database of `url` into the new file `target`; its size in bytes.

    Raises:
        CaseError: when the database is not a SQLite file, does not exist, or `target` exists.
    """
    source = _database_file(url)
    if not source.exists():
        raise CaseError(FieldProblem("--database-url", str(source), "does not exist"))
    if target.exists():
        raise CaseError(FieldProblem("PATH", str(target), "exists already",
                                     "a new file name (backups are never overwritten)"))
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    copy.close()
    live.close()
    return target.stat().st_size


def check_backup(path: Path) -> str:
    """The schema revision of a backup file after an integrity check.

    Raises:
        CaseError: naming the file when it is missing, damaged or not a clepath database.
    """
    if not path.is_file():
        raise CaseError(FieldProblem("PATH", str(path), "does not exist"))
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        db.close()
    except sqlite3.DatabaseError as exc:
        raise CaseError(FieldProblem("PATH", str(path), f"is not a clepath database ({exc})",
                                     "a file written by `clepath db backup`")) from None
    if verdict != "ok":
        raise CaseError(FieldProblem("PATH", str(path), f"fails the integrity check ({verdict})"))
    if row is None:
        raise CaseError(FieldProblem("PATH", str(path), "has no schema revision"))
    return str(row[0])


def restore(source: Path, url: str) -> str:
    """Replace the SQLite database of `url` by the backup `source`; the restored revision."""
    revision = check_backup(source)
    target = _database_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as saved, \
            sqlite3.connect(target) as live:
        saved.backup(live)
    saved.close()
    live.close()
    return revision
