"""Sign-in throttling in the database: after N failures within a window, a name or address
waits, whichever server process it reaches.

Failures are counted per key (`user:<name>`, `address:<ip>`) as rows of `login_failures`;
`wait_seconds` tells how long until the oldest failure in the window leaves it once a key has
reached the limit; a success clears the username's failures. Rows older than the window are
deleted as new failures arrive. The limits come from the settings (`CLEPATH_LOGIN_ATTEMPTS`,
`CLEPATH_LOGIN_WINDOW_MINUTES`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from sqlalchemy import Engine, delete, func, insert, select

from clepath.store.tables import LoginFailureRow

__all__ = ["DatabaseLoginThrottle"]

_FAILURES = LoginFailureRow.__table__
_MAX_KEY = 200


def _key(text: str) -> str:
    return text[:_MAX_KEY]


class DatabaseLoginThrottle:
    """Counts failed sign-ins per key in the database and says how long a key must wait."""

    def __init__(
        self,
        engine: Engine,
        attempts: int,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._attempts = attempts
        self._window = window_seconds
        self._clock = clock

    def wait_seconds(self, keys: Iterable[str]) -> float:
        """Seconds until every one of `keys` may try again (0 when none is blocked)."""
        now = self._clock()
        wanted = [_key(k) for k in keys]
        query = (
            select(_FAILURES.c.key, func.count(), func.min(_FAILURES.c.at))
            .where(_FAILURES.c.key.in_(wanted), _FAILURES.c.at > now - self._window)
            .group_by(_FAILURES.c.key)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        waits = [
            self._window - (now - float(oldest))
            for _key_text, count, oldest in rows
            if int(count) >= self._attempts
        ]
        return max(waits, default=0.0)

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failed sign-in against each key (and forget failures out of the window)."""
        now = self._clock()
        with self._engine.begin() as connection:
            connection.execute(delete(_FAILURES).where(_FAILURES.c.at <= now - self._window))
            connection.execute(insert(_FAILURES), [{"key": _key(k), "at": now} for k in keys])

    def succeeded(self, key: str) -> None:
        """Forget the failures of one key (the username that just signed in)."""
        with self._engine.begin() as connection:
            connection.execute(delete(_FAILURES).where(_FAILURES.c.key == _key(key)))
