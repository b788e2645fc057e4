"""The terminal shows dose problems as a user sees them (issue 9): alerts, adequacy, refusals."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

EXE = [sys.executable, "-m", "clepath.cli.main"]

_CASE = """\
clepath: 1
id: doses-cli
as_of: 2024-06-01
patient: {{sex: female, age: 40, weight: 70 kg}}
therapies:
  - drug: methotrexate
    dose: {mtx}
    frequency: {freq}
    start: 2023-01-01
    stop: 2023-09-01
    outcome: failed
  - {{drug: hydroxychloroquine, dose: 400 mg, frequency: daily, start: 2024-01-01,
     outcome: ongoing}}
  - {{drug: Plaquenil, dose: 400 mg, frequency: daily, start: 2024-02-01, outcome: ongoing}}
"""


def _run(tmp_path: Path, mtx: str, freq: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "case.yaml"
    path.write_text(_CASE.format(mtx=mtx, freq=freq), encoding="utf-8")
    return subprocess.run(
        [*EXE, *args, str(path)], cwd=ROOT, capture_output=True, text=True, check=False,
        timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def _flat(text: str) -> str:
    return re.sub(r"[\s│┃]+", " ", text)


def test_terminal_report_shows_the_problems(tmp_path: Path) -> None:
    """Daily methotrexate: CRITICAL schedule alert and `implausible_dose`; HCQ + Plaquenil:
    duplicate therapy and 11.43 mg/kg."""
    result = _run(tmp_path, "15 mg", "daily", "assess")
    out = _flat(result.stdout)

    assert 0 == result.returncode, result.stderr
    assert "CRITICAL" in out and "[dose_frequency_not_allowed]" in out
    assert "methotrexate once daily is not an allowed schedule" in out
    assert "implausible_dose" in out
    assert "[duplicate_therapy]" in out
    assert "Hydroxychloroquine 800 mg/day is 11.43 mg/kg" in out


def test_validate_refuses_a_unit_slip(tmp_path: Path) -> None:
    """Methotrexate 30 g weekly is refused with the field, the value and the likely meaning."""
    result = _run(tmp_path, "30 g", "weekly", "validate")
    out = _flat(result.stdout + result.stderr)

    assert 1 == result.returncode
    assert "therapies[0].dose" in out and "30 g" in out and "unit slip" in out
    assert "did you mean: 30 mg?" in out
