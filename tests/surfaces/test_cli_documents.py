"""`clepath report summary --pdf` and `clepath ivig --letter` write the very PDFs the web app
serves, and a pharmacist reading them sees the plan's numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clepath.casefile import load_case
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import ROOT, SCLE_CASE, SEED_CASE
from tests.surfaces._surfaces import Site, pdf_text, shows


def _clepath(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clepath.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_summary_pdf_is_the_web_apps(site: Site, kb: KnowledgeBase, tmp_path: Path) -> None:
    """The CLI's treatment summary of the seed case is byte for byte the web app's, and shows
    the cumulative prednisone 420 mg and height 158 cm."""
    out = tmp_path / "summary.pdf"
    done = _clepath("report", "summary", str(SEED_CASE), "--pdf", str(out))
    assert 0 == done.returncode, done.stderr
    pid = site.add(load_case(SEED_CASE, kb))
    served = site.browser.get(f"/patients/{pid}/summary.pdf").content
    assert served == out.read_bytes()
    text = pdf_text(out.read_bytes())
    assert shows(text, "420 mg", "treatment summary PDF")
    assert shows(text, "158 cm", "treatment summary PDF")


def test_letter_pdf_is_the_web_apps(site: Site, kb: KnowledgeBase, tmp_path: Path) -> None:
    """The CLI's IVIG letter of the SCLE case is byte for byte the web app's: 25 g = 250 mL a
    day of Privigen 100 mg/mL for a 63.37 kg dosing weight."""
    out = tmp_path / "letter.pdf"
    done = _clepath("ivig", str(SCLE_CASE), "--letter", str(out))
    assert 0 == done.returncode, done.stderr
    pid = site.add(load_case(SCLE_CASE, kb))
    served = site.browser.get(f"/patients/{pid}/ivig/letter.pdf").content
    assert served == out.read_bytes()
    text = pdf_text(out.read_bytes())
    for number in ("25 g = 250 mL", "100 mg/mL", "63.37 kg", "125 g"):
        assert shows(text, number, "prior-authorisation letter PDF"), number


def test_summary_needs_a_file() -> None:
    """Without --pdf the command says which option is missing and exits 1, without a trace."""
    done = _clepath("report", "summary", str(SEED_CASE))
    assert 1 == done.returncode
    assert "--pdf" in done.stderr and "Traceback" not in done.stderr


def test_clasi_fall_reads_lower_in_terminal_and_letter(tmp_path: Path) -> None:
    """Example 2's CLASI-A fell from 15 to 12: the terminal and the letter say "3 points lower
    (20%) than the baseline 15", as the page does, never a "+3" that reads as a rise."""
    out = tmp_path / "letter.pdf"
    assert 0 == _clepath("ivig", str(SCLE_CASE), "--letter", str(out)).returncode
    terminal = _clepath("assess", str(SCLE_CASE))
    letter = " ".join(pdf_text(out.read_bytes()).split())
    shown = " ".join(terminal.stdout.replace("│", " ").split())

    for text in (letter, shown):
        assert "3 points lower (20%) than the baseline 15" in text
        assert "+3 points" not in text
