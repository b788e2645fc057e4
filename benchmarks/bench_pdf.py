"""Benchmark: server time of the printable documents for the demo patient, and the engines
weighed for them (docs/research/pdf-templates.md). Target: the treatment summary under 300 ms
of server time (warm) for the demo patient.

For each engine — `typst` (clepath's template, today's code), `weasyprint` (the same blocks as
HTML + CSS) and `reportlab` (the hand-placed code of commit 3296165, read from git) — a fresh
Python process times, for the demo patient (`make run`'s patient, case-format Example 2) and
the seed case: the first document after start-up (cold; imports timed apart), then each
document `--runs` times (warm p50/p95, wall and CPU), all of it as the web app does it
(assess, timeline or IVIG plan, render); and its peak resident memory. The parent then checks
the fonts (pdffonts: embedded?) and that µ, ≥, ×10⁹/L, ² and ³ come back out of a probe PDF
(pdftotext), adds up the installed size of each engine's Python packages, and times the web
route /patients/{id}/summary.pdf through FastAPI's TestClient (the `Server-Timing` header).
The PDFs are written to test-artefacts/bench-pdf/ for a look. Nothing leaves the machine.

Run: .venv/bin/python benchmarks/bench_pdf.py [--runs 50] [--slow-runs 10]
     [--engines typst,weasyprint,reportlab] [--no-web]
WeasyPrint and reportlab are optional: an engine that is not installed is reported and left
out (`pip install weasyprint reportlab` to measure them again).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

OUT = ROOT / "test-artefacts" / "bench-pdf"
TARGET_MS = 300.0
ENGINES = ("typst", "weasyprint", "reportlab")
PROBE = "46 µg/mL; CLASI fall ≥ 4 points; WBC 3.6 ×10⁹/L; eGFR 90 mL/min/1.73 m²; 1300 /mm³"
PROBE_SYMBOLS = ("µ", "≥", "×10⁹/L", "m²", "mm³")
PACKAGES = {
    "typst": ["typst"],
    "weasyprint": ["weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "pyphen",
                   "fonttools", "pillow", "cffi", "pycparser", "webencodings", "zopfli",
                   "brotli"],
    "reportlab": ["reportlab", "pillow", "charset-normalizer", "rl_accel"],
}
SYSTEM = {"typst": "none", "weasyprint": "pango, harfbuzz, fontconfig (Debian libpango-1.0-0)",
          "reportlab": "none"}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# --- the child: one engine in a fresh process -----------------------------------------------------


Renderers = tuple[Callable[..., bytes], Callable[..., bytes], Callable[[], bytes]]


def _renderers(engine: str) -> Renderers:
    """summary(case, kb), letter(case, kb) and probe() for one engine, as the web app calls
    them (assess, timeline or plan, render)."""
    from clepath.engine.assess import assess
    from clepath.engine.ivig import plan_for_case
    from clepath.engine.timeline import build_timeline
    from clepath.report import pdf

    if engine == "reportlab":
        from _pdf_prototypes import reportlab_module

        rl = reportlab_module()
        if rl is None:
            raise SystemExit("reportlab or commit 3296165 is not available")

        def summary(case: Any, kb: Any) -> bytes:
            out: bytes = rl.treatment_summary_pdf(assess(case, kb),
                                                  timeline=build_timeline(case, kb))
            return out

        def letter(case: Any, kb: Any) -> bytes:
            out: bytes = rl.ivig_prior_auth_pdf(assess(case, kb), plan_for_case(case, kb), kb=kb)
            return out

        def probe() -> bytes:
            out: bytes = rl._build([rl._p(PROBE)], "probe", "probe")
            return out

        return summary, letter, probe

    def typst_summary(case: Any, kb: Any) -> bytes:
        return pdf.treatment_summary_pdf(assess(case, kb), timeline=build_timeline(case, kb),
                                         kb=kb)

    def typst_letter(case: Any, kb: Any) -> bytes:
        return pdf.ivig_prior_auth_pdf(assess(case, kb), plan_for_case(case, kb), kb=kb)

    if engine == "typst":
        return typst_summary, typst_letter, lambda: pdf._build([pdf._p(PROBE)], "probe", "probe")

    from _pdf_prototypes import capture, weasyprint_pdf

    def weasy(build: Callable[[], bytes]) -> bytes:
        return weasyprint_pdf(capture(build))

    return (lambda c, k: weasy(lambda: typst_summary(c, k)),
            lambda c, k: weasy(lambda: typst_letter(c, k)),
            lambda: weasyprint_pdf({"title": "probe", "footer": "probe",
                                    "blocks": [pdf._p(PROBE)]}))


def child(engine: str, runs: int) -> dict[str, Any]:
    """Measure one engine in this (fresh) process."""
    started = time.perf_counter()
    from clepath.casefile import load_case
    from clepath.knowledge.loader import load_knowledge
    from tests.conftest import SCLE_CASE, SEED_CASE

    kb = load_knowledge()
    cases = {"demo": load_case(SCLE_CASE, kb), "seed": load_case(SEED_CASE, kb)}
    base_s = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    summary, letter, probe = _renderers(engine)
    if engine == "weasyprint":
        import weasyprint  # noqa: F401 - timed as part of the engine's import
    elif engine == "typst":
        import typst  # noqa: F401
    import_ms = (time.perf_counter() - started) * 1000
    result: dict[str, Any] = {"engine": engine, "base_s": base_s, "import_ms": import_ms,
                              "rss_before_mb": rss_before, "docs": {}}
    OUT.mkdir(parents=True, exist_ok=True)
    first = True
    for name, case in cases.items():
        for doc, render in (("summary", summary), ("letter", letter)):
            wall: list[float] = []
            cpu: list[float] = []
            content = b""
            for _ in range(runs + 1):
                w, c = time.perf_counter(), time.process_time()
                content = render(case, kb)
                wall.append((time.perf_counter() - w) * 1000)
                cpu.append((time.process_time() - c) * 1000)
            (OUT / f"{engine}-{name}-{doc}.pdf").write_bytes(content)
            warm_wall, warm_cpu = wall[1:], cpu[1:]
            result["docs"][f"{name} {doc}"] = {
                "cold_ms": wall[0] if first else None,
                "first_ms": wall[0],
                "p50_ms": statistics.median(warm_wall), "p95_ms": _p(warm_wall, 0.95),
                "cpu_p50_ms": statistics.median(warm_cpu), "cpu_p95_ms": _p(warm_cpu, 0.95),
                "bytes": len(content), "runs": len(warm_wall),
            }
            first = False
    # Typst memoises layout between compiles: a document never seen before (a new case id on
    # every run, so the identity lines and every footer differ) shows what that is worth.
    import dataclasses

    wall, cpu = [], []
    for i in range(runs):
        varied = dataclasses.replace(cases["demo"], id=f"demo-{i:04d}")
        w, c = time.perf_counter(), time.process_time()
        summary(varied, kb)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    result["docs"]["demo summary, new id each run"] = {
        "cold_ms": None, "first_ms": wall[0], "p50_ms": statistics.median(wall),
        "p95_ms": _p(wall, 0.95), "cpu_p50_ms": statistics.median(cpu),
        "cpu_p95_ms": _p(cpu, 0.95), "bytes": 0, "runs": len(wall)}
    (OUT / f"{engine}-probe.pdf").write_bytes(probe())
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


# --- the parent ----------------------------------------------------------------------------------


def _installed_mb(names: list[str]) -> tuple[float, list[str]]:
    total, found = 0, []
    for name in names:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        found.append(f"{name} {dist.version}")
        for f in dist.files or []:
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6, found


def _fonts(engine: str) -> tuple[str, str]:
    """(fonts and whether embedded, probe symbols read back) for an engine's PDFs."""
    pdf_file = OUT / f"{engine}-demo-summary.pdf"
    probe = OUT / f"{engine}-probe.pdf"
    fonts = "pdffonts not installed"
    pdffonts, pdftotext = shutil.which("pdffonts"), shutil.which("pdftotext")
    if pdffonts:
        lines = subprocess.run([pdffonts, str(pdf_file)],  # noqa: S603 - our own file
                               capture_output=True, text=True, check=False).stdout.splitlines()[2:]
        fonts = "; ".join(f"{ln.split()[0].split('+')[-1]} emb={ln.split()[-5]}" for ln in lines)
    read = "pdftotext not installed"
    if pdftotext:
        text = subprocess.run([pdftotext, "-raw", str(probe), "-"],  # noqa: S603 - our own file
                              capture_output=True, text=True, check=False).stdout
        read = ", ".join(f"{s} {'yes' if s in text else 'NO'}" for s in PROBE_SYMBOLS)
    return fonts, read


