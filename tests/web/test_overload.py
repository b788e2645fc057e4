"""Degrade, don't collapse: when the bound is full the app answers 503 with Retry-After at once,
`/healthz` and `/readyz` still answer, a request past its deadline gets 503, nothing is a 500,
and every answer carries a request id."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.web import create_app
from clepath.web.logs import JsonFormatter, RequestIdFilter
from clepath.web.overload import LoadShedder
from tests.store.conftest import FAST_HASHER
from tests.web._async import run_async
from tests.web.conftest import sqlite_template

__all__ = ["sqlite_template"]

BASE = "http://127.0.0.1"


@pytest.fixture
def small_app(
    sqlite_template: Path, tmp_path: Path, kb: KnowledgeBase
) -> Iterator[tuple[FastAPI, asyncio.Event]]:
    """The app with room for one running request and one waiting for 1 s, a deadline of
    3 s, and a test route that holds its slot until released."""
    shutil.copy(sqlite_template, tmp_path / "clepath.db")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'clepath.db'}", secret_key="k",
                        max_concurrency=1, max_queue=1, queue_seconds=1.0,
                        request_timeout_seconds=3.0)
    app = create_app(settings, knowledge=kb, password_hasher=FAST_HASHER)
    release = asyncio.Event()

    @app.get("/api/hold-for-test")
    async def hold() -> dict[str, str]:
        await release.wait()
        return {"held": "yes"}

    try:
        yield app, release
    finally:
        app.state.clepath.close()


async def _until(app: FastAPI, running: int, waiting: int) -> None:
    """Wait (up to 5 s) until the app's shedder has this many requests running and waiting."""
    for _ in range(500):
        layer: object = app.middleware_stack
        while layer is not None and not isinstance(layer, LoadShedder):
            layer = getattr(layer, "app", None)
        if isinstance(layer, LoadShedder) and (layer.in_flight, layer._waiting) == (  # noqa: SLF001
            running, waiting
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the requests did not reach the shedder")


async def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


def test_full_app_sheds_fast_and_stays_healthy(
    small_app: tuple[FastAPI, asyncio.Event],
) -> None:
    """One request holds the only slot and one waits: the third gets 503 + Retry-After as
    problem details, `/healthz` and `/readyz` answer 200, the waiter is shed after its 1 s,
    and once released the holder completes with 200."""
    app, release = small_app

    async def scenario() -> tuple[list[int], httpx.Response, int, int, int]:
        async with await _client(app) as client:
            holder = asyncio.create_task(client.get("/api/hold-for-test"))
            await _until(app, 1, 0)
            waiter = asyncio.create_task(client.get("/api/hold-for-test"))
            await _until(app, 1, 1)
            shed = await client.get("/api/hold-for-test")
            live = (await client.get("/healthz")).status_code
            ready = (await client.get("/readyz")).status_code
            waited = await waiter
            release.set()
            held = await holder
            return [held.status_code, waited.status_code], shed, live, ready, (
                await client.get("/healthz")
            ).status_code

    codes, shed, live, ready, after = run_async(scenario)

    assert [200, 503] == codes
    assert 503 == shed.status_code
    assert "1" == shed.headers["retry-after"]
    assert "application/problem+json" == shed.headers["content-type"]
    assert 503 == shed.json()["status"]
    assert (200, 200, 200) == (live, ready, after)


def test_a_request_past_its_deadline_gets_503_not_500(
    small_app: tuple[FastAPI, asyncio.Event],
) -> None:
    """A request still running after the 3 s deadline is answered 503 with Retry-After."""
    app, _release = small_app

    async def scenario() -> httpx.Response:
        async with await _client(app) as client:
            return await client.get("/api/hold-for-test")

    answer = run_async(scenario)

    assert (503, "1") == (answer.status_code, answer.headers["retry-after"])


def test_pages_are_shed_with_plain_text(small_app: tuple[FastAPI, asyncio.Event]) -> None:
    """A page request beyond the bound gets a short plain-text 503, never a stack trace."""
    app, release = small_app

    async def scenario() -> httpx.Response:
        async with await _client(app) as client:
            holder = asyncio.create_task(client.get("/api/hold-for-test"))
            await _until(app, 1, 0)
            waiter = asyncio.create_task(client.get("/api/hold-for-test"))
            await _until(app, 1, 1)
            page = await client.get("/login")
            release.set()
            await asyncio.gather(holder, waiter)
            return page

    page = run_async(scenario)

    assert 503 == page.status_code
    assert page.text.startswith("clepath is busy")


def test_every_answer_carries_a_request_id(small_app: tuple[FastAPI, asyncio.Event]) -> None:
    """A caller's plain X-Request-ID is echoed; a hostile one is replaced by a new hex id."""
    app, _release = small_app

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        async with await _client(app) as client:
            kept = await client.get("/healthz", headers={"X-Request-ID": "lb-0123456789"})
            replaced = await client.get("/healthz", headers={"X-Request-ID": "x\r\nSet-Cookie"})
            return kept, replaced

    kept, replaced = run_async(scenario)

    assert "lb-0123456789" == kept.headers["x-request-id"]
    assert 32 == len(replaced.headers["x-request-id"])


def test_json_log_line_carries_route_status_and_request_id() -> None:
    """The JSON formatter writes one object with the route template, status and request id."""
    record = logging.LogRecord("clepath.web", logging.INFO, __file__, 1, "%s %s %s", (
        "GET", "/patients/{patient_id}", 200), None)
    record.__dict__.update(route="/patients/{patient_id}", status=200)
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))

    assert ("GET /patients/{patient_id} 200", "/patients/{patient_id}", 200, "-") == (
        entry["message"], entry["route"], entry["status"], entry["request_id"])
