"""The treatment packs (drugs, glucocorticoids, evidence, pathway): content and cross-references."""

from __future__ import annotations

import pytest

from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.drugs import Drug, TriggerClass, TriggerDrug
from clepath.knowledge.models.evidence import IvigReport, SafetySignal
from clepath.knowledge.models.glucocorticoids import Equivalence
from clepath.knowledge.models.pathway import CautionRule, OptionCandidate, RefractoryDefinition
from clepath.knowledge.models.vocabulary import Frequency

REQUIRED_AGENTS = [
    "topical corticosteroid", "topical tacrolimus", "hydroxychloroquine", "chloroquine",
    "quinacrine", "prednisone", "prednisolone", "methylprednisolone", "deflazacort",
    "methotrexate", "mycophenolate mofetil", "mycophenolic acid", "dapsone", "acitretin",
    "isotretinoin", "thalidomide", "lenalidomide", "azathioprine", "cyclophosphamide",
    "tacrolimus", "ciclosporin", "rituximab", "belimumab", "anifrolumab",
    "intravenous immunoglobulin", "apremilast", "tofacitinib", "baricitinib", "upadacitinib",
    "deucravacitinib", "ustekinumab", "litifilimab",
]


def _drugs(kb: KnowledgeBase) -> dict[str, Drug]:
    return {d.id: d for d in kb.table("drugs", "drugs", Drug)}


class TestDrugVocabulary:
    @pytest.mark.parametrize("agent", REQUIRED_AGENTS)
    def test_every_required_agent_has_a_row(self, kb: KnowledgeBase, agent: str) -> None:
        """Each agent of pathway.md section 4 (and the listed extras) has a drug row."""
        assert agent in _drugs(kb)

    @pytest.mark.parametrize(
        ("term", "canonical"),
        [
            ("HCQ", "hydroxychloroquine"),
            ("Plaquenil", "hydroxychloroquine"),
            ("MTX", "methotrexate"),
            ("MMF", "mycophenolate mofetil"),
            ("CellCept", "mycophenolate mofetil"),
            ("Myfortic", "mycophenolic acid"),
            ("IVIG", "intravenous immunoglobulin"),
            ("IVIg", "intravenous immunoglobulin"),
            ("Privigen", "intravenous immunoglobulin"),
            ("Octagam", "intravenous immunoglobulin"),
            ("mepacrine", "quinacrine"),
            ("Emflaza", "deflazacort"),
            ("cyclosporine", "ciclosporin"),
            ("Saphnelo", "anifrolumab"),
            ("omeprazole", "omeprazole"),
            ("HCTZ", "hydrochlorothiazide"),
        ],
    )
    def test_synonyms_and_brands_resolve(
        self, kb: KnowledgeBase, term: str, canonical: str
    ) -> None:
        """Abbreviations and brand names resolve to the canonical generic id."""
        assert canonical == kb.vocabulary("drug").resolve(term)

    def test_kinds_for_the_refractory_definitions(self, kb: KnowledgeBase) -> None:
        """Antimalarials and immunosuppressants are told apart by `kind`."""
        drugs = _drugs(kb)

        antimalarials = {d for d, r in drugs.items() if r.kind == "antimalarial"}
        immunosuppressants = {d for d, r in drugs.items() if r.kind == "immunosuppressant"}

        assert {"hydroxychloroquine", "chloroquine", "quinacrine"} == antimalarials
        assert {
            "methotrexate", "mycophenolate mofetil", "mycophenolic acid", "azathioprine",
            "cyclophosphamide", "tacrolimus", "ciclosporin",
        } == immunosuppressants


