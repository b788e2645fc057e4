"""SLICC 2012 classification criteria against instruments.md §4 and examples L1-L4 of §7."""

from __future__ import annotations

import datetime as dt

from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.findings import CleSubtypeRule
from clepath.knowledge.models.labs import LabThreshold
from clepath.knowledge.models.slicc_2012 import SliccCriterionRow
from clepath.scores import slicc
from tests.scores._factory_sle import AS_OF, case, cle, example_1, example_2, finding, lab

DAY = AS_OF
EARLIER = dt.date(2019, 2, 1)


def _numbers(result: slicc.SliccResult) -> set[tuple[str, int]]:
    return {(c.kind, c.number) for c in result.criteria}


class TestSliccWorkedExamples:
    def test_l1_skin_criteria_count_once_each(self, kb: KnowledgeBase) -> None:
        """L1: malar rash and SCLE are one criterion (1); with DLE (2), oral ulcers (3) and ANA:
        3 clinical + 1 immunologic = 4, classified."""
        subject = case(
            [
                finding("malar_rash", EARLIER),
                finding("oral_ulcers", DAY),
                lab("ana", EARLIER, result="positive"),
            ],
            cle_entries=[cle("SCLE_ANNULAR"), cle("DLE_LOCALIZED")],
        )

        result = slicc.classify(subject, kb)

        assert {("clinical", 1), ("clinical", 2), ("clinical", 3), ("immunologic", 1)} == _numbers(
            result
        )
        assert (3, 1, True) == (result.clinical_count, result.immunologic_count, result.classified)
        assert 4 == len(result.criteria)

    def test_l2_no_immunologic_criterion(self, kb: KnowledgeBase) -> None:
        """L2: four clinical criteria and no immunologic one: not classified."""
        subject = case(
            [
                finding("malar_rash", DAY),
                finding("alopecia_nonscarring", DAY),
                finding("arthritis", DAY, 2),
                finding("pleurisy", EARLIER),
            ]
        )

        result = slicc.classify(subject, kb)

        assert (4, 0, False) == (result.clinical_count, result.immunologic_count, result.classified)

    def test_l3_nephritis_route(self, kb: KnowledgeBase) -> None:
        """L3: biopsy-proven class IV nephritis with a positive ANA classifies on its own."""
        subject = case(
            [
                finding("lupus_nephritis_class_iii_or_iv", DAY),
                lab("ana", EARLIER, result="positive"),
            ]
        )

        result = slicc.classify(subject, kb)

        assert (True, True) == (result.nephritis_route, result.classified)
        assert (0, 1) == (result.clinical_count, result.immunologic_count)

    def test_l4_coombs_rule(self, kb: KnowledgeBase) -> None:
        """L4: haemolytic anaemia voids the positive Coombs test; with lymphopenia 800/mm3 and ANA:
        2 clinical + 1 immunologic = 3, not classified."""
        subject = case(
            [
                finding("haemolytic_anaemia", DAY),
                lab("direct_coombs", DAY, result="positive"),
                lab("lymphocytes", DAY, 0.8, "10*9/L"),
                lab("ana", EARLIER, result="positive"),
            ]
        )

        result = slicc.classify(subject, kb)

        assert {("clinical", 9), ("clinical", 10), ("immunologic", 1)} == _numbers(result)
        assert (2, 1, False) == (result.clinical_count, result.immunologic_count, result.classified)
        assert any(n.startswith("direct_coombs not counted") for n in result.notes)


class TestSliccCaseFormatExamples:
    def test_example_1_three_criteria(self, kb: KnowledgeBase) -> None:
        """Example 1: leukopenia, anti-dsDNA and low C4 are 3 criteria; no ANA: not classified."""
        result = slicc.classify(example_1(), kb)

        assert {("clinical", 10), ("immunologic", 2), ("immunologic", 5)} == _numbers(result)
        assert result.classified is False
        assert "ana" in result.missing
        assert any("unspecified" in n for n in result.notes)

    def test_example_2_classified(self, kb: KnowledgeBase) -> None:
        """Example 2: SCLE, alopecia, synovitis and leukopenia (4 clinical) with ANA, anti-dsDNA
        and low complement (3 immunologic): classified."""
        result = slicc.classify(example_2(), kb)

        assert (4, 3, True) == (result.clinical_count, result.immunologic_count, result.classified)
        assert result.nephritis_route is False


