"""2019 EULAR/ACR classification criteria against instruments.md §3 and examples E1-E5 of §7."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from clepath.domain.dates import PartialDate
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.knowledge.models.eular_acr_2019 import EularAcrCriterionRow, EularAcrDomain
from clepath.knowledge.models.findings import CleSubtypeRule
from clepath.knowledge.models.labs import LabThreshold
from clepath.scores import eular_acr
from tests.scores._factory_sle import (
    AS_OF,
    EULAR_ITEMS,
    case,
    cle,
    example_1,
    example_2,
    finding,
    lab,
)

DAY = AS_OF
EARLIER = dt.date(2022, 5, 1)
SUBTYPES = (
    "ACLE_LOCALIZED", "ACLE_GENERALIZED", "SCLE_ANNULAR", "SCLE_PAPULOSQUAMOUS",
    "SCLE_DRUG_INDUCED", "DLE_LOCALIZED", "DLE_GENERALIZED", "DLE_HYPERTROPHIC_VERRUCOUS",
    "LUPUS_PANNICULITIS_PROFUNDUS", "DLE_MUCOSAL", "LE_TUMIDUS", "CHILBLAIN_LE",
    "LICHENOID_DLE_LP_OVERLAP", "unspecified",
)


def _counted(result: eular_acr.EularAcrResult) -> set[str]:
    return {c.criterion for c in result.criteria if c.counted}


class TestEularAcrWorkedExamples:
    def test_e1_classified(self, kb: KnowledgeBase) -> None:
        """E1: ACLE 6 (over ulcers and alopecia) + synovitis 6 + low C3 and C4 4 + anti-dsDNA 6
        = 22, classified."""
        subject = case(
            [
                lab("ana", EARLIER, titre=160),
                finding("malar_rash", EARLIER),
                finding("oral_ulcers", EARLIER),
                finding("alopecia_nonscarring", EARLIER),
                finding("arthritis", EARLIER, 4),
                lab("c3", EARLIER, 0.6, "g/L", lower=0.9),
                lab("c4", EARLIER, 0.05, "g/L", lower=0.1),
                lab("anti_dsdna", EARLIER, 200, "[iU]/mL", upper=10),
            ]
        )

        result = eular_acr.classify(subject, kb)

        assert (True, 22, True) == (result.entry_criterion, result.total, result.classified)
        assert {
            "mucocutaneous": 6, "musculoskeletal": 6, "complement": 4, "sle_specific_antibodies": 6
        } == result.domains
        assert {"acle", "joint_involvement", "low_c3_and_c4", "anti_dsdna_or_anti_sm"} == _counted(
            result
        )

    def test_e2_cle_patient_at_threshold(self, kb: KnowledgeBase) -> None:
        """E2: DLE 4 + leukopenia 3.5 3 + low C3 only 3 = 10, classified; negative antibodies
        add nothing."""
        subject = case(
            [
                lab("ana", EARLIER, titre=320),
                lab("wbc", DAY, 3.5, "10*9/L"),
                lab("c3", DAY, 0.7, "g/L", lower=0.9),
                lab("c4", DAY, 0.2, "g/L", lower=0.1),
                lab("anti_dsdna", DAY, result="negative"),
                lab("anti_sm", DAY, result="negative"),
            ],
            cle_entries=[cle("DLE_LOCALIZED", PartialDate(2020))],
        )

        result = eular_acr.classify(subject, kb)

        assert (10, True) == (result.total, result.classified)
        assert {"scle_or_dle", "leukopenia", "low_c3_or_c4"} == _counted(result)

    def test_e2_variant_attributed_leukopenia(self, kb: KnowledgeBase) -> None:
        """E2 variant: leukopenia attributed to azathioprine is not counted: 7, not classified."""
        subject = case(
            [
                lab("ana", EARLIER, titre=320),
                lab("wbc", DAY, 3.5, "10*9/L", attributed_to="azathioprine"),
                lab("c3", DAY, 0.7, "g/L", lower=0.9),
            ],
            cle_entries=[cle("DLE_LOCALIZED")],
        )

        result = eular_acr.classify(subject, kb)

        assert (7, False) == (result.total, result.classified)
        assert any("attributed to azathioprine" in n for n in result.notes)

    def test_e3_entry_fails(self, kb: KnowledgeBase) -> None:
        """E3: ANA only ever 1:40; class IV nephritis 10 + anti-dsDNA 6 = 16, not classified."""
        subject = case(
            [
                lab("ana", EARLIER, titre=40),
                finding("lupus_nephritis_class_iii_or_iv", DAY),
                lab("anti_dsdna", DAY, result="positive"),
            ]
        )

        result = eular_acr.classify(subject, kb)

        assert (False, 16, False) == (result.entry_criterion, result.total, result.classified)

    def test_e4_no_clinical_criterion(self, kb: KnowledgeBase) -> None:
        """E4: anti-Sm 6 + low C3 and C4 4 + lupus anticoagulant 2 = 12, but no clinical
        criterion: not classified."""
        subject = case(
            [
                lab("ana", EARLIER, titre=640),
                lab("anti_sm", DAY, result="positive"),
                lab("c3", DAY, result="low"),
                lab("c4", DAY, result="low"),
                lab("lupus_anticoagulant", DAY, result="positive"),
            ]
        )

        result = eular_acr.classify(subject, kb)

        assert (12, False, False) == (
            result.total, result.clinical_criterion_met, result.classified
        )

    def test_e5_domain_maxima(self, kb: KnowledgeBase) -> None:
        """E5: fever 2 + haematologic 4 (of 3, 4, 4) + mucocutaneous 4 (of 4, 2) = 10, classified;
        the naive sum would be 19."""
        subject = case(
            [
                lab("ana", EARLIER, titre=80),
                finding("fever", DAY, 38.9, "Cel"),
                lab("wbc", DAY, 3.5, "10*9/L"),
                lab("platelets", DAY, 80, "10*9/L"),
                lab("reticulocytes", DAY, 180, "10*9/L", upper=100),
                lab("direct_coombs", DAY, result="positive"),
                finding("alopecia_nonscarring", DAY),
            ],
            cle_entries=[cle("SCLE_PAPULOSQUAMOUS")],
        )

        result = eular_acr.classify(subject, kb)

        assert (10, True) == (result.total, result.classified)
        assert {"constitutional": 2, "haematologic": 4, "mucocutaneous": 4} == result.domains
        assert 19 == sum(c.points for c in result.criteria)
        assert 3 == sum(1 for c in result.criteria if c.counted)


class TestEularAcrCaseFormatExamples:
    def test_example_1_without_ana(self, kb: KnowledgeBase) -> None:
        """Example 1: no ANA, so entry and classification are unknown; leukopenia 3 + low C4 3 +
        anti-dsDNA 6 = 12 points would count."""
        result = eular_acr.classify(example_1(), kb)

        assert (None, 12, None) == (result.entry_criterion, result.total, result.classified)
        assert {"haematologic": 3, "complement": 3, "sle_specific_antibodies": 6} == result.domains
        assert "ana" in result.missing
        assert any("No ANA recorded" in n for n in result.notes)
        assert any("unspecified" in n for n in result.notes)

    def test_example_2_classified(self, kb: KnowledgeBase) -> None:
        """Example 2: SCLE 4 (over alopecia 2) + joints 6 + leukopenia 3 + low C3 3 + anti-dsDNA 6
        = 22, classified."""
        result = eular_acr.classify(example_2(), kb)

        assert (True, 22, True) == (result.entry_criterion, result.total, result.classified)
        assert "ana 1:640 on 2021-10-04" == result.entry_evidence
        alopecia = next(c for c in result.criteria if c.criterion == "alopecia_nonscarring")
        assert (2, False) == (alopecia.points, alopecia.counted)
        assert {
            "haematologic": 3,
            "mucocutaneous": 4,
            "musculoskeletal": 6,
            "complement": 3,
            "sle_specific_antibodies": 6,
        } == result.domains


class TestEularAcrEntry:
    def test_titre_of_1_80_meets_entry(self, kb: KnowledgeBase) -> None:
        """An ANA of exactly 1:80 meets the entry criterion."""
        assert eular_acr.classify(case([lab("ana", DAY, titre=80)]), kb).entry_criterion is True

    def test_positive_without_titre_meets_entry(self, kb: KnowledgeBase) -> None:
        """A positive ANA screen without a titre stands for an equivalent positive test."""
        result = eular_acr.classify(case([lab("ana", DAY, result="positive")]), kb)

        assert result.entry_criterion is True

    def test_negative_ana_fails_entry(self, kb: KnowledgeBase) -> None:
        """A negative ANA makes the entry criterion false and classification false."""
        subject = case([lab("ana", DAY, result="negative"), finding("seizure", DAY)])

        result = eular_acr.classify(subject, kb)

        assert (False, False) == (result.entry_criterion, result.classified)

    def test_one_qualifying_ana_ever_is_enough(self, kb: KnowledgeBase) -> None:
        """A later negative ANA does not undo an earlier 1:160."""
        subject = case([lab("ana", EARLIER, titre=160), lab("ana", DAY, result="negative")])

        assert eular_acr.classify(subject, kb).entry_criterion is True

    def test_unknown_entry_with_too_few_points_is_still_unknown(self, kb: KnowledgeBase) -> None:
        """Without an ANA, classification stays unknown but the note says points fall short."""
        result = eular_acr.classify(case([finding("oral_ulcers", DAY)]), kb)

        assert (None, 2, None) == (result.entry_criterion, result.total, result.classified)
        assert any("would not classify" in n for n in result.notes)


class TestEularAcrDefinitions:
    def test_fever_is_strictly_above_38_3(self, kb: KnowledgeBase) -> None:
        """38.3 C does not count; 38.4 C does."""
        at = eular_acr.classify(case([finding("fever", DAY, 38.3, "Cel")]), kb)
        above = eular_acr.classify(case([finding("fever", DAY, 38.4, "Cel")]), kb)

        assert (0, 2) == (at.total, above.total)

    def test_leukopenia_is_strictly_below_4(self, kb: KnowledgeBase) -> None:
        """WBC 4.0 does not count; 3.9 does (3 points)."""
        assert 0 == eular_acr.classify(case([lab("wbc", DAY, 4.0, "10*9/L")]), kb).total
        assert 3 == eular_acr.classify(case([lab("wbc", DAY, 3.9, "10*9/L")]), kb).total

    def test_tenderness_needs_morning_stiffness(self, kb: KnowledgeBase) -> None:
        """Tenderness in 3 joints counts only with 30 minutes of morning stiffness."""
        tender = [finding("joint_tenderness", DAY, 3)]

        assert 0 == eular_acr.classify(case(tender), kb).total
        with_stiffness = case([*tender, finding("morning_stiffness", EARLIER)])
        assert 6 == eular_acr.classify(with_stiffness, kb).total

    def test_joint_pain_does_not_count(self, kb: KnowledgeBase) -> None:
        """Reported joint pain is not joint involvement."""
        assert 0 == eular_acr.classify(case([finding("joint_pain", DAY, 4)]), kb).total

    def test_spot_upcr_counts_as_proteinuria(self, kb: KnowledgeBase) -> None:
        """A spot UPCR of 0.8 mg/mg is an accepted equivalent of proteinuria above 0.5 g/24 h."""
        assert 4 == eular_acr.classify(case([lab("upcr", DAY, 0.8, "mg/mg")]), kb).total

    def test_haemolysis_needs_coombs(self, kb: KnowledgeBase) -> None:
        """Low haptoglobin without a positive direct Coombs test is not autoimmune haemolysis."""
        subject = case([lab("haptoglobin", DAY, 0.05, "g/L", lower=0.3)])

        assert 0 == eular_acr.classify(subject, kb).total

    def test_drug_induced_scle_counts_with_unconfirmed_note(self, kb: KnowledgeBase) -> None:
        """Drug-induced SCLE is counted as SCLE and the mapping is labelled unconfirmed."""
        result = eular_acr.classify(case([], cle_entries=[cle("SCLE_DRUG_INDUCED")]), kb)

        assert 4 == result.total
        assert any("unconfirmed mapping" in n for n in result.notes)

    def test_tumidus_counts_for_nothing(self, kb: KnowledgeBase) -> None:
        """LE tumidus is not among the EULAR/ACR skin criteria, and the output says so."""
        result = eular_acr.classify(case([], cle_entries=[cle("LE_TUMIDUS")]), kb)

        assert 0 == result.total
        assert any("LE_TUMIDUS" in n for n in result.notes)

    def test_later_observations_are_ignored(self, kb: KnowledgeBase) -> None:
        """Nothing dated after as_of counts, including a CLE subtype starting later."""
        later = AS_OF + dt.timedelta(days=2)
        subject = case(
            [finding("seizure", later)], cle_entries=[cle("SCLE_ANNULAR", PartialDate(2025))]
        )

        assert 0 == eular_acr.classify(subject, kb).total


class TestEularAcrProperties:
    @given(st.sets(st.sampled_from(sorted(EULAR_ITEMS))))
    def test_total_is_bounded_and_one_criterion_per_domain(self, chosen: set[str]) -> None:
        """Any set of criteria totals at most 51, counts one criterion per domain, and the total
        is the sum of each domain's highest weight."""
        kb = load_knowledge()
        observations = [o for name in sorted(chosen) for o in EULAR_ITEMS[name][2](DAY)]
        result = eular_acr.classify(case([lab("ana", DAY, titre=160), *observations]), kb)

        counted = [c.domain for c in result.criteria if c.counted]
        best: dict[str, int] = {}
        for name in chosen:
            domain, points, _ = EULAR_ITEMS[name]
            best[domain] = max(best.get(domain, 0), points)
        assert len(counted) == len(set(counted))
        assert sum(best.values()) == result.total
        assert 0 <= result.total <= 51


