"""Benchmark: `clepath screen` of two source trees (e.g. main and a branch) on the same exports.

Runs are alternated (A B, then B A, ...) so that a change in the machine's load falls on both,
each run in its own process with its own pack parse cache; CPU time (user + system of the
process, DuckDB's threads included) is the measure on a shared machine, wall time and peak memory
are printed beside it, and the number of flags. A regression check: the median CPU of B over A.

Run: .venv/bin/python benchmarks/bench_screen_ab.py --a /work/main/src --b src \
        --exports /tmp/cohort-100k [/tmp/other] [--rounds 4] [--as-of 2025-06-30]
(generate an export with `clepath generate cohort --patients 100000 --plant-every 50 --out DIR`,
with either tree's generator: `PYTHONPATH=TREE python -m clepath.cli.main generate ...`).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(tree: Path, export: Path, out: Path, as_of: str, cache: Path) -> tuple[float, ...]:
    env = dict(os.environ, PYTHONPATH=str(tree), CLEPATH_CACHE_DIR=str(cache))
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "clepath.cli.main", "screen", str(export), "--as-of", as_of,
         "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"screen failed with {tree}: {err.decode()[-1500:]}")
    with (out / "flags.csv").open() as fh:
        flags = sum(1 for _ in csv.reader(fh)) - 1
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, float(flags)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=Path, required=True, help="source tree A (its src/)")
    parser.add_argument("--b", type=Path, required=True, help="source tree B (its src/)")
    parser.add_argument("--exports", type=Path, nargs="+", required=True)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--as-of", default="2025-06-30")
    args = parser.parse_args()
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    results: dict[tuple[str, str], list[tuple[float, ...]]] = {}
    with tempfile.TemporaryDirectory(prefix="clepath-ab-") as tmp:
        for round_ in range(args.rounds):
            for export in args.exports:
                for name in ("A", "B") if round_ % 2 == 0 else ("B", "A"):
                    out = Path(tmp) / f"{name}-{export.name}"
                    run = _run(trees[name], export, out, args.as_of, Path(tmp) / f"cache-{name}")
                    results.setdefault((export.name, name), []).append(run)
                    print(f"{export.name} {name}: wall {run[0]:.2f} s, CPU {run[1]:.2f} s, "
                          f"peak {run[2]:.0f} MB, {run[3]:.0f} flags", flush=True)
    for export in args.exports:
        cpu = {n: statistics.median(r[1] for r in results[(export.name, n)]) for n in trees}
        wall = {n: statistics.median(r[0] for r in results[(export.name, n)]) for n in trees}
        print(f"{export.name}: CPU median A {cpu['A']:.2f} s, B {cpu['B']:.2f} s "
              f"({100 * (cpu['B'] / cpu['A'] - 1):+.1f} %); wall median A {wall['A']:.2f} s, "
              f"B {wall['B']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
