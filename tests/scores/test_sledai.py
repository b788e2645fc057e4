"""SLEDAI-2K against instruments.md §2 and the worked examples S1-S4 of §7."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.errors import AssessmentError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.knowledge.models.findings import FindingTerm
from clepath.knowledge.models.labs import LabThreshold
from clepath.knowledge.models.sledai_2k import SledaiBand, SledaiDescriptorRow
from clepath.scores import sledai
from tests.scores._factory_sle import (
    AS_OF,
    SLEDAI_ITEMS,
    case,
    example_1,
    example_2,
    finding,
    lab,
)

DAY = AS_OF


def _ids(result: sledai.SledaiResult) -> set[str]:
    return {d.id for d in result.descriptors}


def _with_scheme(scheme: str) -> KnowledgeBase:
    return load_knowledge(overrides={"sledai_2k.band_scheme": scheme})


def _case_scoring(total_ids: list[str]) -> list:
    return [o for name in total_ids for o in SLEDAI_ITEMS[name][1](DAY)]


class TestSledaiWorkedExamples:
    def test_s1_mucocutaneous_and_serology(self, kb: KnowledgeBase) -> None:
        """S1: arthritis, rash, alopecia, oral ulcer, low C3 and anti-dsDNA score 14 (high)."""
        subject = case(
            [
                finding("arthritis", DAY, 3),
                finding("inflammatory_rash", DAY),
                finding("alopecia_nonscarring", DAY),
                finding("oral_ulcers", DAY),
                lab("c3", DAY, 0.7, "g/L", lower=0.9),
                lab("anti_dsdna", DAY, 45, "[iU]/mL", upper=10),
            ]
        )

        result = sledai.score(subject, kb)

        assert 14 == result.score
        assert "high" == result.band
        assert "high" == sledai.score(subject, _with_scheme("B")).band
        assert "high" == sledai.score(subject, _with_scheme("C")).band

    def test_s2_nephritis(self, kb: KnowledgeBase) -> None:
        """S2: casts, haematuria 12/hpf, proteinuria 1.8 g, low C4, anti-dsDNA, WBC 2.6 score 17."""
        subject = case(
            [
                lab("urine_casts", DAY, result="positive"),
                lab("urine_rbc", DAY, 12, "/[HPF]"),
                lab("urine_protein_24h", DAY, 1.8, "g/d"),
                lab("c4", DAY, result="low"),
                lab("anti_dsdna", DAY, result="positive"),
                lab("wbc", DAY, 2.6, "10*9/L"),
            ]
        )

        result = sledai.score(subject, kb)

        assert 17 == result.score
        assert "high" == result.band
        assert "high" == sledai.score(subject, _with_scheme("B")).band

    def test_s3_threshold_traps(self, kb: KnowledgeBase) -> None:
        """S3: seizure 8 + fever 38.6 scores 9; platelets 100, WBC 3.0, protein 0.5 and infected
        pyuria score nothing."""
        subject = case(
            [
                finding("seizure", DAY),
                finding("fever", DAY, 38.6, "Cel"),
                lab("platelets", DAY, 100, "10*9/L"),
                lab("wbc", DAY, 3.0, "10*9/L"),
                lab("urine_protein_24h", DAY, 0.5, "g/d"),
                lab("urine_wbc", DAY, 20, "/[HPF]", attributed_to="urinary tract infection"),
            ]
        )

        result = sledai.score(subject, kb)

        assert 9 == result.score
        assert {"seizure", "fever"} == _ids(result)
        assert "moderate" == result.band
        assert "moderate" == sledai.score(subject, _with_scheme("B")).band
        assert "moderate" == sledai.score(subject, _with_scheme("C")).band
        reason = "pyuria: attributed to urinary tract infection"
        assert any(e.startswith(reason) for e in result.excluded)

    def test_s4_nothing_recorded(self, kb: KnowledgeBase) -> None:
        """S4: with every descriptor absent the score is 0: band none (A), remission (B)."""
        subject = case([])

        result = sledai.score(subject, kb)

        assert 0 == result.score
        assert "none" == result.band
        assert "remission" == sledai.score(subject, _with_scheme("B")).band
        assert 24 == len(result.not_recorded)


class TestSledaiCaseFormatExamples:
    def test_example_1_seed_case(self, kb: KnowledgeBase) -> None:
        """Example 1: rash 2 + low C4 2 + anti-dsDNA 2 + leukopenia 1.3 x10^9/L 1 = 7."""
        result = sledai.score(example_1(), kb)

        assert 7 == result.score
        assert {"rash", "low_complement", "increased_dna_binding", "leukopenia"} == _ids(result)
        assert "arthritis" in result.not_recorded  # joint pain is not arthritis
        leukopenia = next(d for d in result.descriptors if d.id == "leukopenia")
        assert "wbc 1.3 ×10⁹/L on 2019-05-28" == leukopenia.evidence
        assert dt.date(2019, 5, 28) == leukopenia.date

    def test_example_2_scle_patient(self, kb: KnowledgeBase) -> None:
        """Example 2: arthritis 4 + rash 2 + alopecia 2 + low C3 2 + anti-dsDNA 2 = 12; WBC 3.6
        does not score."""
        result = sledai.score(example_2(), kb)

        assert 12 == result.score
        expected = {"arthritis", "rash", "alopecia", "low_complement", "increased_dna_binding"}
        assert expected == _ids(result)
        assert "high" == result.band


class TestSledaiWindow:
    def test_ten_days_before_counts(self, kb: KnowledgeBase) -> None:
        """A result dated exactly 10 days before the assessment is inside the window."""
        subject = case([lab("wbc", AS_OF - dt.timedelta(days=10), 2.0, "10*9/L")])

        result = sledai.score(subject, kb)

        assert 1 == result.score
        assert AS_OF - dt.timedelta(days=10) == result.window_start

    def test_eleven_days_before_does_not(self, kb: KnowledgeBase) -> None:
        """A result dated 11 days before the assessment is outside the 10-day window."""
        subject = case([lab("wbc", AS_OF - dt.timedelta(days=11), 2.0, "10*9/L")])

        result = sledai.score(subject, kb)

        assert 0 == result.score
        assert "leukopenia" in result.not_recorded

    def test_thirty_day_option(self, kb: KnowledgeBase) -> None:
        """SLEDAI-2K-30 reaches back 30 days: day 11 and day 30 count, day 31 does not."""
        subject = case(
            [
                lab("wbc", AS_OF - dt.timedelta(days=11), 2.0, "10*9/L"),
                finding("seizure", AS_OF - dt.timedelta(days=30)),
                finding("psychosis", AS_OF - dt.timedelta(days=31)),
            ]
        )

        result = sledai.score(subject, kb, window_days=30)

        assert 9 == result.score
        assert 30 == result.window_days

    def test_later_results_are_ignored(self, kb: KnowledgeBase) -> None:
        """Nothing dated after as_of is used."""
        subject = case([finding("seizure", AS_OF + dt.timedelta(days=1))])

        assert 0 == sledai.score(subject, kb).score

    def test_other_windows_are_refused(self, kb: KnowledgeBase) -> None:
        """Only the 10- and 30-day windows of the pack are accepted."""
        with pytest.raises(AssessmentError):
            sledai.score(case([]), kb, window_days=14)


class TestSledaiThresholds:
    def test_arthritis_needs_two_joints(self, kb: KnowledgeBase) -> None:
        """Arthritis in 2 joints scores 4 (the >=2 reading); 1 joint scores nothing."""
        assert 4 == sledai.score(case([finding("arthritis", DAY, 2)]), kb).score
        assert 0 == sledai.score(case([finding("arthritis", DAY, 1)]), kb).score

    def test_arthritis_three_joint_option(self) -> None:
        """With the older 'more than 2 joints' reading, 2 joints no longer score."""
        strict = load_knowledge(overrides={"sledai_2k.arthritis_min_joints": 3})

        assert 0 == sledai.score(case([finding("arthritis", DAY, 2)]), strict).score
        assert 4 == sledai.score(case([finding("arthritis", DAY, 3)]), strict).score

    def test_arthritis_without_a_count_is_reported(self, kb: KnowledgeBase) -> None:
        """Arthritis recorded without a joint count cannot be judged and says so."""
        result = sledai.score(case([finding("arthritis", DAY)]), kb)

        assert 0 == result.score
        assert any(e.startswith("arthritis: arthritis on") for e in result.excluded)

    def test_fever_is_strictly_above_38(self, kb: KnowledgeBase) -> None:
        """A temperature of exactly 38.0 C does not score; 38.1 C does."""
        assert 0 == sledai.score(case([finding("fever", DAY, 38.0, "Cel")]), kb).score
        assert 1 == sledai.score(case([finding("fever", DAY, 38.1, "Cel")]), kb).score

    def test_fever_in_fahrenheit(self, kb: KnowledgeBase) -> None:
        """101.3 F (38.5 C) scores fever; 100.4 F (38.0 C) does not."""
        assert 1 == sledai.score(case([finding("fever", DAY, 101.3, "[degF]")]), kb).score
        assert 0 == sledai.score(case([finding("fever", DAY, 100.4, "[degF]")]), kb).score

    def test_wbc_in_cells_per_cubic_millimetre(self, kb: KnowledgeBase) -> None:
        """2900/mm3 is below 3.0 x10^9/L; 3000/mm3 is not."""
        assert 1 == sledai.score(case([lab("wbc", DAY, 2900, "/mm3")]), kb).score
        assert 0 == sledai.score(case([lab("wbc", DAY, 3000, "/mm3")]), kb).score

    def test_haematuria_and_pyuria_are_strictly_above_5(self, kb: KnowledgeBase) -> None:
        """5 cells per high-power field score nothing; 6 score 4 each."""
        five = case([lab("urine_rbc", DAY, 5, "/[HPF]"), lab("urine_wbc", DAY, 5, "/[HPF]")])
        six = case([lab("urine_rbc", DAY, 6, "/[HPF]"), lab("urine_wbc", DAY, 6, "/[HPF]")])

        assert 0 == sledai.score(five, kb).score
        assert 8 == sledai.score(six, kb).score

    def test_complement_without_a_range_cannot_be_judged(self, kb: KnowledgeBase) -> None:
        """A C3 value with no lab range and no result word is reported, not scored."""
        result = sledai.score(case([lab("c3", DAY, 0.6, "g/L")]), kb)

        assert 0 == result.score
        assert any(e.startswith("low_complement: c3 0.6 g/L") for e in result.excluded)

    def test_low_ch50_scores_low_complement(self, kb: KnowledgeBase) -> None:
        """CH50 below the lab's lower limit scores low complement (2)."""
        subject = case([lab("ch50", DAY, 20, "[iU]/mL", lower=41)])

        assert {"low_complement"} == _ids(sledai.score(subject, kb))


