"""Benchmark: `clepath screen` end to end against DuckDB's own raw scan of the same files.

For each size it generates a cohort (once, kept in --data), then runs, each in its own process:
  raw   DuckDB read_json (schema auto-detected) counting every resource of every file;
  screen `clepath screen EXPORT --as-of ... --out ...` (DuckDB engine);
  spark  the same with --engine spark (when pyspark and java are present and --spark is given).
It prints resources/s, the ratio screen/raw (target >= 0.5), peak memory of each process (target
< 1 GB at 100 k patients; for Spark only the Python driver is measured, not the JVM) and checks
the planted cases against ground_truth.csv. Each process's time includes its start-up.

Run: .venv/bin/python benchmarks/bench_screen.py [--sizes 10000 100000] [--data DIR] [--spark]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
# DuckDB's own scan of every file, schema auto-detected. `count` only counts the objects (DuckDB
# need not parse their values); `full` reads every value into a table, as a screen must.
RAW = """
import sys, duckdb, glob
files = sorted(glob.glob(sys.argv[1] + '/*.ndjson*'))
con = duckdb.connect()
n = 0
for f in files:
    if sys.argv[2] == 'count':
        n += con.execute("SELECT count(*) FROM read_json(?, format='newline_delimited')",
                         [f]).fetchone()[0]
    else:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_json(?, "
                    "format='newline_delimited')", [f])
        n += con.execute("SELECT count(*) FROM t").fetchone()[0]
print(n)
"""


def _peak(cmd: list[str]) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    out_chunks = proc.stdout.read()  # type: ignore[union-attr]
    err_chunks = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed: {err_chunks.decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out_chunks.decode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--data", type=Path,
                        default=Path(tempfile.gettempdir()) / "clepath-bench-screen")
    parser.add_argument("--spark", action="store_true")
    parser.add_argument("--plant-every", type=int, default=50,
                        help="planted blocks: 50 flags about 0.5 %% of patients (5 = 5 %%)")
    args = parser.parse_args()
    for size in args.sizes:
        export = args.data / f"cohort-{size}-every-{args.plant_every}"
        if not (export / "manifest.json").exists():
            t0 = time.perf_counter()
            subprocess.run([str(BIN / "clepath"), "generate", "cohort", "--patients",  # noqa: S603
                            str(size), "--out", str(export), "--seed", "1",
                            "--plant-every", str(args.plant_every)], check=True,
                           capture_output=True)
            print(f"generated {size} patients in {time.perf_counter() - t0:.1f} s")
        mb = sum(p.stat().st_size for p in export.glob("*.ndjson*")) / 1e6
        raws = {}
        for mode in ("count", "full"):
            raws[mode] = _peak([str(BIN / "python"), "-c", RAW, str(export), mode])
        resources = int(raws["count"][2].strip())
        out = args.data / f"out-{size}"
        runs = [("duckdb", [])] + ([("spark", ["--engine", "spark"])] if args.spark else [])
        print(f"\n{size} patients: {resources} resources, {mb:.0f} MB NDJSON")
        for mode, (raw_s, raw_mb, _) in raws.items():
            print(f"  raw {mode:6s} {raw_s:7.2f} s  {resources / raw_s:10,.0f} res/s  "
                  f"peak {raw_mb:6.0f} MB")
        for name, extra in runs:
            s, peak, _ = _peak([str(BIN / "clepath"), "screen", str(export), "--as-of",
                                "2025-06-30", "--out", str(out / name), *extra])
            truth = {(r["patient"], r["rule"]) for r in csv.DictReader(
                (export / "ground_truth.csv").read_text().splitlines()) if r["kind"] == "planted"}
            flags = {(r["patient"], r["rule"]) for r in csv.DictReader(
                (out / name / "flags.csv").read_text().splitlines())}
            verdict = (f"exact ({len(flags)} flags)" if flags == truth
                       else f"MISMATCH {len(flags ^ truth)}")
            ratios = "  ".join(f"{raws[m][0] / s:.2f}x raw {m}" for m in raws)
            print(f"  screen {name:6s}{s:7.2f} s  {resources / s:10,.0f} res/s  "
                  f"peak {peak:6.0f} MB  {ratios}  planted {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
