"""SLEDAI-2K reads what the case holds (issue 9 item 6): CLASI examinations inside the window,
the acute cutaneous lupus findings, and a spot UPCR reported as recorded but not used.

Each mapping is a switch in the sledai_2k pack; every test names the switch it turns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.domain.case import Case, ClasiExam
from clepath.engine.assess import assess
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.report.assessment_json import assessment_to_json
from clepath.scores import sledai
from tests.scores._factory_clasi import exam, valid_exams
from tests.scores._factory_sle import AS_OF, case, cle, finding, lab

ACLE_EXAM = exam(
    AS_OF,
    {"nose_malar": {"erythema": 3}},
    mucous_membrane=1,
    recent_hair_loss=1,
    nonscarring_alopecia=2,
)


def _with_exams(subject: Case, *exams: ClasiExam) -> Case:
    return dataclasses.replace(subject, clasi=tuple(sorted(exams, key=lambda e: e.date)))


def _acle_case(*exams: ClasiExam) -> Case:
    return _with_exams(case(cle_entries=[cle("ACLE_LOCALIZED")]), *exams)


def _scores(result: sledai.SledaiResult) -> dict[str, int]:
    return {d.id: d.weight for d in result.descriptors}


def _off(*switches: str) -> KnowledgeBase:
    return load_knowledge(overrides={f"sledai_2k.{s}": False for s in switches})


class TestAcleCase:
    def test_clasi_exam_scores_rash_alopecia_and_mucosal_ulcers(self, kb: KnowledgeBase) -> None:
        """Malar erythema 3, a mucosal lesion, hair loss and alopecia 2 score 2 + 2 + 2 = 6."""
        result = sledai.score(_acle_case(ACLE_EXAM), kb)

        assert 6 == result.score
        assert {"rash": 2, "alopecia": 2, "mucosal_ulcers": 2} == _scores(result)

    def test_each_descriptor_names_the_examination(self, kb: KnowledgeBase) -> None:
        """Every scored descriptor's source is the CLASI examination of 2024-03-15."""
        result = sledai.score(_acle_case(ACLE_EXAM), kb)
        by_id = {d.id: d for d in result.descriptors}

        assert {("clasi", AS_OF)} == {(s.kind, s.date) for d in result.descriptors
                                      for s in d.sources}
        assert "erythema" == by_id["rash"].sources[0].item
        assert "CLASI examination on 2024-03-15: erythema 3 (Nose (incl. malar area))" == (
            by_id["rash"].evidence
        )
        assert "mucous membrane lesions 1" in by_id["mucosal_ulcers"].evidence
        assert "a CLASI mucosal lesion taken as an ulcer" in by_id["mucosal_ulcers"].evidence

    def test_json_carries_the_provenance(self, kb: KnowledgeBase) -> None:
        """The assessment JSON names kind, item and date of each descriptor's source."""
        document = assessment_to_json(assess(_acle_case(ACLE_EXAM), kb))
        descriptors = document["scores"]["sledai_2k"]["descriptors"]

        assert [("rash", "clasi", "erythema", "2024-03-15"),
                ("alopecia", "clasi", "nonscarring_alopecia", "2024-03-15"),
                ("mucosal_ulcers", "clasi", "mucous_membrane", "2024-03-15")] == [
            (d["id"], d["sources"][0]["kind"], d["sources"][0]["item"], d["sources"][0]["date"])
            for d in descriptors
        ]

    def test_json_matches_the_schema(self, kb: KnowledgeBase) -> None:
        """The ACLE assessment, with provenance and a future date alert, validates."""
        import json
        from importlib import resources

        import jsonschema

        schema = json.loads(
            resources.files("clepath.schemas").joinpath("assessment.schema.json").read_text()
        )
        subject = _with_exams(case([lab("upcr", AS_OF, 0.9, "mg/mg")],
                                   cle_entries=[cle("ACLE_LOCALIZED")]), ACLE_EXAM)

        document = assessment_to_json(assess(subject, kb, today=AS_OF - dt.timedelta(days=1)))

        jsonschema.validate(document, schema)
        assert {"future_date"} <= {a["code"] for a in document["alerts"]}

    def test_terminal_report_names_the_examination(self, kb: KnowledgeBase) -> None:
        """The terminal report shows SLEDAI-2K 6 with 'CLASI examination on 2024-03-15'."""
        from rich.console import Console

        from clepath.report.assessment_terminal import render_assessment

        console = Console(record=True, width=400)
        render_assessment(assess(_acle_case(ACLE_EXAM), kb), console)
        text = console.export_text()

        assert "6 (moderate" in text
        assert "Mucosal ulcers 2 (CLASI examination on 2024-03-15" in text


