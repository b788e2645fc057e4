"""Benchmark: `assess` on a generated 10-year record, in process. Target: p95 under 100 ms.

Run: .venv/bin/python benchmarks/bench_assess.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import ten_year_case  # noqa: E402

from clepath.casefile import parse_case  # noqa: E402
from clepath.engine.assess import assess  # noqa: E402
from clepath.knowledge.loader import load_knowledge  # noqa: E402
from clepath.report.assessment_json import assessment_to_json  # noqa: E402


def _timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _summary(name: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (f"{name:<28} median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms   "
            f"max {max(ms):7.2f} ms   (n={len(ms)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    t0 = time.perf_counter()
    kb = load_knowledge()
    load_ms = (time.perf_counter() - t0) * 1000
    data = ten_year_case()
    case = parse_case(data, kb)  # warm-up: first use of the unit registry
    print(f"record: {len(case.labs)} labs, {len(case.therapies)} therapy courses, "
          f"{len(case.clasi)} CLASI exams, {len(case.findings)} findings")
    print(f"{'load knowledge (cold)':<28} {load_ms:7.2f} ms")
    assess(case, kb)
    parse_ms = _timed(lambda: parse_case(data, kb), max(5, args.runs // 5))
    assess_ms = _timed(lambda: assess(case, kb), args.runs)
    json_ms = _timed(lambda: assessment_to_json(assess(case, kb)), max(5, args.runs // 5))
    print(_summary("parse case file", parse_ms))
    print(_summary("assess (target p95 < 100)", assess_ms))
    print(_summary("assess + JSON", json_ms))
    ordered = sorted(assess_ms)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print("PASS" if p95 < 100 else "FAIL", f"assess p95 {p95:.2f} ms against 100 ms")
    return 0 if p95 < 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
