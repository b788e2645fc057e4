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
`purge_every_s` per process. The token-id insert runs on every call, so it uses one driver
connection per thread, kept open, with a fixed statement (about 0.07 ms on SQLite against
0.4 ms through a pooled SQLAlchemy transaction); a broken connection is replaced once, and any
other database error refuses the token. That connection must not wait for the disk on the
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
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from clepath.store.tables import CdsCardRow, CdsTokenUseRow

__all__ = ["DatabaseCdsState"]

log = logging.getLogger("clepath.store.cdsstate")
_TOKENS = CdsTokenUseRow.__table__
_CARDS = CdsCardRow.__table__


class DatabaseCdsState:
    """Replay protection and card rules in the app's database (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        *,
        purge_every_s: float = 60.0,
        card_retention_s: float = 30 * 86_400.0,
        checkpoint_every_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._checkpoint_every = checkpoint_every_s
        self._checkpointer: threading.Thread | None = None
        self._stop = threading.Event()
        self._purge_every = purge_every_s
        self._retention = card_retention_s
        self._clock = clock
        self._last_purge = float("-inf")
        self._lock = threading.Lock()
        dialect = engine.dialect.name
        self._local = threading.local()
        self._opened: list[Any] = []  # every driver connection of every thread, for close()
        marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._insert_token = (  # fixed table and columns; values are bound parameters
            f"INSERT INTO {_TOKENS.name} (issuer, jti, expires_at) "  # noqa: S608
            f"VALUES ({marker}, {marker}, {marker})")
        dbapi: Any = engine.dialect.dbapi
        self._integrity_error: type[Exception] = dbapi.IntegrityError
        self._driver_error: type[Exception] = dbapi.Error
        self._insert_ignore = {
            "sqlite": lambda: sqlite.insert(_CARDS).on_conflict_do_nothing(),
            "postgresql": lambda: postgresql.insert(_CARDS).on_conflict_do_nothing(),
        }.get(dialect)

    def use(self, iss: str, jti: str, until: float, now: float) -> bool:
        """Record a token id; False for a replay (or when the database cannot be asked)."""
        self._maybe_purge(now)
        try:
            if self._insert_new(iss, jti, until):
                return True
        except (SQLAlchemyError, self._driver_error) as exc:
            log.error("cds: replay check failed (%s); token refused", type(exc).__name__)
            return False
        try:  # the id is known: usable again only if its token has expired
            with self._engine.begin() as connection:
                reused = connection.execute(
                    update(_TOKENS)
                    .where(_TOKENS.c.issuer == iss, _TOKENS.c.jti == jti,
                           _TOKENS.c.expires_at < now)
                    .values(expires_at=until))
            return bool(reused.rowcount == 1)
        except SQLAlchemyError as exc:
            log.error("cds: replay check failed (%s); token refused", type(exc).__name__)
            return False

    def _insert_new(self, iss: str, jti: str, until: float) -> bool:
        """Insert the token id on this thread's driver connection; False if it exists."""
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = self._open_fast()
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(self._insert_token, (iss, jti, until))
                finally:
                    cursor.close()
                connection.commit()
                return True
            except self._integrity_error:
                connection.rollback()
                return False
            except self._driver_error:
                self._local.connection = None
                with contextlib.suppress(Exception):  # already broken; a new one is opened
                    connection.invalidate()
                if attempt == 2:
                    raise
        return False  # pragma: no cover - the loop returns or raises

    def _open_fast(self) -> Any:
        """A driver connection for the token-id insert that does not wait for the disk."""
        connection = self._engine.raw_connection()
        with self._lock:
            self._opened.append(connection)
        cursor = connection.cursor()
        try:
            if self._engine.dialect.name == "postgresql":
                cursor.execute("SET synchronous_commit TO OFF")
            elif self._engine.dialect.name == "sqlite":
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
                    connection = self._engine.raw_connection()
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
        """The engine the state reads and writes through."""
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
        rows = [{"uuid": u, "service_id": service_id, "rule": r, "issued_at": now}
                for u, r in rules.items()]
        try:
            with self._engine.begin() as connection:
                if self._insert_ignore is not None:
                    connection.execute(self._insert_ignore(), rows)
                    return
                known = set(connection.scalars(
                    select(_CARDS.c.uuid).where(_CARDS.c.uuid.in_(list(rules)))))
                fresh = [r for r in rows if r["uuid"] not in known]
                if fresh:
                    connection.execute(insert(_CARDS), fresh)
        except SQLAlchemyError as exc:  # feedback then counts without its rule; never fatal
            log.warning("cds: card rules not stored (%s)", type(exc).__name__)

    def card_rule(self, uuid: str) -> tuple[str, str] | None:
        """(service id, rule) of a card this service returned, or None."""
        try:
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(_CARDS.c.service_id, _CARDS.c.rule).where(_CARDS.c.uuid == uuid)
                ).first()
        except SQLAlchemyError as exc:
            log.warning("cds: card rule not read (%s)", type(exc).__name__)
            return None
        return (str(row[0]), str(row[1])) if row is not None else None

    def _maybe_purge(self, now: float) -> None:
        with self._lock:
            if now - self._last_purge < self._purge_every:
                return
            self._last_purge = now
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(_TOKENS).where(_TOKENS.c.expires_at < now))
                connection.execute(delete(_CARDS).where(
                    _CARDS.c.issued_at < self._clock() - self._retention))
        except SQLAlchemyError as exc:
            log.warning("cds: purge skipped (%s)", type(exc).__name__)
