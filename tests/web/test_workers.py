"""`clepath serve --workers 2`: two processes behave as one server. A sign-in form fetched from
one worker is accepted by the other (one secret key), and failed sign-ins add up across them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

_TOKEN = re.compile(r'name="signin_token" value="([^"]+)"')
_PASSWORD = re.compile(r"password '([^']+)'")
_LOGS: list[Path] = []


@dataclass
class Server:
    base: str
    password: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real command, two workers, a fresh SQLite file with the demo user."""
    folder = tmp_path_factory.mktemp("web-workers")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
           "CLEPATH_DATABASE_URL": f"sqlite:///{folder / 'clepath.db'}"}
    env.pop("CLEPATH_SECRET_KEY", None)
    log_path = folder / "serve.log"
    _LOGS.clear()
    _LOGS.append(log_path)
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "clepath.cli.main", "serve", "--port", str(port),
         "--workers", "2"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve did not start: " + log_path.read_text(errors="replace"))
            time.sleep(0.3)
        time.sleep(3)  # the second worker finishes its start-up
        found = _PASSWORD.search(log_path.read_text(errors="replace"))
        assert found is not None
        yield Server(base, found.group(1))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _sign_in(server: Server, username: str, password: str) -> int:
    """The form from one connection, posted on a new one; the answer's status."""
    with httpx.Client(base_url=server.base) as first:
        page = first.get("/login")
        cookies = dict(first.cookies)
    token = _TOKEN.search(page.text)
    assert token is not None
    with httpx.Client(base_url=server.base, cookies=cookies) as second:
        answer = second.post("/login", data={"signin_token": token.group(1),
                                             "username": username, "password": password})
    return answer.status_code


class TestTwoWorkers:
    def test_a_form_from_either_worker_is_accepted_by_either(self, server: Server) -> None:
        """Eight sign-ins, each form fetched and posted on different connections: all pass."""
        assert [303] * 8 == [_sign_in(server, "demo", server.password) for _ in range(8)]

    # Runs last in this module: its failures also pause the loopback address.
    def test_failures_add_up_across_workers(self, server: Server) -> None:
        """Five wrong passwords over new connections, then a pause, even for the right one."""
        codes = [_sign_in(server, "Demo-typo", "wrong") for _ in range(5)]

        assert ([401] * 5, 429) == (codes, _sign_in(server, "demo-typo", "wrong"))


class TestWorkerLogs:
    def test_every_worker_writes_json_request_lines(self, server: Server) -> None:
        """With two workers, each request is logged as one JSON line naming its route,
        status and request id (the id also sent back in `X-Request-ID`)."""
        import json

        sent = [httpx.get(f"{server.base}/healthz", headers={"X-Request-ID": f"probe-{i:04d}"})
                for i in range(6)]
        time.sleep(1)
        folder_log = next(iter(_LOGS))
        lines = [json.loads(line) for line in folder_log.read_text().splitlines()
                 if line.startswith("{")]
        logged = {entry["request_id"] for entry in lines if entry.get("route") == "/healthz"}

        assert [f"probe-{i:04d}" for i in range(6)] == [r.headers["x-request-id"] for r in sent]
        assert {f"probe-{i:04d}" for i in range(6)} <= logged
