"""The prior-authorisation letter and the treatment summary speak to a payer and a colleague:
none of the knowledge packs' internal research notes ("Read: title only", "verify", "was not
seen", "none mentioned in the visible text") reaches them, and the refractory section names its
rules and cites its sources (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from clepath.casefile import load_case
from clepath.engine.assess import assess
from clepath.engine.ivig import plan_for_case
from clepath.engine.timeline import build_timeline
from clepath.knowledge.base import KnowledgeBase
from clepath.report.pdf import clinical_text, ivig_prior_auth_pdf, treatment_summary_pdf
from tests.conftest import SCLE_CASE, SEED_CASE
from tests.pdf._text import pdf_text

PACKS = Path(__file__).resolve().parents[2] / "src" / "clepath" / "knowledge" / "packs"
INTERNAL_PHRASES = ("Read: ", "title only", "verify", "was not seen", "visible text")


def _notes(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "note" and isinstance(value, str):
                yield " ".join(value.split())
            yield from _notes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _notes(value)


def pack_notes() -> list[str]:
    """Every `note` field of every pack row, whitespace collapsed."""
    files = PACKS.glob("*/*.yaml")
    return sorted({n for f in files for n in _notes(yaml.safe_load(f.read_text()))})


@pytest.fixture(scope="module", params=[SEED_CASE, SCLE_CASE], ids=["seed", "scle"])
def letter_text(request: pytest.FixtureRequest, kb: KnowledgeBase) -> str:
    """The letter's text for the seed and the SCLE example, whitespace collapsed."""
    case = load_case(request.param, kb)
    text = pdf_text(ivig_prior_auth_pdf(assess(case, kb), plan_for_case(case, kb), kb=kb))
    return " ".join(text.split())


@pytest.fixture(scope="module", params=[SEED_CASE, SCLE_CASE], ids=["seed", "scle"])
def summary_text(request: pytest.FixtureRequest, kb: KnowledgeBase) -> str:
    """The treatment summary's text (with its timeline) for both examples, whitespace
    collapsed."""
    case = load_case(request.param, kb)
    pdf = treatment_summary_pdf(assess(case, kb), timeline=build_timeline(case, kb), kb=kb)
    return " ".join(pdf_text(pdf).split())


def test_no_pack_note_in_the_summary(summary_text: str) -> None:
    """No pack `note` field (first 40 characters) and no internal remark appears in the
    treatment summary."""
    notes = pack_notes()
    leaked = [n for n in notes if n[:40] in summary_text]
    found = [p for p in INTERNAL_PHRASES if p.lower() in summary_text.lower()]

    assert ([], []) == (leaked, found)


def test_refractory_rules_and_sources_in_both_documents(summary_text: str,
                                                        letter_text: str) -> None:
    """Both PDFs name the pathway pack's three refractory rules with their source ids, cited
    in the reference list (lavender, amethyst; mayo2016; clepath_convention), as the page does."""
    for text in (summary_text, letter_text):
        rules = [r for r in ("trial_antimalarial", "antimalarial_plus_immunosuppressant",
                             "composite") if f"Rule: pathway definition {r}" in text]
        sources = [s for s in ("Sources: lavender, amethyst [", "Sources: mayo2016 [",
                               "Sources: clepath_convention [") if s in text]

        assert (3, 3) == (len(rules), len(sources))
        assert "References" in text


def test_unreported_adverse_events_in_clinical_words(letter_text: str) -> None:
    """Genereau 1999, whose first page mentions no adverse event, reads "Adverse events: not
    reported (not confirmed in the full text)"; the pack's own remark never appears."""
    row = letter_text[letter_text.index("Genereau T, et al. Arch Dermatol 1999"):]
    row = row[: row.index("Goodfield")]

    assert "Adverse events: not reported (not confirmed in the full text)" in row
    assert "none mentioned" not in letter_text


def test_no_pack_note_in_the_letter(letter_text: str) -> None:
    """No pack `note` field (first 40 characters) appears in the letter, of 60+ notes."""
    notes = pack_notes()
    leaked = [n for n in notes if n[:40] in letter_text]

    assert (True, []) == (len(notes) > 60, leaked)


def test_no_internal_research_wording_in_the_letter(letter_text: str) -> None:
    """"Read: title only", "verify", "was not seen" and the like are absent from the letter,
    while the IVIG guideline stance still says it is second-hand."""
    found = [p for p in INTERNAL_PHRASES if p.lower() in letter_text.lower()]

    assert ([], True) == (
        found,
        "citing Kuhn 2017; not confirmed in the primary source" in letter_text,
    )


class TestClinicalText:
    def test_a_second_hand_remark_becomes_not_confirmed(self) -> None:
        """"Kuhn's own sentence was not seen" becomes "not confirmed in the primary source"."""
        assert "reports (Singh 2020, citing Kuhn 2017; not confirmed in the primary source)." == (
            clinical_text("reports (Singh 2020, citing Kuhn 2017; Kuhn's own sentence was not "
                          "seen).")
        )

    def test_a_verify_remark_is_dropped(self) -> None:
        """A bibliographic "…: verify" remark is dropped from a citation."""
        assert "Goodfield M, et al. 2004;15:46-50" == clinical_text(
            "Goodfield M, et al. 2004;15:46-50 (journal given as J Dermatolog Treat or Eur J "
            "Dermatol: verify)"
        )

    def test_clinical_parentheses_are_kept(self) -> None:
        """A remark the clinician needs ("dose and cycles not confirmed") stays as written."""
        text = "cyclical IVIG (dose and number of cycles not confirmed)"
        assert text == clinical_text(text)
