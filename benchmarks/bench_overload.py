"""Benchmark: does the web app degrade instead of collapsing under overload?

A real server (`clepath serve`, one worker unless `--workers`, SQLite in a temporary folder)
runs on a random loopback port with the demo patient. An asyncio client signs in and measures:

1. capacity: completed pages/s with a few requests always in flight (closed loop);
2. for 1x, 2x and 5x that capacity, an open-loop load (requests start on schedule whether or
   not earlier ones have answered) for `--seconds` (60 by default) on the patient page,
   while a second client probes `/healthz` every 100 ms;
3. after each load, the time until the patient page answers 200 again (recovery).

Reported per load: completed (200) per second and as a share of capacity, p50/p95/p99 of
completed requests, the share of fast 503s (with Retry-After), other errors by kind (statuses,
timeouts, connection errors, cut-off responses: a body shorter than its Content-Length or a
connection closed mid-response), `/healthz` p99 and the recovery time. The machine's load
average is printed with each run (figures are noisy on a shared machine; prefer the ratios).

Goals: completed/s at 5x >= 80 % of capacity, /healthz p99 < 100 ms, recovery < 5 s, no error
but 503, 0 cut-off responses. Everything stays on 127.0.0.1 and every run is bounded.

Run: .venv/bin/python benchmarks/bench_overload.py [--seconds 60] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "overload benchmark password"  # noqa: S105 - a throwaway user in a temporary db
MAX_SECONDS = 120.0
CLIENT_TIMEOUT_S = 10.0
FACTORS = (1.0, 2.0, 5.0)
HEALTH_PATH = os.environ.get("CLEPATH_BENCH_HEALTH_PATH", "/healthz")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


@dataclass
class Outcome:
    """What one load step produced."""

    latencies_ms: list[float] = field(default_factory=list)
    fast_503_ms: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    health_ms: list[float] = field(default_factory=list)
    health_failures: int = 0


def _prepare(folder: Path) -> tuple[str, int]:
    """A migrated SQLite database with the demo patient and a clinician; (url, patient id)."""
    from clepath.casefile import load_case
    from clepath.cli.common import demo_path
    from clepath.knowledge.loader import load_knowledge
    from clepath.store import Store, make_engine, session_factory, upgrade

    url = f"sqlite:///{folder / 'overload.db'}"
    upgrade(url)
    kb = load_knowledge()
    engine = make_engine(url)
    try:
        with Store.open(session_factory(engine), kb) as store:
            store.users.add("bench", PASSWORD, "clinician")
            patient_id = store.patients.add_case(load_case(demo_path("seed"), kb))
            store.commit()
    finally:
        engine.dispose()
    return url, patient_id


class _Pool:
    """A minimal HTTP/1.1 keep-alive client on raw asyncio streams: far cheaper per request
    than a full client library, so the load generator is not the bottleneck."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.keepalive_retries = 0

    async def get(self, path: str) -> tuple[int, dict[str, str], int, int | None]:
        """(status, headers, body bytes read, Content-Length) of one GET."""
        if self.idle:
            reader, writer = self.idle.pop()
            reused = True
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            reused = False
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Cookie: {self.cookie}\r\n\r\n".encode()
            )
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                partial = getattr(exc, "partial", b"")
                if reused and not partial:
                    # The server closed this idle keep-alive connection just before we reused
                    # it (uvicorn closes idle ones after 5 s): nothing was lost; like every
                    # HTTP client, retry a GET once on a new connection.
                    writer.close()
                    self.keepalive_retries += 1
                    return await self.get(path)
                raise
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers[key.strip().lower()] = value.strip()
            length = int(headers["content-length"]) if "content-length" in headers else None
            if length is None:
                raise asyncio.IncompleteReadError(b"", None)  # chunked: not used by clepath
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status, headers, len(body), length

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _one(pool: _Pool, path: str, out: Outcome, counted: bool) -> None:
    started = time.perf_counter()
    try:
        status, headers, _read, _length = await asyncio.wait_for(
            pool.get(path), CLIENT_TIMEOUT_S
        )
        elapsed = (time.perf_counter() - started) * 1000
        if status == 200:
            if counted:
                out.latencies_ms.append(elapsed)
            out.kinds["200"] += 1
        elif status == 503 and headers.get("retry-after"):
            out.fast_503_ms.append(elapsed)
            out.kinds["503 + Retry-After"] += 1
        else:
            out.kinds[str(status)] += 1
    except TimeoutError:
        out.kinds["client timeout"] += 1
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        out.kinds["cut off (short response)"] += 1
    except ConnectionResetError:
        out.kinds["cut off (connection reset)"] += 1
    except OSError as exc:
        out.kinds[f"connection ({type(exc).__name__})"] += 1


async def _probe_health(base: str, out: Outcome, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=CLIENT_TIMEOUT_S) as client:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = await client.get(HEALTH_PATH)
                if response.status_code == 200:
                    out.health_ms.append((time.perf_counter() - started) * 1000)
                else:
                    out.health_failures += 1
            except httpx.TransportError:
                out.health_failures += 1
            await asyncio.sleep(0.1)


