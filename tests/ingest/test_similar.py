"""Similar published cases with reasons, and candidate evidence-pack rows from ingested reports."""

from __future__ import annotations

import subprocess
import sys

from clepath.casefile import load_case
from clepath.ingest import extract
from clepath.ingest.evidence import evidence_row
from clepath.ingest.similar import similar_cases
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import ROOT, SCLE_CASE, SEED_CASE
from tests.ingest.test_ingest import TWO_PATIENTS


class TestSimilar:
    def test_seed_patient_matches_its_own_report_first(self, kb: KnowledgeBase) -> None:
        """The seed case's top match is Singh 2020, sharing all 8 failed drugs and IVIG."""
        top = similar_cases(load_case(SEED_CASE, kb), kb)[0]

        assert ("singh2020", 2.6) == (top.report_id, top.score) and top.reasons[0].startswith(
            "8 of the patient's 8 failed drugs also tried"
        )

    def test_scle_patient_matches_scle_reports(self, kb: KnowledgeBase) -> None:
        """The annular SCLE example's best matches name SCLE (same Gilliam group) and IVIG."""
        found = similar_cases(load_case(SCLE_CASE, kb), kb, limit=3)

        assert [("same subtype group: SCLE", "same rescue agent: IVIG")] * 3 == [
            s.reasons for s in found
        ]

    def test_command_prints_reasons(self) -> None:
        """`clepath similar --demo seed` prints the Singh 2020 citation with its reasons."""
        result = subprocess.run(
            [sys.executable, "-m", "clepath.cli.main", "similar", "--demo", "seed", "--limit", "1"],
            cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip

        assert 0 == result.returncode, result.stderr
        assert "Singh H" in result.stdout and "same rescue agent: IVIG" in result.stdout


class TestEvidenceRow:
    def test_ivig_patient_gives_a_regimen_row(self, kb: KnowledgeBase) -> None:
        """Patient 1 (IVIG 500 mg/kg/day x 4 days, then 1 g/kg monthly x 3) gives a U-tagged row."""
        first = extract(TWO_PATIENTS, kb, "two").patients[0]
        row = evidence_row(first, kb, TWO_PATIENTS, "two-1")

        assert row is not None
        assert (
            {"induction_g_per_kg": 2.0, "induction_days": 4, "maintenance_g_per_kg": 1.0,
             "interval_days": 30, "cycles": "3"},
            "R",
            "U",
        ) == (row["regimen"], row["response"], row["tag"])  # fmt: skip

    def test_patient_without_ivig_gives_no_row(self, kb: KnowledgeBase) -> None:
        """Patient 2, never given IVIG, gives no evidence row."""
        second = extract(TWO_PATIENTS, kb, "two").patients[1]

        assert evidence_row(second, kb, TWO_PATIENTS, "two-2") is None
