"""The assessment lists the top similar published cases, with reasons, on every surface.

The list comes from `clepath.ingest.similar.similar_cases` (at most 3, positive score only); the
terminal report, `clepath assess --json`, the JSON API and the patient page show the same
citations, labelled as a reading aid, not evidence of effect.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clepath.casefile import load_case
from clepath.domain.case import CleEntry
from clepath.engine.assess import assess
from clepath.ingest.similar import similar_cases
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.report.assessment_json import assessment_to_json
from clepath.report.assessment_terminal import render_assessment
from clepath.report.similar import assessment_similar
from tests.conftest import ROOT, SCLE_CASE, SEED_CASE
from tests.engine._factory import course
from tests.surfaces._surfaces import PATIENT_PAGE, TERMINAL, Site, surfaces_of, terminal_text

SCHEMA = json.loads(
    resources.files("clepath.schemas").joinpath("assessment.schema.json").read_text()
)
SINGH = "Singh H, Naidu G, Sharma A. Indian Dermatol Online J 2020;11:1003-4 (the seed case)"
TENTI = "Tenti S, et al. Autoimmun Rev 2018;17:791-5"
GENEREAU = "Genereau T, et al. Arch Dermatol 1999;135:1124-5"
KREUTER = "Kreuter A, et al. Acta Derm Venereol 2005;85:545-7"
LAMPROPOULOS = "Lampropoulos CE, et al. Clin Rheumatol 2007"
LABEL = "a reading aid, not evidence"
# the seed case (CLE subtype unspecified, 8 failed drugs, IVIG) and Example 2 (annular SCLE,
# methotrexate failed, IVIG requested): the three reports listed, with their reasons
EXPECTED = {
    "seed": [
        (SINGH, 2.6, (
            "8 of the patient's 8 failed drugs also tried: azathioprine, cyclophosphamide, "
            "dapsone, hydroxychloroquine, methotrexate, mycophenolate mofetil, rituximab, "
            "tacrolimus (systemic)",
            "same rescue agent: IVIG",
        )),
        (TENTI, 1.25, ("1 of the patient's 8 failed drugs also tried: hydroxychloroquine",
                       "same rescue agent: IVIG")),
        (GENEREAU, 1.182, ("1 of the patient's 8 failed drugs also tried: hydroxychloroquine",
                           "same rescue agent: IVIG")),
    ],
    "scle": [
        (c, 2.0, ("same subtype group: SCLE", "same rescue agent: IVIG"))
        for c in (GENEREAU, KREUTER, LAMPROPOULOS)
    ],
}  # fmt: skip
CASES = {"seed": SEED_CASE, "scle": SCLE_CASE}


@pytest.mark.parametrize("name", sorted(CASES))
def test_listed_cases_and_reasons(name: str, kb: KnowledgeBase) -> None:
    """Each example lists its three best published reports with their scores and reasons."""
    found = assessment_similar(load_case(CASES[name], kb), kb)

    assert EXPECTED[name] == [(s.citation, s.score, s.reasons) for s in found]


@pytest.mark.parametrize("name", sorted(CASES))
def test_list_is_the_ranking_top_three(name: str, kb: KnowledgeBase) -> None:
    """The list shown is the first 3 of `similar_cases`, every one with a positive score."""
    case = load_case(CASES[name], kb)
    ranked = similar_cases(case, kb, limit=10)

    assert ranked[:3] == assessment_similar(case, kb)
    assert all(s.score > 0 for s in ranked[:3])


def test_a_case_without_shared_features_lists_nothing(kb: KnowledgeBase) -> None:
    """Example 2 with no subtype, no failed drug and no IVIG shares nothing: the list is empty."""
    case = load_case(SCLE_CASE, kb)
    bare = dataclasses.replace(case, cle=(), therapies=(), ivig_request=None)

    assert [] == assessment_similar(bare, kb)
    assert [] == assessment_to_json(assess(bare, kb), [])["similar_cases"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_array_validates_and_carries_the_citations(name: str, kb: KnowledgeBase) -> None:
    """The JSON's `similar_cases` holds the 3 citations, reasons and outcome, and validates."""
    case = load_case(CASES[name], kb)
    document = assessment_to_json(assess(case, kb), assessment_similar(case, kb))

    jsonschema.validate(document, SCHEMA)
    assert [(c, list(r)) for c, _, r in EXPECTED[name]] == [
        (s["citation"], s["reasons"]) for s in document["similar_cases"]
    ]
    assert LABEL in document["similar_cases_note"]


