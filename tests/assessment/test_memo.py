"""What the assessment keeps between calls for speed (per-base look-ups, citations, observations
grouped per case) never changes a result: overrides, bookkeeping and other cases stay apart."""

from __future__ import annotations

from clepath.casefile import load_case
from clepath.engine.assess import assess
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.report.assessment_json import assessment_to_json
from tests.conftest import SCLE_CASE, SEED_CASE


def test_override_between_default_runs(kb: KnowledgeBase) -> None:
    """Example 2 (EULAR/ACR 22 points) is classified at the default threshold of 10, not at an
    overridden 23, and again at 10 afterwards; only the override run reports it overridden."""
    strict = load_knowledge(overrides={"eular_acr_2019.classification_threshold": 23})
    case = load_case(SCLE_CASE, kb)

    first, overridden, again = assess(case, kb), assess(case, strict), assess(case, kb)

    assert (first.eular_acr.total, overridden.eular_acr.total) == (22, 22)
    assert [first.eular_acr.classified, overridden.eular_acr.classified,
            again.eular_acr.classified] == [True, False, True]
    key = "eular_acr_2019.classification_threshold"
    assert overridden.parameters[key]["value"] == 23
    assert overridden.parameters[key]["overridden"] is True
    assert again.parameters[key] == first.parameters[key]
    assert again.parameters[key]["value"] == 10


def test_parameters_in_force_are_listed_every_time(kb: KnowledgeBase) -> None:
    """A second assessment on the same base lists the same 27 parameters as the first,
    including a switch read only to gate a route (sledai_2k.accept_upcr, off)."""
    case = load_case(SCLE_CASE, kb)

    first, second = assess(case, kb), assess(case, kb)

    assert len(first.parameters) == 27
    assert second.parameters == first.parameters
    assert first.parameters["sledai_2k.accept_upcr"]["value"] is False


def test_cases_assessed_in_turn_match_alone(kb: KnowledgeBase) -> None:
    """Example 1 (SLEDAI-2K 7, EULAR/ACR 12) and example 2 assessed in turn give exactly the
    output each gives alone."""
    seed, scle = load_case(SEED_CASE, kb), load_case(SCLE_CASE, kb)
    alone = [assessment_to_json(assess(c, load_knowledge())) for c in (seed, scle)]

    in_turn = [assessment_to_json(assess(c, kb)) for c in (seed, scle, seed, scle)]

    assert in_turn == alone * 2
    scores = alone[0]["scores"]
    assert (scores["sledai_2k"]["score"], scores["eular_acr_2019"]["total"]) == (7, 12)


def test_citations_are_fresh_copies(kb: KnowledgeBase) -> None:
    """Changing a citation that `cite` returned does not change the next one (Aringer 2019,
    doi 10.1136/annrheumdis-2018-214819)."""
    first = kb.cite("eular_acr_2019", ["aringer2019"])
    first[0]["url"] = "changed"

    (again,) = kb.cite("eular_acr_2019", ["aringer2019"])

    assert again["url"] == "https://doi.org/10.1136/annrheumdis-2018-214819"
