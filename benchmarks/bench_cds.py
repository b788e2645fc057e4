"""Benchmark: CDS Hooks patient-view latency at 50 concurrent requests on loopback.

Starts the server exactly as `clepath cds serve --workers N` does (`clepath.web.cds_serve`: the
CDS router plus a trivial `/healthz`, N uvicorn worker processes sharing one SQLite file for
replay protection and card rules, each warmed up) in a child process on 127.0.0.1, sends a
bounded number of requests over 50 concurrent keep-alive connections and reports p50, p95, p99
and throughput for:

* `healthz`: the trivial endpoint of the same app (no token, no work): the floor;
* `discovery`: JWT verification and a static document;
* `patient-view (same patient)`: Example 2 with full prefetch, identical each time but for the
  hookInstance (the response cache answers after the first call; the JWT is verified and its
  jti recorded on every call);
* `patient-view (distinct patients)`: a different patientId on every call, so every request
  is parsed, read into a case and assessed in full.

It runs once per EHR token algorithm (default both: RS384, Epic's default, and ES384, the CDS
Hooks sandbox's). Target: patient-view p95 <= 50 ms; the ratio of its p95 to the trivial
endpoint's is printed. Every token is signed before the timed phase (and sent once) so the
client's signing does not compete with the server. The child process is stopped when the run
ends, whatever happens.

Run: PYTHONPATH=src:. .venv/bin/python benchmarks/bench_cds.py --client wrk   (apt-get install wrk)
     .venv/bin/python benchmarks/bench_cds.py [--requests 2000] [--workers 2] [--alg RS384]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ISSUER = "https://bench-ehr.example.org"
TARGET_P95_MS = 50.0


def _serve(port: int, spec: str, workers: int, loop: str = "asyncio") -> None:
    """Child process: `clepath cds serve`'s app (clepath.web.cds_serve) on 127.0.0.1:port,
    quiet (no access log), with `workers` processes sharing one SQLite database, on the
    asyncio event loop as `clepath cds serve` runs it (`--loop uvloop` to compare)."""
    import uvicorn

    from clepath.web.cds_serve import ENV

    os.environ[ENV] = spec
    uvicorn.run("clepath.web.cds_serve:app_from_env", factory=True, host="127.0.0.1",
                port=port, workers=workers, log_level="warning", access_log=False,
                loop=loop)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the CDS server did not start")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))
    return ordered[index]


class _Request:
    """One prepared HTTP/1.1 request (bytes ready to write on a keep-alive connection)."""

    def __init__(self, method: str, path: str, headers: dict[str, str] | None = None,
                 body: bytes = b"") -> None:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: _Request) -> int:
    """Send one request and read the whole response; its status code."""
    writer.write(request.data)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                   if line.lower().startswith("content-length:")), 0)
    if length:
        await reader.readexactly(length)
    return status


async def _run(port: int, requests: list[_Request], concurrency: int
               ) -> tuple[list[float], float, int]:
    """Send the requests over `concurrency` keep-alive connections; latencies (ms), wall time
    (s) and the number of non-200 answers. A minimal HTTP/1.1 client, so that the client's own
    overhead does not dominate what is measured."""
    queue: asyncio.Queue[_Request] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                request = queue.get_nowait()
                started = time.perf_counter()
                status = await _exchange(reader, writer, request)
                latencies.append((time.perf_counter() - started) * 1000)
                failures += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, failures


@dataclass(frozen=True)
class _Scenario:
    """What one scenario sends: method, path, the token audience (None: no token) and the
    JSON bodies used in turn (none for a GET)."""

    method: str
    path: str
    aud: str | None
    bodies: tuple[bytes, ...] = ()


def _scenarios(base: str, body: dict[str, Any], n: int) -> dict[str, _Scenario]:
    service = "/cds-services/clepath-cle-summary"

    def patient_view(patient_id: str | None) -> bytes:
        """One call: a new hookInstance every time, as an EHR sends."""
        payload = json.loads(json.dumps(body))
        payload["hookInstance"] = str(uuid.uuid4())
        if patient_id:
            payload["context"]["patientId"] = patient_id
        return json.dumps(payload).encode()

    return {
        "healthz (trivial)": _Scenario("GET", "/healthz", None),
        "discovery (JWT only)": _Scenario("GET", "/cds-services", f"{base}/cds-services"),
        "patient-view (same patient)": _Scenario(
            "POST", service, f"{base}{service}", tuple(patient_view(None) for _ in range(n))),
        "patient-view (distinct patients)": _Scenario(
            "POST", service, f"{base}{service}",
            tuple(patient_view(f"p{i}") for i in range(n))),
    }


def _requests(scenario: _Scenario, signer: Any, n: int) -> list[_Request]:
    """n prepared requests, each with its own freshly signed token."""
    out = []
    for i in range(n):
        headers = signer.bearer(scenario.aud) if scenario.aud else None
        body = scenario.bodies[i % len(scenario.bodies)] if scenario.bodies else b""
        out.append(_Request(scenario.method, scenario.path, headers, body))
    return out


def _run_python(port: int, scenario: _Scenario, signer: Any, n: int, concurrency: int
                ) -> dict[str, float]:
    """The scenario driven by the built-in asyncio client (same process as the signing)."""
    asyncio.run(_run(port, _requests(scenario, signer, min(50, n)), concurrency))  # warm-up
    latencies, wall, failures = asyncio.run(
        _run(port, _requests(scenario, signer, n), concurrency))
    return {"n": len(latencies), "failures": failures,
            "p50_ms": _percentile(latencies, 0.50), "p95_ms": _percentile(latencies, 0.95),
            "p99_ms": _percentile(latencies, 0.99), "max_ms": max(latencies),
            "per_s": len(latencies) / wall}


def _run_wrk(port: int, scenario: _Scenario, signer: Any, n: int, concurrency: int,
             folder: str) -> dict[str, float]:
    """The scenario driven by wrk (one thread, `concurrency` connections), stopped after n
    responses; every token signed beforehand and sent once."""
    script = str(Path(__file__).resolve().parent / "bench_cds.lua")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk), or use --client python")
    bodies = os.path.join(folder, "bodies.jsonl")
    Path(bodies).write_bytes(b"\n".join(scenario.bodies) + b"\n" if scenario.bodies else b"")

    def once(count: int) -> dict[str, float]:
        tokens = "-"
        if scenario.aud:
            tokens = os.path.join(folder, "tokens.txt")
            extra = count + concurrency + 10  # responses still in flight when the run stops
            Path(tokens).write_text("\n".join(signer.token(scenario.aud) for _ in range(extra))
                                    + "\n", encoding="ascii")
        command = [wrk, "-t1", f"-c{concurrency}", "-d30s", "--timeout", "10s", "-s", script,
                   f"http://127.0.0.1:{port}", "--", scenario.method, scenario.path, tokens,
                   bodies if scenario.bodies else "-", str(count)]
        launched = time.monotonic()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
        try:
            assert proc.stdout is not None
            seen = []
            for line in iter(proc.stdout.readline, ""):
                seen.append(line)
                if line.strip() == "stopped":
                    # wrk installs its SIGINT handler just after starting its thread: give a
                    # very short run time to get there; then wrk prints its summary and exits
                    time.sleep(max(0.0, 0.5 - (time.monotonic() - launched)))
                    proc.send_signal(signal.SIGINT)
                    break
            seen += proc.stdout.read().splitlines()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        last = [x for x in seen if x.startswith("{")]
        if not last:
            raise RuntimeError("wrk gave no summary")
        return dict(json.loads(last[-1]))

    once(min(50, n))  # warm-up, not timed
    r = once(n)
    r["per_s"] = r["n"] / r.pop("seconds")
    r["failures"] += r.pop("errors")
    return r


def _request_body() -> dict[str, Any]:
    from clepath.casefile import load_case
    from clepath.fhir.cds import harness as h
    from clepath.fhir.export import case_to_bundle
    from clepath.fhir.importer import collect_resources
    from clepath.knowledge.loader import load_knowledge

    kb = load_knowledge()
    demo = Path(__file__).resolve().parent.parent / "src" / "clepath" / "demo"
    case = load_case(demo / "demo-scle-0001.yaml", kb)
    resources = collect_resources(case_to_bundle(case, kb, include_ivig=False).bundle)
    context = {"userId": "Practitioner/example", "patientId": "bench-patient"}
    prefetch = h.prefetch_for(resources, context)
    return h.request_body("patient-view", patient_id="bench-patient", prefetch=prefetch)


def _run_server(args: argparse.Namespace, alg: str, n: int, folder: str
                ) -> dict[str, dict[str, float]]:
    """Start the server trusting a new `alg` key, run every scenario, stop the server."""
    from clepath.fhir.cds import harness as h
    from clepath.store import upgrade
    from clepath.web.cds_serve import serve_spec

    key = h.generate_key(alg)
    signer = h.Signer(ISSUER, key)
    run = os.path.join(folder, alg)
    os.makedirs(run)
    jwks_path = os.path.join(run, "jwks.json")
    Path(jwks_path).write_text(json.dumps(h.jwks(key)), encoding="utf-8")
    database = f"sqlite:///{os.path.join(run, 'cds.db')}"
    upgrade(database)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    spec = serve_spec(base_url=base, issuers=[{"iss": ISSUER, "jwks_file": jwks_path}],
                      database_url=database)
    server = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, __file__, "--serve", str(port), spec, str(args.workers), args.loop],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    results: dict[str, dict[str, float]] = {}
    try:
        _wait_ready(base)
        body = _request_body()
        for name, scenario in _scenarios(base, body, n).items():
            if args.client == "wrk":
                results[name] = _run_wrk(port, scenario, signer, n, args.concurrency, run)
            else:
                results[name] = _run_python(port, scenario, signer, n, args.concurrency)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    floor = results["healthz (trivial)"]["p95_ms"]
    for name in ("patient-view (same patient)", "patient-view (distinct patients)"):
        results[name]["ratio_p95_to_trivial"] = results[name]["p95_ms"] / floor
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="per scenario (max 20000)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, choices=range(1, 9),
                        help="uvicorn worker processes sharing one SQLite database (default 2: "
                             "one per core of the reference machine)")
    parser.add_argument("--alg", choices=("RS384", "ES384"), action="append",
                        help="the EHR's token algorithm (repeatable; default both: RS384 is "
                             "Epic's default, ES384 the CDS Hooks sandbox's)")
    parser.add_argument("--client", choices=("python", "wrk"), default="python",
                        help="load generator: the built-in asyncio client, or wrk (C; "
                             "apt-get install wrk), which leaves the server more CPU")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="the server's event loop (`clepath cds serve` runs asyncio)")
    parser.add_argument("--serve", nargs=4, metavar=("PORT", "SPEC", "WORKERS", "LOOP"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(int(args.serve[0]), args.serve[1], int(args.serve[2]), args.serve[3])
        return 0
    n = max(1, min(args.requests, 20_000))
    algorithms = args.alg or ["RS384", "ES384"]
    runs: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for alg in algorithms:
            runs[alg] = _run_server(args, alg, n, folder)
    if args.json:
        print(json.dumps({"concurrency": args.concurrency, "requests": n,
                          "workers": args.workers, "client": args.client,
                          "target_p95_ms": TARGET_P95_MS, "results": runs}, indent=2))
        return 0
    print(f"loopback, {args.workers} uvicorn worker(s) sharing one SQLite database, "
          f"{args.concurrency} concurrent clients ({args.client}), {n} requests per scenario, "
          f"{os.cpu_count()} CPUs")
    for alg, results in runs.items():
        print(f"-- EHR tokens signed {alg}")
        for name, r in results.items():
            ratio = (f"   x{r['ratio_p95_to_trivial']:.1f} trivial p95"
                     if "ratio_p95_to_trivial" in r else "")
            print(f"{name:<34} p50 {r['p50_ms']:7.1f}  p95 {r['p95_ms']:7.1f}  p99 "
                  f"{r['p99_ms']:7.1f}  max {r['max_ms']:7.1f} ms  {r['per_s']:7.0f}/s  "
                  f"failures {r['failures']:.0f}{ratio}")
        for name in ("patient-view (same patient)", "patient-view (distinct patients)"):
            p95 = results[name]["p95_ms"]
            ok = results[name]["n"] > 0 and not results[name]["failures"]
            verdict = "met" if ok and p95 <= TARGET_P95_MS else "NOT met"
            print(f"target p95 <= {TARGET_P95_MS:g} ms, {alg}, {name}: {verdict} ({p95:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
