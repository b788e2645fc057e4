"""Degrade, don't collapse: bounded concurrency, a fast 503 when full, and a request deadline.

Why it is needed (measured with `benchmarks/bench_overload.py`, one worker, SQLite): without a
bound, uvicorn accepts every connection and each request waits for one of the 40 threads of
the thread pool and then for one of the 15 database connections of SQLAlchemy's pool. Offered
twice its capacity, the app answered almost nothing (the queue grew faster than it drained;
requests whose clients had long given up were still computed), the connection pool's 30 s
`TimeoutError` turned into 500s, even the health check starved, and the app stayed
unreachable long after the load stopped.

`LoadShedder` lets at most `max_concurrency` requests run at once (4 by default: the work is
CPU-bound under one GIL, and with 4 rather than 8 the benchmark completed 72 % instead of 59 %
of capacity at 5x and `/healthz` p99 fell from ~350 to ~160 ms); up to `max_queue` more wait
at most `queue_seconds` for a turn; anything beyond is answered at once with `503` and
`Retry-After`, costing the server almost nothing. A request that runs longer than
`request_timeout_seconds` is cancelled at its next await and answered with 503 if nothing was
sent yet. `/healthz` and `/readyz` bypass the bound, so a load balancer sees a live, ready app
that is shedding load rather than a dead one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["EXEMPT_PATHS", "LoadShedder", "ShedPolicy", "busy_response"]

log = logging.getLogger("clepath.web")

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})


@dataclass(frozen=True)
class ShedPolicy:
    """How many requests run at once, how many may wait and for how long, and the deadline."""

    max_concurrency: int = 4
    max_queue: int = 16
    queue_seconds: float = 1.0
    request_timeout_seconds: float = 30.0
    retry_after_seconds: int = 1


async def busy_response(scope: Scope, send: Send, retry_after: int, why: str) -> None:
    """A small 503 with `Retry-After`: problem details for the API, plain text for pages."""
    path = str(scope.get("path", ""))
    if path.startswith("/api/"):
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": f"clepath is {why}; retry in {retry_after} s.",
            }
        ).encode()
        content_type = b"application/problem+json"
    else:
        body = f"clepath is {why}; please retry in {retry_after} s.".encode()
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class LoadShedder:
    """Pure ASGI middleware: a bounded number of requests in flight, a bounded short queue."""

    def __init__(self, app: ASGIApp, policy: ShedPolicy | None = None) -> None:
        self.app = app
        self.policy = policy or ShedPolicy()
        self._slots = asyncio.Semaphore(self.policy.max_concurrency)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting = 0
        self.in_flight = 0  # requests running now
        self.shed = 0  # requests answered 503 since start

    def _bind(self) -> None:
        # A semaphore belongs to one event loop; tests start one loop per test client.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._slots = asyncio.Semaphore(self.policy.max_concurrency)
            self._waiting = self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        policy = self.policy
        self._bind()
        if self._slots.locked():
            if self._waiting >= policy.max_queue:
                self.shed += 1
                await busy_response(scope, send, policy.retry_after_seconds, "busy")
                return
            self._waiting += 1
            try:
                await asyncio.wait_for(self._slots.acquire(), policy.queue_seconds)
            except TimeoutError:
                self.shed += 1
                await busy_response(scope, send, policy.retry_after_seconds, "busy")
                return
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        started = {"sent": False}

        async def tracked(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                started["sent"] = True
            await send(message)

        self.in_flight += 1
        deadline = asyncio.timeout(policy.request_timeout_seconds)
        try:
            async with deadline:
                await self.app(scope, receive, tracked)
        except TimeoutError:
            if not deadline.expired():
                raise
            log.warning(
                "request over %.0f s deadline: %s", policy.request_timeout_seconds,
                scope.get("method"),
            )
            if not started["sent"]:
                await busy_response(scope, send, policy.retry_after_seconds, "taking too long")
            else:
                raise
        finally:
            self.in_flight -= 1
            self._slots.release()
