"""The command line: readable reports, JSON, clear errors and exit codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SCLE_CASE, SEED_CASE

EXE = [sys.executable, "-m", "clepath.cli.main"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXE, *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )


class TestAssess:
    def test_json_output(self) -> None:
        """`assess --json` prints one object with the case id and SLEDAI-2K."""
        result = _run("assess", str(SEED_CASE), "--json")

        assert 0 == result.returncode, result.stderr
        document = json.loads(result.stdout)
        assert ("idoj-2020-ivig-rescue", 7) == (
            document["case_id"],
            document["scores"]["sledai_2k"]["score"],
        )

    def test_terminal_report(self) -> None:
        """The terminal report names the refractory status and the IVIG stance."""
        result = _run("assess", "--demo", "scle")

        assert 0 == result.returncode, result.stderr
        assert "REFRACTORY" in result.stdout and "SLEDAI-2K" in result.stdout

    def test_set_overrides_a_parameter(self) -> None:
        """--set changes the deflazacort ratio in force."""
        result = _run(
            "assess", str(SEED_CASE), "--json", "--set", "glucocorticoids.deflazacort_ratio=1.5"
        )

        document = json.loads(result.stdout)
        assert 12 == document["glucocorticoids"]["prednisone_equivalent_mg_per_day"]


class TestErrors:
    def test_invalid_case_exits_1_with_field_messages(self, tmp_path: Path) -> None:
        """A bare weight is reported by field, with exit code 1 and no traceback."""
        bad = tmp_path / "bad.yaml"
        bad.write_text(SCLE_CASE.read_text().replace("weight: 176 lb", "weight: 176"))

        result = _run("validate", str(bad))

        assert 1 == result.returncode
        assert "patient.weight" in result.stderr and "Traceback" not in result.stderr

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is a clear error."""
        result = _run("validate", str(tmp_path / "nope.yaml"))

        assert 1 == result.returncode and "cannot be read" in result.stderr

    def test_valid_case(self) -> None:
        """`validate` summarises a valid case."""
        result = _run("validate", str(SCLE_CASE))

        assert 0 == result.returncode and "valid case 'demo-scle-0001'" in result.stdout

    def test_unknown_parameter(self) -> None:
        """An unknown --set key exits 3 with a knowledge error."""
        result = _run("assess", str(SEED_CASE), "--set", "nope.x=1")

        assert 3 == result.returncode and "unknown parameter" in result.stderr
