"""Sign-in rate limiting: after N failures within a window, a name or address waits.

Failures are counted per username and per client address, in memory (one server process);
a success clears the username's count. The limits come from the settings
(`CLEPATH_LOGIN_ATTEMPTS`, `CLEPATH_LOGIN_WINDOW_MINUTES`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Counts failed sign-ins per key and says how long a key must wait."""

    def __init__(
        self, attempts: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._attempts = attempts
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self._window:
            times.popleft()
        return times

    def wait_seconds(self, keys: Iterable[str]) -> float:
        """Seconds until any of `keys` may try again (0 when none is blocked)."""
        now = self._clock()
        with self._lock:
            waits = [
                self._window - (now - times[0])
                for key in keys
                if len(times := self._recent(key, now)) >= self._attempts
            ]
        return max(waits, default=0.0)

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failed sign-in against each key."""
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        """Forget the failures of one key (the username that just signed in)."""
        with self._lock:
            self._failures.pop(key, None)