class TestSledaiUpcrOption:
    def test_upcr_ignored_by_default(self, kb: KnowledgeBase) -> None:
        """A spot UPCR does not stand in for a 24 h urine unless the option is on, and it is
        reported as recorded but not used, never as not recorded (issue 9 item 6)."""
        result = sledai.score(case([lab("upcr", DAY, 1.2, "mg/mg")]), kb)

        assert 0 == result.score
        assert "proteinuria" not in result.not_recorded
        assert (
            "proteinuria: upcr 1.2 mg/mg on 2024-03-15: recorded, not used "
            "(spot UPCR is not a 24-hour collection)",
        ) == result.recorded_not_used

    def test_upcr_counts_when_switched_on_and_is_flagged(self) -> None:
        """With the option on, UPCR 1.2 mg/mg scores proteinuria and the evidence says so."""
        flagged = load_knowledge(overrides={"sledai_2k.accept_upcr": True})

        result = sledai.score(case([lab("upcr", DAY, 1.2, "mg/mg")]), flagged)

        assert 4 == result.score
        assert "non-original option" in result.descriptors[0].evidence


class TestSledaiAttribution:
    def test_attributed_leukopenia_is_excluded(self, kb: KnowledgeBase) -> None:
        """WBC 2.6 attributed to azathioprine does not score and the exclusion is stated."""
        subject = case([lab("wbc", DAY, 2.6, "10*9/L", attributed_to="azathioprine")])

        result = sledai.score(subject, kb)

        assert 0 == result.score
        assert result.excluded[0].startswith("leukopenia: attributed to azathioprine")
        assert "leukopenia" not in result.not_recorded

    def test_an_unattributed_result_still_scores(self, kb: KnowledgeBase) -> None:
        """An attributed result does not hide another, unattributed one in the window."""
        subject = case(
            [
                lab("wbc", DAY - dt.timedelta(days=3), 2.6, "10*9/L", attributed_to="azathioprine"),
                lab("wbc", DAY, 2.8, "10*9/L"),
            ]
        )

        result = sledai.score(subject, kb)

        assert 1 == result.score
        assert () == result.excluded