def test_json_without_similar_cases_still_validates(kb: KnowledgeBase) -> None:
    """An assessment kept before the list existed (no `similar_cases` key) still validates."""
    document = assessment_to_json(assess(load_case(SEED_CASE, kb), kb))
    del document["similar_cases"], document["similar_cases_note"]

    jsonschema.validate(document, SCHEMA)


def test_terminal_shows_citations_regimen_outcome_and_reasons(kb: KnowledgeBase) -> None:
    """Example 2's terminal report names Genereau 1999 with its 2 g/kg regimen, CR and reasons."""
    case = load_case(SCLE_CASE, kb)
    text = terminal_text(
        lambda r, c: render_assessment(r, c, assessment_similar(case, kb)), assess(case, kb)
    )
    section = text[text.index("Similar published cases"):]

    assert LABEL in section
    assert "1. " + GENEREAU in section and "2. " + KREUTER in section
    assert "regimen: 2 g/kg per month (split over days not stated), for at least 6 months" in (
        section
    )
    assert "outcome: CR;" in section and "• same subtype group: SCLE" in section


def _cli(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "clepath.cli.main", "assess", "--demo", "scle", *args],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "COLUMNS": "240"},
    )  # fmt: skip
    assert 0 == result.returncode, result.stderr
    return result.stdout


def test_cli_terminal_and_json_list_the_same_citations() -> None:
    """`clepath assess --demo scle` and its `--json` list Genereau, Kreuter and Lampropoulos."""
    document = json.loads(_cli("--json"))
    terminal = _cli()

    cited = [s["citation"] for s in document["similar_cases"]]
    assert [GENEREAU, KREUTER, LAMPROPOULOS] == cited
    assert all(c in terminal for c in cited)


@pytest.mark.parametrize("name", sorted(CASES))
def test_page_terminal_and_api_show_the_same_citations(
    name: str, site: Site, kb: KnowledgeBase
) -> None:
    """The patient page (folded in <details>), the terminal and the JSON API cite the same 3."""
    case = load_case(CASES[name], kb)
    pid = site.add(case)
    texts = surfaces_of(site, case, patient_id=pid)
    raw = site.browser.get(f"/patients/{pid}").text
    api = site.browser.get(f"/api/patients/{pid}/assessment").json()
    cited = [c for c, _, _ in EXPECTED[name]]

    assert cited == [s["citation"] for s in api["similar_cases"]]
    for surface in (PATIENT_PAGE, TERMINAL):
        assert all(c in texts[surface] for c in cited), surface
    folded = re.search(r'<details class="folded similar-cases">(.*?)</details>', raw, re.DOTALL)
    assert folded is not None and LABEL in folded.group(1)
    assert all(c.replace("'", "&#39;") in folded.group(1) for c in cited)
    assert "same rescue agent: IVIG" in folded.group(1)


KB = load_knowledge()
_SUBTYPES = sorted(KB.vocabulary("cle_subtype").labels)
_DRUGS = sorted(KB.vocabulary("drug").labels)


@settings(max_examples=40, deadline=None)
@given(
    subtype=st.sampled_from(_SUBTYPES),
    failed=st.lists(st.sampled_from(_DRUGS), max_size=6, unique=True),
    ivig=st.booleans(),
)
def test_generated_patients_list_at_most_three_positive_matches(
    subtype: str, failed: list[str], ivig: bool
) -> None:
    """Any subtype, failed drugs and rescue agent: at most 3 reports, scores positive and
    non-increasing, the ranking's first ones, each naming IVIG as rescue agent when requested or
    recorded."""
    base = load_case(SCLE_CASE, KB)
    case = dataclasses.replace(
        base,
        cle=(CleEntry(subtype),),
        therapies=tuple(course(d, "failed") for d in failed),
        ivig_request=base.ivig_request if ivig else None,
    )
    shown = assessment_similar(case, KB)
    scores = [s.score for s in shown]

    assert len(shown) <= 3 and all(x > 0 for x in scores)
    assert scores == sorted(scores, reverse=True)
    assert similar_cases(case, KB, limit=3) == shown
    rescued = ivig or "intravenous immunoglobulin" in failed  # a recorded IVIG course counts
    assert all(("same rescue agent: IVIG" in s.reasons) == rescued for s in shown)