class TestEularAcrPack:
    def test_weights_and_maximum(self, kb: KnowledgeBase) -> None:
        """The criteria carry the §3.2 weights; domain maxima sum to 51 (clinical 39 + 12)."""
        rows = kb.table("eular_acr_2019", "criteria", EularAcrCriterionRow)
        kinds = {d.id: d.kind for d in kb.table("eular_acr_2019", "domains", EularAcrDomain)}
        expected = {name: (domain, points) for name, (domain, points, _) in EULAR_ITEMS.items()}
        expected["scle_or_dle"] = ("mucocutaneous", 4)
        maxima: dict[str, int] = {}
        for row in rows:
            maxima[row.domain] = max(maxima.get(row.domain, 0), row.points)

        assert expected == {r.id: (r.domain, r.points) for r in rows}
        assert 39 == sum(v for d, v in maxima.items() if kinds[d] == "clinical")
        assert 12 == sum(v for d, v in maxima.items() if kinds[d] == "immunologic")

    def test_every_subtype_is_mapped(self, kb: KnowledgeBase) -> None:
        """Every CLE subtype of the classification enum has a row; ACLE and SCLE/DLE map right."""
        rules = {r.subtype: r for r in kb.table("eular_acr_2019", "cle_subtypes", CleSubtypeRule)}

        assert set(SUBTYPES) == set(rules)
        assert "acle" == rules["ACLE_LOCALIZED"].criterion
        assert "scle_or_dle" == rules["SCLE_ANNULAR"].criterion
        assert "scle_or_dle" == rules["DLE_GENERALIZED"].criterion
        assert rules["unspecified"].criterion is None
        if "cle_subtype" in kb.vocabularies:
            vocab = kb.vocabulary("cle_subtype")
            assert all(vocab.resolve(s) == s for s in SUBTYPES)

    def test_every_condition_names_known_terms(self, kb: KnowledgeBase) -> None:
        """Every finding, lab test and threshold a criterion reads exists."""
        findings = kb.vocabulary("finding")
        tests = kb.vocabulary("lab_test")
        thresholds = {t.id: t for t in kb.table("labs", "thresholds", LabThreshold)}
        for row in kb.table("eular_acr_2019", "criteria", EularAcrCriterionRow):
            for route in row.routes:
                for cond in route:
                    if cond.finding:
                        assert findings.resolve(cond.finding) == cond.finding
                    if cond.lab:
                        assert tests.resolve(cond.lab) == cond.lab
                    if cond.lab_threshold:
                        assert thresholds[cond.lab_threshold].test == cond.lab
