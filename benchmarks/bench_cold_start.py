"""Benchmark: the cold start of `clepath assess --demo scle`, a fresh process each run.

Reports wall and CPU seconds (median and best of N). Target: at most 0.4 s wall on an idle
machine; CPU time is the steadier figure on a shared one. `--baseline SRC` runs the same with
another source tree first on PYTHONPATH (e.g. the main branch's src/) for comparison.
Also times the UCUM registry's set-up, which the precomputed unit table lets a cold start skip.

Run: .venv/bin/python benchmarks/bench_cold_start.py [--runs N] [--baseline /work/main/src]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "clepath.cli.main", "assess", "--demo", "scle"]


def _run(env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(COMMAND, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _env(pythonpath: Path) -> dict[str, str]:
    """The environment of a run: bytecode is written and read as in an installed package (pip
    compiles it at install time), even when the caller's shell sets PYTHONDONTWRITEBYTECODE."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(pythonpath)}


def _series(name: str, env: dict[str, str], runs: int) -> None:
    _run(env)  # warm the file-system cache and write the bytecode
    walls, cpus = zip(*(_run(env) for _ in range(runs)), strict=True)
    print(  # noqa: T201
        f"{name:<10} wall median {statistics.median(walls):.3f} s best {min(walls):.3f} s   "
        f"cpu median {statistics.median(cpus):.3f} s best {min(cpus):.3f} s   (n={runs})"
    )


def _registry_setup() -> float:
    code = (
        "import time; t=time.perf_counter(); from clepath.domain.units import warm_up; warm_up();"
        " print(time.perf_counter()-t)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline", type=Path, default=None)
    args = parser.parse_args()
    if args.baseline is not None:
        _series("baseline", _env(args.baseline), args.runs)
    _series("this tree", _env(ROOT / "src"), args.runs)
    print(f"UCUM registry set-up (skipped by the table): {_registry_setup():.3f} s")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