class TestSliccDefinitions:
    def test_nephritis_without_serology_does_not_classify(self, kb: KnowledgeBase) -> None:
        """Biopsy-proven nephritis without ANA or anti-dsDNA is not the nephritis route."""
        result = slicc.classify(case([finding("lupus_nephritis", DAY)]), kb)

        assert (False, False) == (result.nephritis_route, result.classified)
        assert any("nephritis route is not met" in n for n in result.notes)

    def test_nephritis_with_anti_dsdna_classifies(self, kb: KnowledgeBase) -> None:
        """Biopsy-proven nephritis of unstated class with anti-dsDNA classifies."""
        subject = case(
            [finding("lupus_nephritis", DAY), lab("anti_dsdna", DAY, 50, "[iU]/mL", upper=10)]
        )

        assert slicc.classify(subject, kb).classified is True

    def test_lymphopenia_is_strictly_below_1000(self, kb: KnowledgeBase) -> None:
        """Lymphocytes of exactly 1000/mm3 do not count; 990/mm3 do."""
        at = slicc.classify(case([lab("lymphocytes", DAY, 1.0, "10*9/L")]), kb)
        below = slicc.classify(case([lab("lymphocytes", DAY, 0.99, "10*9/L")]), kb)

        assert (0, 1) == (at.clinical_count, below.clinical_count)

    def test_attributed_lymphopenia_is_not_counted(self, kb: KnowledgeBase) -> None:
        """Lymphopenia attributed to glucocorticoids has another cause and does not count."""
        subject = case([lab("lymphocytes", DAY, 0.6, "10*9/L", attributed_to="prednisolone")])

        result = slicc.classify(subject, kb)

        assert 0 == result.clinical_count
        assert any("attributed to prednisolone" in n for n in result.notes)

    def test_renal_counts_from_500_mg(self, kb: KnowledgeBase) -> None:
        """24 h protein of exactly 0.5 g represents 500 mg and meets the renal criterion."""
        result = slicc.classify(case([lab("urine_protein_24h", DAY, 0.5, "g/d")]), kb)

        assert {("clinical", 7)} == _numbers(result)

    def test_tumidus_is_chronic_cutaneous_lupus(self, kb: KnowledgeBase) -> None:
        """LE tumidus meets clinical criterion 2 in SLICC."""
        result = slicc.classify(case([], cle_entries=[cle("LE_TUMIDUS")]), kb)

        assert {("clinical", 2)} == _numbers(result)

    def test_ana_bare_titre_uses_the_unconfirmed_cut_off(self, kb: KnowledgeBase) -> None:
        """A bare ANA titre of 1:80 counts as above the range, labelled as a [U] default."""
        result = slicc.classify(case([lab("ana", DAY, titre=80)]), kb)

        assert {("immunologic", 1)} == _numbers(result)
        assert any("configurable default, unconfirmed" in n for n in result.notes)

    def test_anti_dsdna_elisa_caveat(self, kb: KnowledgeBase) -> None:
        """A counted anti-dsDNA carries the ELISA twice-the-range caveat."""
        result = slicc.classify(case([lab("anti_dsdna", DAY, 12, "[iU]/mL", upper=10)]), kb)

        assert any("twice the reference range" in n for n in result.notes)

    def test_later_observations_are_ignored(self, kb: KnowledgeBase) -> None:
        """Nothing dated after as_of counts."""
        later = AS_OF + dt.timedelta(days=1)

        assert () == slicc.classify(case([finding("seizure", later)]), kb).criteria


class TestSliccPack:
    def test_seventeen_numbered_criteria(self, kb: KnowledgeBase) -> None:
        """The pack has clinical criteria 1-11 and immunologic criteria 1-6, once each."""
        rows = kb.table("slicc_2012", "criteria", SliccCriterionRow)

        assert list(range(1, 12)) == sorted(r.number for r in rows if r.kind == "clinical")
        assert list(range(1, 7)) == sorted(r.number for r in rows if r.kind == "immunologic")

    def test_every_subtype_is_mapped(self, kb: KnowledgeBase) -> None:
        """Every CLE subtype has a row; ACLE/SCLE map to criterion 1, CCLE forms to 2."""
        table = kb.table("slicc_2012", "cle_subtypes", CleSubtypeRule)
        rules = {r.subtype: r.criterion for r in table}
        acute = {s for s, c in rules.items() if c == "acute_or_subacute_cle"}

        assert 14 == len(rules)
        assert {
            "ACLE_LOCALIZED",
            "ACLE_GENERALIZED",
            "SCLE_ANNULAR",
            "SCLE_PAPULOSQUAMOUS",
            "SCLE_DRUG_INDUCED",
        } == acute
        assert 8 == sum(1 for c in rules.values() if c == "chronic_cle")
        assert rules["unspecified"] is None

    def test_every_condition_names_known_terms(self, kb: KnowledgeBase) -> None:
        """Every finding, lab test, threshold and exclusion a criterion names exists."""
        rows = kb.table("slicc_2012", "criteria", SliccCriterionRow)
        ids = {r.id for r in rows}
        findings = kb.vocabulary("finding")
        tests = kb.vocabulary("lab_test")
        thresholds = {t.id: t for t in kb.table("labs", "thresholds", LabThreshold)}
        for row in rows:
            assert set(row.not_counted_with) <= ids
            for route in row.routes:
                for cond in route:
                    if cond.finding:
                        assert findings.resolve(cond.finding) == cond.finding
                    if cond.lab:
                        assert tests.resolve(cond.lab) == cond.lab
                    if cond.lab_threshold:
                        assert thresholds[cond.lab_threshold].test == cond.lab
