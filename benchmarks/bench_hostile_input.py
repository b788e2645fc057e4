"""Benchmark: hostile and large case files are answered or refused quickly.

Times load_case on: a 12 MB file (refused by size before parsing; goal under 10 s), a file just
under the 5 MiB limit with ~60,000 lab rows (read and checked in full), a 440-byte alias bomb,
10,000 levels of nesting (YAML flow and JSON) and a 5,000-digit integer.

Run: .venv/bin/python benchmarks/bench_hostile_input.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from clepath.casefile import load_case
from clepath.casefile.read import MAX_CASE_BYTES
from clepath.errors import CaseError
from clepath.knowledge.loader import load_knowledge

LAB = "  - {test: wbc, date: 2021-03-01, value: 3900, unit: /mm3}\n"
HEAD = "clepath: 1\nid: big\nas_of: 2021-03-02\n"


def _bomb() -> str:
    lines = [HEAD + "x:"]
    lines += [f"  - &n{i} [" + ", ".join([f"*n{i - 1}"] * 9 if i else ["lol"] * 9) + "]"
              for i in range(9)]
    return "\n".join(lines) + "\nas_of: *n8\n"


CASES = {
    "12 MB, 200k labs": HEAD + "labs:\n" + LAB * (12_000_000 // len(LAB)),
    "4.9 MB, 80k labs": HEAD + "labs:\n" + LAB * ((MAX_CASE_BYTES - 100_000) // len(LAB)),
    "alias bomb": _bomb(),
    "10,000-deep YAML flow": HEAD + "labs: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "10,000-deep JSON": '{"clepath": 1, "labs": ' + "[" * 10_000 + "]" * 10_000 + "}",
    "5,000-digit age": '{"clepath": 1, "id": "x", "as_of": "2021-03-02", "patient": {"age": '
    + "9" * 5000 + "}}",
}


def main() -> int:
    kb = load_knowledge()
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for name, text in CASES.items():
            path = Path(folder) / ("case.json" if text.startswith("{") else "case.yaml")
            path.write_text(text)
            started = time.perf_counter()
            try:
                case = load_case(path, kb)
                answer = f"answered ({len(case.labs)} labs)"
            except CaseError as exc:
                answer = f"refused: {exc.problems[0].field}: {exc.problems[0].message[:60]}"
            elapsed = time.perf_counter() - started
            worst = max(worst, elapsed)
            print(f"{name:<24} {len(text) / 1e6:6.2f} MB  {elapsed:6.2f} s  {answer}")  # noqa: T201
    return 0 if worst < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