class TestDrugFacts:
    def test_antimalarial_maxima_use_actual_weight(self, kb: KnowledgeBase) -> None:
        """HCQ 5 and chloroquine 2.3 mg/kg/day of actual body weight."""
        drugs = _drugs(kb)

        maxima = {d: drugs[d].maximum for d in ("hydroxychloroquine", "chloroquine")}

        assert {"hydroxychloroquine": (5.0, "actual"), "chloroquine": (2.3, "actual")} == {
            d: (m.mg_per_kg_per_day, m.weight_basis) for d, m in maxima.items() if m
        }

    def test_teratogens(self, kb: KnowledgeBase) -> None:
        """The teratogens are flagged, and HCQ and azathioprine are not."""
        drugs = _drugs(kb)

        flagged = {d for d, r in drugs.items() if r.teratogen}

        assert {
            "methotrexate", "mycophenolate mofetil", "mycophenolic acid", "acitretin",
            "isotretinoin", "thalidomide", "lenalidomide", "cyclophosphamide",
        } == flagged

    def test_ivig_is_not_recommended_per_the_seed_statement(self, kb: KnowledgeBase) -> None:
        """IVIG: Kuhn 2017 not recommended, sourced to Singh 2020, tag S."""
        kuhn = _drugs(kb)["intravenous immunoglobulin"].stances[0]

        assert ("kuhn2017", "not_recommended", "singh2020", "S") == (
            kuhn.guideline, kuhn.stance, kuhn.source, kuhn.tag
        )

    def test_nested_sources_resolve(self, kb: KnowledgeBase) -> None:
        """Every stance and maximum cites a source of the drugs manifest."""
        ids = {s.id for s in kb.pack("drugs").manifest.sources}

        cited = {s.source for d in _drugs(kb).values() for s in d.stances}
        cited |= {d.maximum.source for d in _drugs(kb).values() if d.maximum}

        assert cited <= ids

    def test_frequencies_and_routes_are_known(self, kb: KnowledgeBase) -> None:
        """Usual frequencies are ids of the frequency vocabulary."""
        known = {f.id for f in kb.table("vocabulary", "frequencies", Frequency)}

        used = {f for d in _drugs(kb).values() for f in d.frequencies}

        assert used <= known

    def test_trigger_drugs_name_known_classes(self, kb: KnowledgeBase) -> None:
        """Every trigger drug and every drug's `cle_trigger` names a trigger class."""
        classes = {c.id for c in kb.table("drugs", "trigger_classes", TriggerClass)}
        named = {t.trigger_class for t in kb.table("drugs", "trigger_drugs", TriggerDrug)}
        named |= {d.cle_trigger for d in _drugs(kb).values() if d.cle_trigger}

        assert named <= classes


class TestGlucocorticoidPack:
    def test_every_systemic_glucocorticoid_has_an_equivalence(self, kb: KnowledgeBase) -> None:
        """Each glucocorticoid drug row has a prednisone equivalence, and vice versa."""
        gcs = {d for d, r in _drugs(kb).items() if r.kind == "glucocorticoid"}

        equivalences = {e.id for e in kb.table("glucocorticoids", "equivalences", Equivalence)}

        assert gcs == equivalences


class TestCrossReferences:
    def test_pathway_agents_exist(self, kb: KnowledgeBase) -> None:
        """Candidates, caution rules and definitions name only known drugs and kinds."""
        drugs = _drugs(kb)
        kinds = {r.kind for r in drugs.values()}

        named = {c.agent for c in kb.table("pathway", "candidates", OptionCandidate)}
        rules = kb.table("pathway", "cautions", CautionRule)
        named |= {a for r in rules for a in (*r.agents, *r.with_agents)}
        defs = kb.table("pathway", "definitions", RefractoryDefinition)
        named |= {a for d in defs for a in (*d.antimalarials, *d.second_line_agents,
                                             *d.severe_agents)}
        named |= {s.agent for s in kb.table("evidence", "signals", SafetySignal)}

        assert named <= set(drugs)
        assert {k for r in rules for k in r.kinds} <= kinds
        assert {k for d in defs for k in d.immunosuppressant_kinds} <= kinds

    def test_definition_parameters_exist(self, kb: KnowledgeBase) -> None:
        """Every parameter a definition reads is a pathway parameter."""
        params = kb.parameters()

        used = {p for d in kb.table("pathway", "definitions", RefractoryDefinition)
                for p in d.parameters}

        assert {f"pathway.{p}" for p in used} <= set(params)


class TestEvidencePack:
    def test_ivig_reports(self, kb: KnowledgeBase) -> None:
        """Ten IVIG-in-CLE reports, 35 patients with a stated outcome."""
        reports = kb.table("evidence", "ivig_reports", IvigReport)

        assert 10 == len(reports)
        assert 35 == sum(r.counted_patients or 0 for r in reports)
        assert "CR" == next(r.response for r in reports if r.id == "singh2020")

    def test_ky_flare_signal(self, kb: KnowledgeBase) -> None:
        """Ky 2015: 3 of 16 temporary flares."""
        flare = next(s for s in kb.table("evidence", "signals", SafetySignal)
                     if s.id == "ivig_flare")

        assert (3, 16) == (flare.numerator, flare.denominator)
