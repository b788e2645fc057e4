"""`make fuzz`: run the case-file fuzz harness for FUZZ_SECONDS and keep every finding.

A finding is a crash (any exception other than CaseError/ClepathError), a hang (one input
taking longer than FUZZ_HANG_SECONDS) or a silent misreading (a value accepted outside its
plausibility bounds). Each is written to FUZZ_OUT (default fuzz-findings/) as a reproducer:
the input exactly as generated plus what went wrong. The strategies and the oracle are the
ones `make test` runs in a bounded, derandomised slice (tests/fuzz/).

Also checks once that a 12 MB case file is answered or refused within 10 s.

Run: FUZZ_SECONDS=600 make fuzz
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from tests.fuzz.strategies import (  # noqa: E402
    KB,
    case_documents,
    case_texts,
    check_document,
    check_text,
)

SECONDS = float(os.environ.get("FUZZ_SECONDS", "60"))
HANG = float(os.environ.get("FUZZ_HANG_SECONDS", "10"))
OUT = Path(os.environ.get("FUZZ_OUT", ROOT / "fuzz-findings"))
ROUND = settings(
    max_examples=250,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class _Hang(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Hang


class Run:
    """Counts examples and findings; writes each finding once."""

    def __init__(self) -> None:
        self.examples = 0
        self.findings: dict[str, int] = {"crash": 0, "hang": 0, "misreading": 0}

    def check(self, kind: str, value: Any) -> None:
        self.examples += 1
        signal.setitimer(signal.ITIMER_REAL, HANG)
        started = time.perf_counter()
        try:
            problem = check_text(value) if kind == "text" else check_document(value)
        except _Hang:
            problem = f"hang: no answer within {HANG:g} s"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if problem is None:
            return
        elapsed = time.perf_counter() - started
        category = (
            "hang" if problem.startswith("hang")
            else "misreading" if problem.startswith("silent") else "crash"
        )
        self.findings[category] += 1
        body = value if kind == "text" else json.dumps(value, default=repr, indent=1)
        digest = hashlib.sha1(body.encode("utf-8", "replace")).hexdigest()[:12]
        OUT.mkdir(parents=True, exist_ok=True)
        suffix = ".txt" if kind == "text" else ".json"
        (OUT / f"{category}-{digest}{suffix}").write_text(body, encoding="utf-8")
        (OUT / f"{category}-{digest}.why").write_text(
            f"{problem}\n({elapsed:.2f} s; input: {kind})\n", encoding="utf-8"
        )


def big_file_check() -> tuple[float, str]:
    """Time a 12 MB case file (YAML, many labs) through load_case."""
    from clepath.casefile import load_case
    from clepath.errors import CaseError

    lab = "  - {test: wbc, date: 2021-03-01, value: 3900, unit: /mm3}\n"
    text = "clepath: 1\nid: big\nas_of: 2021-03-02\nlabs:\n" + lab * (12_000_000 // len(lab))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.yaml"
        path.write_text(text)
        started = time.perf_counter()
        try:
            load_case(path, KB)
            answer = "answered"
        except CaseError as exc:
            answer = f"refused: {exc.problems[0].message}"
        return time.perf_counter() - started, answer


def main() -> int:
    signal.signal(signal.SIGALRM, _alarm)
    seconds, answer = big_file_check()
    print(f"12 MB case file: {answer} in {seconds:.2f} s")  # noqa: T201
    run = Run()

    @ROUND
    @given(case_documents)
    def documents(document: Any) -> None:
        run.check("document", document)

    @ROUND
    @given(case_texts)
    def texts(text: str) -> None:
        run.check("text", text)

    started = time.perf_counter()
    rounds = 0
    while time.perf_counter() - started < SECONDS:
        (documents if rounds % 2 == 0 else texts)()
        rounds += 1
    elapsed = time.perf_counter() - started
    found = sum(run.findings.values())
    print(  # noqa: T201
        f"fuzzed {run.examples} inputs in {elapsed:.0f} s ({rounds} rounds): "
        f"{run.findings['crash']} crashes, {run.findings['hang']} hangs, "
        f"{run.findings['misreading']} silent misreadings"
        + (f"; reproducers in {OUT}" if found else "")
    )
    return 1 if found or seconds > 10 else 0


if __name__ == "__main__":
    raise SystemExit(main())