class TestSledaiBands:
    @pytest.mark.parametrize(
        ("ids", "total", "band"),
        [
            (["low_complement", "increased_dna_binding", "fever"], 5, "mild"),
            (["arthritis", "rash"], 6, "moderate"),
            (["arthritis", "proteinuria", "rash"], 10, "moderate"),
            (["arthritis", "proteinuria", "rash", "fever"], 11, "high"),
            (["seizure", "psychosis", "rash", "fever"], 19, "high"),
            (["seizure", "psychosis", "arthritis"], 20, "very high"),
        ],
    )
    def test_scheme_a_boundaries(
        self, kb: KnowledgeBase, ids: list[str], total: int, band: str
    ) -> None:
        """Scheme A: 1-5 mild, 6-10 moderate, 11-19 high, 20 or more very high (20 by choice)."""
        result = sledai.score(case(_case_scoring(ids)), kb)

        assert (total, band) == (result.score, result.band)

    def test_default_scheme_is_labelled_unconfirmed(self, kb: KnowledgeBase) -> None:
        """The default band scheme A is a [U] choice and the result says so."""
        result = sledai.score(case([]), kb)

        assert ("A", True) == (result.band_scheme, result.band_unconfirmed)

    def test_scheme_b_is_confirmed_and_has_no_very_high(self) -> None:
        """Scheme B (ARD table) labels 20 'high' and is not flagged unconfirmed."""
        result = sledai.score(
            case(_case_scoring(["seizure", "psychosis", "arthritis"])), _with_scheme("B")
        )

        assert ("B", "high", False) == (result.band_scheme, result.band, result.band_unconfirmed)

    def test_scheme_c_calls_two_none(self) -> None:
        """Scheme C puts 0-2 in 'none' and 3-4 in 'mild'."""
        scheme_c = _with_scheme("C")

        assert "none" == sledai.score(case(_case_scoring(["rash"])), scheme_c).band
        assert "mild" == sledai.score(case(_case_scoring(["rash", "fever"])), scheme_c).band