def _pool(base: str, cookies: httpx.Cookies) -> _Pool:
    host, port = base.removeprefix("http://").split(":")
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return _Pool(host, int(port), cookie)


async def _capacity(base: str, cookies: httpx.Cookies, path: str, seconds: float) -> float:
    """Completed pages per second with four requests always in flight."""
    out = Outcome()
    deadline = time.perf_counter() + seconds
    pool = _pool(base, cookies)

    async def loop() -> None:
        while time.perf_counter() < deadline:
            await _one(pool, path, out, True)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(4)))
    pool.close()
    return out.kinds["200"] / (time.perf_counter() - started)


async def _open_loop(
    base: str, cookies: httpx.Cookies, path: str, rate: float, seconds: float
) -> tuple[Outcome, float, float]:
    """(outcome, completed/s, seconds to recover after the load stopped)."""
    out = Outcome()
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe_health(base, out, stop))
    tasks: list[asyncio.Task[None]] = []
    pool = _pool(base, cookies)
    started = time.perf_counter()
    count = int(rate * seconds)
    for index in range(count):
        due = started + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(pool, path, out, True)))
    load_end = time.perf_counter()
    # Recovery: a fresh connection asks for the page until it gets 200 (bounded).
    recovered = float("nan")
    while time.perf_counter() - load_end < 60:
        fresh = _pool(base, cookies)
        try:
            status, *_ = await asyncio.wait_for(fresh.get(path), 2.0)
            if status == 200:
                recovered = time.perf_counter() - load_end
                break
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            fresh.close()
        await asyncio.sleep(0.1)
    await asyncio.gather(*tasks)
    window = time.perf_counter() - started
    pool.close()
    stop.set()
    await probe
    return out, out.kinds["200"] / max(window, seconds), recovered


async def _sign_in(base: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post(
            "/api/session", json={"username": "bench", "password": PASSWORD}
        )
        response.raise_for_status()
        return client.cookies


def _wait_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(base + HEALTH_PATH, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start within 60 s")


async def _run(base: str, path: str, seconds: float, factors: tuple[float, ...]) -> int:
    cookies = await _sign_in(base)
    await _capacity(base, cookies, path, 3.0)  # warm-up
    capacity = await _capacity(base, cookies, path, min(15.0, seconds))
    print(f"capacity: {capacity:.1f} completed/s (4 in flight; {_load()})")
    print(f"{'offered':>8} {'req/s':>6} {'done/s':>7} {'of cap':>7} {'p50':>7} {'p95':>7} "
          f"{'p99':>7} {'503s':>6} {'503 p99':>8} {'hz p99':>7} {'recover':>8}  other")
    failed = 0
    for factor in factors:
        rate = capacity * factor
        out, done, recovered = await _open_loop(base, cookies, path, rate, seconds)
        total = sum(out.kinds.values())
        share_503 = out.kinds["503 + Retry-After"] / total if total else 0.0
        other = {k: v for k, v in out.kinds.items() if k not in ("200", "503 + Retry-After")}
        print(
            f"{factor:>7.0f}x {rate:>6.1f} {done:>7.1f} {done / capacity:>7.0%} "
            f"{_pct(out.latencies_ms, .5):>5.0f}ms {_pct(out.latencies_ms, .95):>5.0f}ms "
            f"{_pct(out.latencies_ms, .99):>5.0f}ms {share_503:>6.0%} "
            f"{_pct(out.fast_503_ms, .99):>6.0f}ms {_pct(out.health_ms, .99):>5.0f}ms "
            f"{recovered:>7.1f}s  {dict(other) or '-'}"
            f"{f' healthz failures {out.health_failures}' if out.health_failures else ''}"
        )
        print(f"         ({_load()})")
        if other or out.health_failures:
            failed += 1
        await asyncio.sleep(2)
    return failed


def _event_loop_run(coroutine: Any) -> int:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    result: int = uvloop.run(coroutine)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each load step")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--factors", default=",".join(str(f) for f in FACTORS))
    args = parser.parse_args()
    seconds = max(5.0, min(args.seconds, MAX_SECONDS))
    factors = tuple(float(f) for f in args.factors.split(","))
    with tempfile.TemporaryDirectory(prefix="clepath-overload-") as name:
        url, patient_id = _prepare(Path(name))
        port = _free_port()
        env = dict(os.environ, CLEPATH_LOG_LEVEL="warning")
        env["CLEPATH_SECRET_KEY"] = "overload-bench"  # noqa: S105 - a throwaway server
        command = [
            str(Path(sys.executable).parent / "clepath"), "serve", "--no-demo",
            "--host", "127.0.0.1", "--port", str(port), "--database-url", url,
            "--workers", str(args.workers),
        ]
        log = open(Path(name) / "server.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(  # noqa: S603 - our own command line
            command, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_up(base, process)
            print(f"clepath serve --workers {args.workers}, SQLite, patient page, "
                  f"{seconds:.0f} s per step")
            failed = _event_loop_run(_run(base, f"/patients/{patient_id}", seconds, factors))
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
            tail = (Path(name) / "server.log").read_text(errors="replace").splitlines()[-15:]
            errors = [line for line in tail if "ERROR" in line or "Traceback" in line]
            if errors:
                print("server log (last errors):", *errors, sep="\n  ")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