def _web(runs: int) -> dict[str, dict[str, float]]:
    """Server time of GET /patients/{id}/summary.pdf for the demo patient (TestClient, the
    `Server-Timing` header): the same patient `runs` times, then `runs` copies of the demo
    patient under new case ids, each fetched once (a document Typst has not seen)."""
    import dataclasses

    from fastapi.testclient import TestClient

    from clepath.casefile import load_case
    from clepath.knowledge.loader import load_knowledge
    from clepath.settings import Settings
    from clepath.store import upgrade
    from clepath.web import create_app
    from tests.conftest import SCLE_CASE

    kb = load_knowledge()
    demo = load_case(SCLE_CASE, kb)
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="clepath-bench-pdf-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        settings = Settings(database_url=url, secret_key="bench-pdf")  # noqa: S106 - throwaway
        app = create_app(settings, knowledge=kb, warm_up=True)  # as `clepath serve` runs it
        with app.state.clepath.store() as store:
            store.users.add("bench", "benchmark password", "viewer")
            pid = store.patients.add_case(demo)
            others = [store.patients.add_case(dataclasses.replace(demo, id=f"demo-copy-{i:03d}"))
                      for i in range(runs)]
            store.commit()
        with TestClient(app, base_url="https://testserver") as client:  # secure cookies
            client.post("/api/session", json={"username": "bench",
                                              "password": "benchmark password"}
                        ).raise_for_status()
            for name, ids in (("same patient", [pid] * (runs + 1)),
                              ("new patient each time", others)):
                ms: list[float] = []
                for patient in ids:
                    response = client.get(f"/patients/{patient}/summary.pdf")
                    response.raise_for_status()
                    assert response.headers["content-type"] == "application/pdf", response.text
                    match = re.search(r"dur=([0-9.]+)", response.headers.get("server-timing", ""))
                    assert match is not None, "no Server-Timing header"
                    ms.append(float(match.group(1)))
                warm = ms[1:] if name == "same patient" else ms
                out[name] = {"first_ms": ms[0], "p50_ms": statistics.median(warm),
                             "p95_ms": _p(warm, 0.95), "runs": len(warm)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="warm runs per document")
    parser.add_argument("--slow-runs", type=int, default=10,
                        help="warm runs per document for WeasyPrint and reportlab")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--no-web", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs)))
        return 0
    results = []
    for engine in args.engines.split(","):
        module = {"typst": "typst", "weasyprint": "weasyprint", "reportlab": "reportlab"}[engine]
        if importlib.util.find_spec(module) is None:
            print(f"{engine}: not installed, left out")
            continue
        runs = args.runs if engine == "typst" else args.slow_runs
        done = subprocess.run(  # noqa: S603 - this script, run again for one engine
            [sys.executable, __file__, "--child", engine, "--runs", str(runs)],
                              capture_output=True, text=True, check=False, timeout=1800)
        if done.returncode != 0:
            print(f"{engine}: failed\n{done.stderr[-2000:]}")
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"machine load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    for r in results:
        e = r["engine"]
        mb, found = _installed_mb(PACKAGES[e])
        fonts, read = _fonts(e)
        print(f"\n== {e}: engine import {r['import_ms']:.0f} ms; peak RSS "
              f"{r['peak_rss_mb']:.0f} MB (clepath and packs loaded: {r['rss_before_mb']:.0f} MB)")
        print(f"   installed Python packages {mb:.1f} MB ({', '.join(found)}); system libraries: "
              f"{SYSTEM[e]}")
        print(f"   fonts: {fonts}")
        print(f"   probe read back: {read}")
        for doc, d in r["docs"].items():
            cold = f"cold {d['cold_ms']:.0f} ms, " if d["cold_ms"] is not None else ""
            print(f"   {doc:<31} {cold}first {d['first_ms']:6.0f} ms  warm p50 {d['p50_ms']:6.0f}"
                  f" p95 {d['p95_ms']:6.0f} ms  (CPU p50 {d['cpu_p50_ms']:5.0f} p95 "
                  f"{d['cpu_p95_ms']:5.0f} ms)  {d['bytes'] / 1024:.0f} KiB  n={d['runs']}")
        # (bytes 0: the varied series keeps no file)
    status = 0
    if not args.no_web:
        web = _web(args.runs)
        print("\nweb route GET /patients/{id}/summary.pdf, demo patient, server time "
              "(Server-Timing), this engine: typst")
        for name, w in web.items():
            print(f"   {name:<22} first {w['first_ms']:5.0f} ms  p50 {w['p50_ms']:5.0f} ms  "
                  f"p95 {w['p95_ms']:5.0f} ms  (n={w['runs']})")
        p95 = web["same patient"]["p95_ms"]
        verdict = "PASS" if p95 < TARGET_MS else "FAIL"
        load = Path("/proc/loadavg").read_text().split()[0]
        print(f"{verdict} demo patient's summary, server p95 {p95:.0f} ms against "
              f"{TARGET_MS:.0f} ms (machine load average {load})")
        status = 0 if verdict == "PASS" else 1
    print(f"\nPDFs written to {OUT.relative_to(ROOT)}/")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