class TestSledaiProperties:
    @given(st.sets(st.sampled_from(sorted(SLEDAI_ITEMS))), st.sampled_from(sorted(SLEDAI_ITEMS)))
    def test_score_is_bounded_exact_and_monotone(self, chosen: set[str], extra: str) -> None:
        """Any set of descriptors scores the sum of its weights, within 0..105, and adding a
        descriptor never lowers the score."""
        kb = load_knowledge()
        before = sledai.score(case(_case_scoring(sorted(chosen))), kb).score
        after = sledai.score(case(_case_scoring(sorted(chosen | {extra}))), kb).score

        assert before == sum(SLEDAI_ITEMS[name][0] for name in chosen)
        assert 0 <= before <= after <= 105


class TestSledaiPack:
    def test_weights_match_the_instrument(self, kb: KnowledgeBase) -> None:
        """The pack has the 24 descriptors with the weights of §2.1 (total 105)."""
        rows = kb.table("sledai_2k", "descriptors", SledaiDescriptorRow)

        assert {name: weight for name, (weight, _) in SLEDAI_ITEMS.items()} == {
            r.id: r.weight for r in rows
        }
        assert list(range(1, 25)) == sorted(r.number for r in rows)
        assert 105 == sum(r.weight for r in rows)

    def test_every_condition_names_known_terms(self, kb: KnowledgeBase) -> None:
        """Every finding, lab test, threshold and parameter a descriptor reads exists."""
        findings = kb.vocabulary("finding")
        tests = kb.vocabulary("lab_test")
        thresholds = {t.id: t for t in kb.table("labs", "thresholds", LabThreshold)}
        for row in kb.table("sledai_2k", "descriptors", SledaiDescriptorRow):
            for route in row.routes:
                for cond in route:
                    if cond.finding:
                        assert findings.resolve(cond.finding) == cond.finding
                    if cond.lab:
                        assert tests.resolve(cond.lab) == cond.lab
                    if cond.lab_threshold:
                        assert thresholds[cond.lab_threshold].test == cond.lab
                    for param in (cond.threshold_parameter, cond.enabled_by):
                        if param:
                            kb.parameter(f"sledai_2k.{param}")

    def test_bands_cover_every_score_once(self, kb: KnowledgeBase) -> None:
        """Each scheme puts every score 0..105 in exactly one band."""
        bands = kb.table("sledai_2k", "bands", SledaiBand)
        for scheme in ("A", "B", "C"):
            rows = [b for b in bands if b.scheme == scheme]
            for total in range(106):
                top = {b.id: total if b.maximum is None else b.maximum for b in rows}
                hits = [b for b in rows if b.minimum <= total <= top[b.id]]
                assert 1 == len(hits), (scheme, total)


