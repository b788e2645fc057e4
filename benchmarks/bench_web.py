"""Benchmark: server time of the patient page for a 10-year record. Target: p95 under 150 ms.

A real server (uvicorn) runs on 127.0.0.1 with a fresh SQLite database in a temporary folder,
holding the generated 10-year record (generate.py: 521 labs, 50 therapy courses, 40 CLASI
exams). The page is fetched over loopback; the figure is the server's own time from the
`Server-Timing` header (load the record, assess, write the audit row, render), with the
round trip beside it. Nothing leaves the machine and the run is bounded in count and time.

Run: .venv/bin/python benchmarks/bench_web.py [--runs N]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from generate import ten_year_case  # noqa: E402

from clepath.casefile import parse_case  # noqa: E402
from clepath.knowledge.loader import load_knowledge  # noqa: E402
from clepath.settings import Settings  # noqa: E402
from clepath.store import upgrade  # noqa: E402
from clepath.web import create_app  # noqa: E402

TARGET_MS = 150.0
MAX_RUNS = 500
TIME_LIMIT_S = 120.0
PASSWORD = "benchmark password"  # noqa: S105 - a throwaway user in a temporary database


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _summary(name: str, ms: list[float]) -> str:
    return (f"{name:<34} median {statistics.median(ms):7.2f} ms   p95 {_p95(ms):7.2f} ms   "
            f"max {max(ms):7.2f} ms   (n={len(ms)})")


def _server_ms(response: httpx.Response) -> float:
    match = re.search(r"dur=([0-9.]+)", response.headers.get("server-timing", ""))
    if match is None:
        raise SystemExit("the server sent no Server-Timing header")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    runs = max(5, min(args.runs, MAX_RUNS))
    kb = load_knowledge()
    with tempfile.TemporaryDirectory(prefix="clepath-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        settings = Settings(database_url=url, port=_free_port())
        app = create_app(settings, knowledge=kb)
        with app.state.clepath.store() as store:
            store.users.add("bench", PASSWORD, "viewer")
            patient_id = store.patients.add_case(parse_case(ten_year_case(), kb))
            store.commit()
        server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=settings.port, log_level="warning", access_log=False,
        ))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            return _measure(settings.port, patient_id, runs, server)
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _measure(port: int, patient_id: int, runs: int, server: uvicorn.Server) -> int:
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        signed = client.post("/api/session", json={"username": "bench", "password": PASSWORD})
        signed.raise_for_status()
        path = f"/patients/{patient_id}"
        for _ in range(3):  # warm-up: first use of the unit registry and the templates
            client.get(path).raise_for_status()
        server_ms: list[float] = []
        round_trip_ms: list[float] = []
        stop_at = time.monotonic() + TIME_LIMIT_S
        for _ in range(runs):
            if time.monotonic() > stop_at:
                break
            started = time.perf_counter()
            response = client.get(path)
            round_trip_ms.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            server_ms.append(_server_ms(response))
    print(f"record: 521 labs, 50 therapy courses, 40 CLASI exams, 61 findings; page {path}")
    print(_summary(f"patient page, server (target < {TARGET_MS:.0f})", server_ms))
    print(_summary("patient page, round trip", round_trip_ms))
    p95 = _p95(server_ms)
    print("PASS" if p95 < TARGET_MS else "FAIL", f"server p95 {p95:.2f} ms against "
          f"{TARGET_MS:.0f} ms")
    return 0 if p95 < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
