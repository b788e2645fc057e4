"""`clepath fhir export` and `clepath fhir import` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SCLE_CASE

EXE = [sys.executable, "-m", "clepath.cli.main"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)


class TestFhirCli:
    def test_export_then_import_gives_a_valid_case(self, tmp_path: Path) -> None:
        """Export Example 2 and import it back: the case file validates with its 9 labs."""
        bundle, case = tmp_path / "b.json", tmp_path / "c.yaml"

        exported = _run("fhir", "export", str(SCLE_CASE), "-o", str(bundle))
        imported = _run("fhir", "import", str(bundle), "-o", str(case))
        checked = _run("validate", str(case))

        assert 0 == exported.returncode == imported.returncode == checked.returncode, (
            exported.stderr + imported.stderr + checked.stderr)
        assert "Bundle" == json.loads(bundle.read_text())["resourceType"]
        assert "9 labs, 2 CLASI exams, 3 therapy courses" in checked.stdout

    def test_import_reports_unmapped_codes(self, tmp_path: Path) -> None:
        """An unknown LOINC code is printed on stderr with its code, never dropped silently."""
        source = tmp_path / "in.json"
        source.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p", "gender": "male"}},
            {"resource": {"resourceType": "Observation", "id": "o", "status": "final",
                          "code": {"coding": [{"system": "http://loinc.org",
                                               "code": "12345-6"}]},
                          "effectiveDateTime": "2024-01-01"}}]}))

        result = _run("fhir", "import", str(source), "--as-of", "2024-02-01")

        assert 0 == result.returncode, result.stderr
        assert "12345-6" in result.stderr and "unmapped" in result.stderr

    def test_import_without_as_of_names_the_field(self, tmp_path: Path) -> None:
        """A Bundle without a clepath assessment date needs --as-of: exit 1, field named."""
        source = tmp_path / "in.json"
        source.write_text(json.dumps({"resourceType": "Patient", "id": "p"}))

        result = _run("fhir", "import", str(source))

        assert 1 == result.returncode and "as_of" in result.stderr