class TestFindingVocabulary:
    REQUIRED = (
        "seizure", "psychosis", "organic_brain_syndrome", "visual_disturbance",
        "cranial_nerve_disorder", "lupus_headache", "cva", "vasculitis", "arthritis",
        "joint_pain", "morning_stiffness", "myositis", "inflammatory_rash", "malar_rash",
        "maculopapular_rash", "alopecia_nonscarring", "oral_ulcers", "nasal_ulcers", "pleurisy",
        "pericarditis", "pleural_effusion", "pericardial_effusion", "fever", "delirium",
        "haemolytic_anaemia", "lupus_nephritis_class_ii_or_v", "lupus_nephritis_class_iii_or_iv",
        "mononeuritis_multiplex", "myelitis", "peripheral_neuropathy", "acute_confusional_state",
    )

    def test_required_findings_exist(self, kb: KnowledgeBase) -> None:
        """Every finding the brief and the case format name is a canonical id."""
        known = set(kb.vocabulary("finding").known())

        assert set(self.REQUIRED) <= known

    def test_value_units(self, kb: KnowledgeBase) -> None:
        """Joint counts are in {joints}, fever in Cel (required), other findings carry none."""
        terms = {t.id: t for t in kb.table("findings", "findings", FindingTerm)}

        assert "{joints}" == terms["arthritis"].value_unit
        assert ("Cel", True) == (terms["fever"].value_unit, terms["fever"].value_required)
        assert terms["seizure"].value_unit is None

    def test_synonyms_resolve(self, kb: KnowledgeBase) -> None:
        """Common clinical wording resolves to the canonical ids."""
        vocab = kb.vocabulary("finding")

        assert "joint_pain" == vocab.resolve("Arthralgia")
        assert "malar_rash" == vocab.resolve("butterfly rash")
        assert "alopecia_nonscarring" == vocab.resolve("Non-scarring alopecia")
        assert "haemolytic_anaemia" == vocab.resolve("hemolytic anemia")
