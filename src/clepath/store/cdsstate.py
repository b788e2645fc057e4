"""CDS Hooks state that every server process must share: used token ids and card rules.

A CDS service run with several worker processes (uvicorn `--workers`) must refuse a token id
(`jti`) that any of them has already accepted, and must know which rule made a card when the
feedback on it reaches another process than the one that answered the hook. Both live in the
database the processes already share (SQLite in WAL mode, or PostgreSQL):

* `use(iss, jti, until, now)` inserts the token id; the primary key makes the check atomic
  across processes (a second insert of the same id fails: a replay). A row whose token has
  expired may be used again. Database errors fail closed (the token is refused).
* `remember_cards(service_id, rules)` keeps each card uuid's rule (a card shown twice is one
  row); `card_rule(uuid)` reads it back.

Expired token ids and cards older than `card_retention_s` are purged at most once every
`purge_every_s` per process. The token-id insert runs on every call, so every statement goes
through one driver connection per thread, kept open, with fixed SQL (about 0.07 ms on SQLite
against 0.4 ms through a pooled SQLAlchemy transaction); a broken connection is replaced once,
and any other database error refuses the token. The connections come from a SQLAlchemy engine
(`DatabaseCdsState(engine)`) or, for a SQLite file, from the standard library's driver
(`DatabaseCdsState.on_sqlite(path)`, `clepath.store.lite`), so that `clepath cds serve` on
SQLite starts without importing SQLAlchemy. That connection must not wait for the disk on the
request path: on PostgreSQL it commits with `synchronous_commit = off` (a server crash may
forget the last fraction of a second of token ids, never corrupt anything; the tokens live
minutes); on SQLite it leaves WAL checkpoints (which flush the file to disk, tens of
milliseconds) to a background thread that runs one every `checkpoint_every_s`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["CARDS_TABLE", "DatabaseCdsState", "TOKENS_TABLE"]

log = logging.getLogger("clepath.store.cdsstate")
# The tables of `clepath.store.tables.CdsTokenUseRow` and `CdsCardRow` (a test checks the
# names and columns), written out so that this module does not import SQLAlchemy.
TOKENS_TABLE = "cds_token_uses"
CARDS_TABLE = "cds_cards"


class DatabaseCdsState:
    """Replay protection and card rules in the app's database (see the module docstring)."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        purge_every_s: float = 60.0,
        card_retention_s: float = 30 * 86_400.0,
        checkpoint_every_s: float = 1.0,
        clock: Callable[[], float] = time.time,
        _driver: tuple[Callable[[], Any], str, Any] | None = None,
    ) -> None:
        self._engine = engine
        if engine is not None:
            from sqlalchemy.exc import SQLAlchemyError

            dbapi: Any = engine.dialect.dbapi
            self._connect: Callable[[], Any] = engine.raw_connection
            self._dialect = engine.dialect.name
            qmark = engine.dialect.paramstyle == "qmark"
            self._errors: tuple[type[Exception], ...] = (SQLAlchemyError, dbapi.Error)
        elif _driver is not None:
            self._connect, self._dialect, dbapi = _driver
            qmark = dbapi.paramstyle == "qmark"
            self._errors = (dbapi.Error,)
        else:
            raise TypeError("DatabaseCdsState needs an engine (or use on_sqlite)")
        self._integrity_error: type[Exception] = dbapi.IntegrityError
        self._driver_error: type[Exception] = dbapi.Error
        self._checkpoint_every = checkpoint_every_s
        self._checkpointer: threading.Thread | None = None
        self._stop = threading.Event()
        self._purge_every = purge_every_s
        self._retention = card_retention_s
        self._clock = clock
        self._last_purge = float("-inf")
        self._lock = threading.Lock()
        self._local = threading.local()
        self._opened: list[Any] = []  # every driver connection of every thread, for close()
        m = "?" if qmark else "%s"
        self._sql = {  # fixed tables and columns (constants); every value is a bound parameter
            "insert_token": f"INSERT INTO {TOKENS_TABLE} (issuer, jti, expires_at) "  # noqa: S608
                            f"VALUES ({m}, {m}, {m})",
            "reuse_token": f"UPDATE {TOKENS_TABLE} SET expires_at = {m} "  # noqa: S608
                           f"WHERE issuer = {m} AND jti = {m} AND expires_at < {m}",
            "purge_tokens": f"DELETE FROM {TOKENS_TABLE} WHERE expires_at < {m}",  # noqa: S608
            "purge_cards": f"DELETE FROM {CARDS_TABLE} WHERE issued_at < {m}",  # noqa: S608
            "insert_card": f"INSERT INTO {CARDS_TABLE} (uuid, service_id, rule, "  # noqa: S608
                           f"issued_at) VALUES ({m}, {m}, {m}, {m})",
            "card_rule": f"SELECT service_id, rule FROM {CARDS_TABLE} "  # noqa: S608
                         f"WHERE uuid = {m}",
        }
        if self._dialect in ("sqlite", "postgresql"):  # both know ON CONFLICT DO NOTHING
            self._sql["insert_card"] += " ON CONFLICT DO NOTHING"

    @classmethod
    def on_sqlite(cls, path: Path, **options: Any) -> DatabaseCdsState:
        """The state in a SQLite file, through the standard library's driver (no SQLAlchemy)."""
        import sqlite3

        from clepath.store import lite

        return cls(None, _driver=(lambda: lite.connect(path), "sqlite", sqlite3), **options)

    def use(self, iss: str, jti: str, until: float, now: float) -> bool:
        """Record a token id; False for a replay (or when the database cannot be asked)."""
        self._maybe_purge(now)
        try:
            if self._insert_new(iss, jti, until):
                return True
            # the id is known: usable again only if its token has expired
            reused = self._run(lambda c: _rowcount(c, self._sql["reuse_token"],
                                                   (until, iss, jti, now)))
            return bool(reused == 1)
        except self._errors as exc:
            log.error("cds: replay check failed (%s); token refused", type(exc).__name__)
            return False

    def _insert_new(self, iss: str, jti: str, until: float) -> bool:
        """Insert the token id on this thread's driver connection; False if it exists."""
        try:
            self._run(lambda c: _rowcount(c, self._sql["insert_token"], (iss, jti, until)))
        except self._integrity_error:
            return False
        return True

    def _run(self, work: Callable[[Any], Any]) -> Any:
        """Do `work(connection)` on this thread's connection and commit; on a driver error
        other than an integrity error, replace the connection and try once more."""
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = self._open_fast()
            try:
                result = work(connection)
                connection.commit()
                return result
            except self._integrity_error:
                connection.rollback()
                raise
            except self._driver_error:
                self._local.connection = None
                with contextlib.suppress(Exception):  # already broken; a new one is opened
                    getattr(connection, "invalidate", connection.close)()
                if attempt == 2:
                    raise
        return None  # pragma: no cover - the loop returns or raises

    def _open_fast(self) -> Any:
        """A driver connection for the token-id insert that does not wait for the disk."""
        connection = self._connect()
        with self._lock:
            self._opened.append(connection)
        cursor = connection.cursor()
        try:
            if self._dialect == "postgresql":
                cursor.execute("SET synchronous_commit TO OFF")
            elif self._dialect == "sqlite":
                cursor.execute("PRAGMA wal_autocheckpoint=0")
                self._start_checkpointer()
        finally:
            cursor.close()
        connection.commit()
        return connection

    def _start_checkpointer(self) -> None:
        with self._lock:
            if self._checkpointer is not None or self._stop.is_set():
                return
            self._checkpointer = threading.Thread(target=self._checkpoints, daemon=True,
                                                  name="clepath-cds-checkpoint")
        self._checkpointer.start()

    def _checkpoints(self) -> None:
        """Background thread: a passive WAL checkpoint every `checkpoint_every_s` (SQLite)."""
        connection = None
        while not self._stop.wait(self._checkpoint_every):
            try:
                if connection is None:
                    connection = self._connect()
                cursor = connection.cursor()
                try:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    cursor.close()
            except Exception as exc:  # noqa: BLE001 - retried next time; never kills the thread
                log.warning("cds: WAL checkpoint failed (%s)", type(exc).__name__)
                connection = None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    @property
    def engine(self) -> Engine:
        """The engine the state reads and writes through (only for a state made with one)."""
        if self._engine is None:
            raise AttributeError("this state uses the sqlite3 driver, not an engine")
        return self._engine

    def close(self) -> None:
        """Give back the driver connections of every thread (the engine stays the caller's)."""
        self._stop.set()
        with self._lock:
            opened, self._opened = self._opened, []
            checkpointer = self._checkpointer
        if checkpointer is not None:
            checkpointer.join(timeout=10)
        for connection in opened:
            with contextlib.suppress(Exception):
                connection.close()
        self._local = threading.local()

    def remember_cards(self, service_id: str, rules: Mapping[str, str]) -> None:
        """Keep the rule of each card uuid (already known uuids are left as they are)."""
        if not rules:
            return
        now = self._clock()
        rows = [(u, service_id, r, now) for u, r in rules.items()]

        def work(connection: Any) -> None:
            cursor = connection.cursor()
            try:
                if self._dialect not in ("sqlite", "postgresql"):
                    fresh = []
                    for row in rows:
                        cursor.execute(self._sql["card_rule"], (row[0],))
                        if cursor.fetchone() is None:
                            fresh.append(row)
                    rows[:] = fresh
                if rows:
                    cursor.executemany(self._sql["insert_card"], rows)
            finally:
                cursor.close()

        try:
            self._run(work)
        except self._errors as exc:  # feedback then counts without its rule; never fatal
            log.warning("cds: card rules not stored (%s)", type(exc).__name__)

    def card_rule(self, uuid: str) -> tuple[str, str] | None:
        """(service id, rule) of a card this service returned, or None."""

        def work(connection: Any) -> Any:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql["card_rule"], (uuid,))
                return cursor.fetchone()
            finally:
                cursor.close()

        try:
            row = self._run(work)
        except self._errors as exc:
            log.warning("cds: card rule not read (%s)", type(exc).__name__)
            return None
        return (str(row[0]), str(row[1])) if row is not None else None

    def _maybe_purge(self, now: float) -> None:
        with self._lock:
            if now - self._last_purge < self._purge_every:
                return
            self._last_purge = now

        def work(connection: Any) -> None:
            _rowcount(connection, self._sql["purge_tokens"], (now,))
            _rowcount(connection, self._sql["purge_cards"], (self._clock() - self._retention,))

        try:
            self._run(work)
        except self._errors as exc:
            log.warning("cds: purge skipped (%s)", type(exc).__name__)


def _rowcount(connection: Any, statement: str, values: tuple[Any, ...]) -> int:
    """Run one statement on a new cursor; the rows it changed."""
    cursor = connection.cursor()
    try:
        cursor.execute(statement, values)
        return int(cursor.rowcount)
    finally:
        cursor.close()