class TestSwitches:
    @pytest.mark.parametrize(
        ("switch", "lost"),
        [
            ("clasi_erythema_scores_rash", "rash"),
            ("clasi_mucosal_lesion_scores_ulcers", "mucosal_ulcers"),
        ],
    )
    def test_switch_off_drops_the_descriptor(self, switch: str, lost: str) -> None:
        """With one CLASI mapping off, its descriptor no longer scores: total 6 - 2 = 4."""
        result = sledai.score(_acle_case(ACLE_EXAM), _off(switch))

        assert 4 == result.score
        assert lost not in _scores(result)
        assert any(f"{switch} is off" in text for text in result.recorded_not_used)

    def test_alopecia_needs_both_alopecia_switches_off(self) -> None:
        """Non-scarring alopecia 2 or recent hair loss 1 each score alopecia; with both off, 4."""
        alopecia_only = _off("clasi_alopecia_scores_alopecia")
        hair_loss_only = _off("clasi_hair_loss_scores_alopecia")
        neither = _off("clasi_alopecia_scores_alopecia", "clasi_hair_loss_scores_alopecia")

        assert (6, 6, 4) == tuple(
            sledai.score(_acle_case(ACLE_EXAM), k).score
            for k in (alopecia_only, hair_loss_only, neither)
        )

    def test_recent_hair_loss_alone_scores_alopecia(self, kb: KnowledgeBase) -> None:
        """Recent hair loss 1 with no alopecia scored scores alopecia 2 (switch on by default)."""
        result = sledai.score(_acle_case(exam(AS_OF, recent_hair_loss=1)), kb)

        assert {"alopecia": 2} == _scores(result)
        assert "recent hair loss 1" in result.descriptors[0].evidence

    @pytest.mark.parametrize("name", ["photosensitive_rash", "bullous_lupus", "ten_like_lupus"])
    def test_acle_findings_score_rash(self, kb: KnowledgeBase, name: str) -> None:
        """Photosensitive, bullous and TEN-like lupus are inflammatory rashes: rash 2."""
        result = sledai.score(case([finding(name, AS_OF)]), kb)

        assert {"rash": 2} == _scores(result)
        assert ("finding", name) == (result.descriptors[0].sources[0].kind,
                                     result.descriptors[0].sources[0].item)

    @pytest.mark.parametrize("name", ["photosensitive_rash", "bullous_lupus", "ten_like_lupus"])
    def test_acle_findings_switch_off(self, name: str) -> None:
        """With acle_findings_score_rash off the finding scores 0 and is recorded, not used."""
        result = sledai.score(case([finding(name, AS_OF)]), _off("acle_findings_score_rash"))

        assert 0 == result.score
        assert "rash" not in result.not_recorded
        assert result.recorded_not_used[0].startswith(f"rash: {name} on 2024-03-15: recorded")

    def test_exam_with_nothing_active_scores_nothing(self, kb: KnowledgeBase) -> None:
        """An exam with only scale, dyspigmentation and scarring scores no SLEDAI descriptor."""
        quiet = exam(AS_OF, {"arms": {"scale": 1, "dyspigmentation": 1, "scarring": 2}})

        result = sledai.score(_acle_case(quiet), kb)

        assert 0 == result.score
        assert () == result.recorded_not_used
        assert "rash" not in result.not_recorded  # the exam records the absence of erythema


class TestWindow:
    def test_exam_10_days_before_counts(self, kb: KnowledgeBase) -> None:
        """An exam on as_of - 10 days is inside the 10-day window: 6."""
        early = dataclasses.replace(ACLE_EXAM, date=AS_OF - dt.timedelta(days=10))

        assert 6 == sledai.score(_acle_case(early), kb).score

    def test_exam_11_days_before_does_not(self, kb: KnowledgeBase) -> None:
        """An exam on as_of - 11 days is outside the 10-day window: 0."""
        early = dataclasses.replace(ACLE_EXAM, date=AS_OF - dt.timedelta(days=11))

        assert 0 == sledai.score(_acle_case(early), kb).score

    def test_exam_11_days_before_counts_in_the_30_day_window(self, kb: KnowledgeBase) -> None:
        """SLEDAI-2K-30 reads the same exam 11 days back: 6."""
        early = dataclasses.replace(ACLE_EXAM, date=AS_OF - dt.timedelta(days=11))

        assert 6 == sledai.score(_acle_case(early), kb, window_days=30).score

    def test_exam_after_as_of_is_not_read(self, kb: KnowledgeBase) -> None:
        """An exam dated the day after as_of scores nothing."""
        late = dataclasses.replace(ACLE_EXAM, date=AS_OF + dt.timedelta(days=1))

        assert 0 == sledai.score(_acle_case(late), kb).score


class TestUpcr:
    def test_spot_upcr_recorded_not_used(self, kb: KnowledgeBase) -> None:
        """A spot UPCR of 0.9 mg/mg is 'recorded, not used', never 'not recorded'."""
        result = sledai.score(case([lab("upcr", AS_OF, 0.9, "mg/mg")]), kb)

        assert "proteinuria" not in result.not_recorded
        assert ("proteinuria: upcr 0.9 mg/mg on 2024-03-15: recorded, not used (spot UPCR is "
                "not a 24-hour collection)",) == result.recorded_not_used

    def test_page_json_says_recorded_not_used(self, kb: KnowledgeBase) -> None:
        """The assessment JSON lists the UPCR under recorded_not_used."""
        document = assessment_to_json(assess(case([lab("upcr", AS_OF, 0.9, "mg/mg")]), kb))

        assert "spot UPCR is not a 24-hour collection" in (
            document["scores"]["sledai_2k"]["recorded_not_used"][0]
        )


class TestMonotone:
    @given(valid_exams(), st.integers(min_value=0, max_value=10), st.booleans())
    def test_adding_an_exam_inside_the_window_never_lowers_the_score(
        self, kb: KnowledgeBase, new: ClasiExam, days_back: int, with_other: bool
    ) -> None:
        """SLEDAI-2K never falls when a CLASI exam dated inside the window is added."""
        base = case([finding("oral_ulcers", AS_OF), lab("wbc", AS_OF, 2.1, "10*9/L")])
        if with_other:
            base = _with_exams(base, exam(AS_OF - dt.timedelta(days=3), recent_hair_loss=1))
        added = dataclasses.replace(new, date=AS_OF - dt.timedelta(days=days_back))

        before = sledai.score(base, kb).score
        after = sledai.score(_with_exams(base, *base.clasi, added), kb).score

        assert after >= before
