"""CLASI scoring: worked examples of instruments.md section 7, validation and properties."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clepath.domain.case import ClasiExam, ClasiRegionScore
from clepath.errors import CaseError
from clepath.knowledge.loader import load_knowledge
from clepath.knowledge.models.clasi import ClasiItem, SeverityBand
from clepath.scores import clasi
from tests.scores._factory_clasi import (
    GLOBAL_VALUES,
    REGION_VALUES,
    REGIONS,
    case,
    exam,
    valid_exams,
)

KB = load_knowledge()
D0 = dt.date(2023, 6, 1)
D1 = dt.date(2023, 9, 1)
D2 = dt.date(2023, 12, 1)

C2_BASELINE = exam(
    D0,
    {
        "v_neck": {"erythema": 2, "scale": 1, "dyspigmentation": 1},
        "post_neck_shoulders": {"erythema": 2},
        "chest": {"erythema": 2, "scale": 1, "dyspigmentation": 1},
        "back_buttocks": {"erythema": 2, "scale": 1, "dyspigmentation": 1},
        "arms": {"erythema": 3, "scale": 1, "dyspigmentation": 1},
    },
    lasts_12_months=False,
)
C2_FOLLOW_UP_1 = exam(
    D1,
    {
        "v_neck": {"erythema": 1},
        "chest": {"erythema": 1},
        "back_buttocks": {"erythema": 1, "scale": 1},
        "arms": {"erythema": 2},
    },
    lasts_12_months=False,
)
C2_FOLLOW_UP_2 = exam(
    D2,
    {
        "v_neck": {"erythema": 2, "scale": 1},
        "chest": {"erythema": 2, "scale": 1},
        "back_buttocks": {"erythema": 2},
        "arms": {"erythema": 3, "scale": 1},
    },
    lasts_12_months=False,
)


def _maximal_exam() -> ClasiExam:
    regions = {
        region_id: {
            "erythema": 3,
            "scale": 2,
            "dyspigmentation": 1,
            "scarring": 0 if region_id == "scalp" else 2,
        }
        for region_id in REGIONS
    }
    return exam(
        D0,
        regions,
        lasts_12_months=True,
        mucous_membrane=1,
        recent_hair_loss=1,
        nonscarring_alopecia=3,
        scarring_alopecia_scalp=6,
    )


class TestClasiPack:
    """The `clasi` pack holds the form as the specification describes it."""

    def test_regions_in_form_order(self) -> None:
        """The 13 regions come back in the order of the form."""
        assert REGIONS == clasi.region_ids(KB)

    @pytest.mark.parametrize(
        ("term", "region_id"),
        [
            ("Malar", "nose_malar"),
            ("V-neck", "v_neck"),
            ("back", "back_buttocks"),
            ("Buttocks", "back_buttocks"),
            ("hand", "hands"),
            ("foot", "feet"),
            ("shoulders", "post_neck_shoulders"),
            ("rest of face", "rest_of_face"),
        ],
    )
    def test_region_synonyms(self, term: str, region_id: str) -> None:
        """An unambiguous everyday name resolves to its CLASI region."""
        assert region_id == KB.vocabulary("clasi_region").resolve(term)

    @pytest.mark.parametrize("term", ["face", "neck", "trunk", "cheek"])
    def test_ambiguous_region_names_do_not_resolve(self, term: str) -> None:
        """A name that spans two or more CLASI regions is not guessed."""
        assert KB.vocabulary("clasi_region").resolve(term) is None

    def test_activity_maximum_is_70(self) -> None:
        """The pack's layout gives the confirmed CLASI-A maximum of 70."""
        assert 70 == clasi.activity_maximum(KB)

    def test_damage_maximum_is_56(self) -> None:
        """The pack's layout gives the CLASI-D maximum of 56."""
        assert 56 == clasi.damage_maximum(KB)

    def test_item_ranges_match_the_specification(self) -> None:
        """Every item accepts exactly the values of instruments.md 1.3-1.4."""
        items = {item.id: item.values for item in KB.table("clasi", "items", ClasiItem)}

        assert {**REGION_VALUES, **GLOBAL_VALUES} == {k: tuple(v) for k, v in items.items()}

    def test_scalp_is_excluded_from_scarring(self) -> None:
        """Scarring/atrophy is scored in 12 regions: the scalp is left out."""
        items = {item.id: item for item in KB.table("clasi", "items", ClasiItem)}

        assert ("scalp",) == items["scarring"].excluded_regions

    def test_anchor_wording_is_labelled_paraphrase(self) -> None:
        """Every item's anchor texts are marked as our paraphrase of the form."""
        items = KB.table("clasi", "items", ClasiItem)

        assert {"paraphrase"} == {item.wording for item in items}

    def test_bands_cover_0_to_70_once(self) -> None:
        """Each activity score from 0 to 70 falls in exactly one severity band."""
        bands = KB.table("clasi", "bands", SeverityBand)

        for score in range(71):
            assert 1 == sum(1 for b in bands if b.minimum <= score <= b.maximum)

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("clasi.improvement_points", 4),
            ("clasi.improvement_percent", 20),
            ("clasi.clasi50_percent", 50),
            ("clasi.trial_entry_activity", 10),
            ("clasi.trial_entry_erythema_scale_subtotal", 7),
            ("clasi.dyspigmentation_persistence_multiplier", 2),
        ],
    )
    def test_thresholds(self, key: str, value: int) -> None:
        """Each interpretation threshold has its published value and a confirmed source."""
        assert value == KB.value(key)
        assert KB.parameter(key).tag == "C"

    def test_unconfirmed_layout_is_labelled(self) -> None:
        """Scalp layout, quadrant lines, maximum 56 and anchor wording are flagged unconfirmed."""
        caveats = " ".join(clasi.caveats(KB))

        for label in ("Scalp quadrants", "Scalp excluded", "Damage maximum", "Anchor wording"):
            assert label in caveats


class TestWorkedExampleC1:
    """C1, localized scalp/ear DLE: the test that tells the two damage layouts apart."""

    EXAM = exam(
        D0,
        {
            "scalp": {"erythema": 2, "scale": 1, "dyspigmentation": 1},
            "ears": {"erythema": 1, "scale": 1, "dyspigmentation": 1, "scarring": 1},
        },
        lasts_12_months=True,
        recent_hair_loss=1,
        scarring_alopecia_scalp=3,
    )

    def test_activity_is_6_mild(self) -> None:
        """Erythema and scale of scalp and ears plus recent hair loss give CLASI-A 6, mild."""
        score = clasi.score_exam(self.EXAM, KB)

        assert (6, "mild") == (score.activity, score.severity)

    def test_damage_is_8(self) -> None:
        """Scalp and ear dyspigmentation doubled (4), ear scar (1), one quadrant alopecia (3): 8."""
        score = clasi.score_exam(self.EXAM, KB)

        assert 8 == score.damage


class TestWorkedExampleC2:
    """C2, SCLE of trunk and arms: baseline and two follow-ups."""

    def test_baseline_is_15_moderate_damage_4(self) -> None:
        """The baseline scores CLASI-A 15 (moderate) and CLASI-D 4, not doubled."""
        score = clasi.score_exam(C2_BASELINE, KB)

        assert (15, "moderate", 4) == (score.activity, score.severity, score.damage)

    def test_baseline_erythema_scale_subtotal(self) -> None:
        """All 15 activity points of the baseline come from erythema and scale."""
        assert 15 == clasi.score_exam(C2_BASELINE, KB).erythema_scale_subtotal

    def test_follow_up_1_meets_every_marker(self) -> None:
        """CLASI-A 6 after 15: 9 points, 60 %, so 4-point, 20 % and CLASI-50 are all met."""
        base = clasi.score_exam(C2_BASELINE, KB)
        now = clasi.score_exam(C2_FOLLOW_UP_1, KB)

        delta = clasi.change(base, now, KB)

        assert (6, "mild") == (now.activity, now.severity)
        assert (9, 60.0) == (delta.points, delta.percent)
        assert (True, True, True) == (
            delta.meaningful_4_points,
            delta.meaningful_20_percent,
            delta.clasi_50,
        )

    def test_follow_up_2_is_exactly_20_percent(self) -> None:
        """CLASI-A 12 after 15: 3 points is exactly 20 %, so only the 20 % marker is met."""
        base = clasi.score_exam(C2_BASELINE, KB)
        now = clasi.score_exam(C2_FOLLOW_UP_2, KB)

        delta = clasi.change(base, now, KB)

        assert (12, "moderate") == (now.activity, now.severity)
        assert (3, 20.0) == (delta.points, delta.percent)
        assert (False, True, False) == (
            delta.meaningful_4_points,
            delta.meaningful_20_percent,
            delta.clasi_50,
        )

    def test_summary_uses_first_exam_as_baseline(self) -> None:
        """Across three exams the change is measured from the first to the latest."""
        summary = clasi.summarise(case(C2_BASELINE, C2_FOLLOW_UP_1, C2_FOLLOW_UP_2), KB)

        assert summary is not None
        assert (D0, 15, 3) == (
            summary.change.baseline_date,
            summary.change.baseline_activity,
            summary.change.points,
        )
        assert (15, 6, 12) == tuple(s.activity for s in summary.history)


class TestWorkedExampleC3:
    """C3, every item at its maximum."""

    def test_maximum_scores(self) -> None:
        """Every item at its top value gives CLASI-A 70 (severe) and CLASI-D 56."""
        score = clasi.score_exam(_maximal_exam(), KB)

        assert (70, "severe", 56) == (score.activity, score.severity, score.damage)


class TestSeverityBands:
    """Klein 2011 bands: mild 0-9, moderate 10-20, severe 21-70."""

    @pytest.mark.parametrize(
        ("activity", "band"),
        [
            (0, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (20, "moderate"),
            (21, "severe"),
            (70, "severe"),
        ],
    )
    def test_band_boundaries(self, activity: int, band: str) -> None:
        """A score on a boundary falls in the band the boundary belongs to."""
        assert band == clasi.severity(activity, KB)

    def test_boundary_from_an_exam(self) -> None:
        """Three regions at E3 S0 score 9 (mild); one more scale point makes 10 (moderate)."""
        nine = exam(D0, {r: {"erythema": 3} for r in ("chest", "arms", "legs")})
        ten = exam(D0, {"chest": {"erythema": 3, "scale": 1}, "arms": {"erythema": 3},
                        "legs": {"erythema": 3}})

        assert ("mild", "moderate") == (
            clasi.score_exam(nine, KB).severity,
            clasi.score_exam(ten, KB).severity,
        )


class TestCaseFormatExample2:
    """The fully recorded patient of case-format.md (demo-scle-0001)."""

    BASELINE = exam(
        dt.date(2023, 6, 1),
        {
            "v_neck": {"erythema": 2, "scale": 1, "dyspigmentation": 1},
            "post_neck_shoulders": {"erythema": 2},
            "chest": {"erythema": 2, "scale": 1, "dyspigmentation": 1},
            "back_buttocks": {"erythema": 2, "scale": 1, "dyspigmentation": 1},
            "arms": {"erythema": 3, "scale": 1, "dyspigmentation": 1},
        },
        lasts_12_months=False,
    )
    LATEST = exam(
        dt.date(2024, 3, 15),
        {
            "v_neck": {"erythema": 2, "scale": 1},
            "chest": {"erythema": 2},
            "back_buttocks": {"erythema": 1, "scale": 1, "dyspigmentation": 1},
            "arms": {"erythema": 2, "scale": 1},
        },
        lasts_12_months=False,
        recent_hair_loss=1,
        nonscarring_alopecia=1,
    )

    def _summary(self) -> clasi.ClasiSummary:
        summary = clasi.summarise(
            case(self.BASELINE, self.LATEST, as_of=dt.date(2024, 3, 15)), KB
        )
        assert summary is not None
        return summary

    def test_latest_scores(self) -> None:
        """The latest exam scores CLASI-A 12 (moderate) and CLASI-D 1."""
        latest = self._summary().latest

        assert (12, "moderate", 1) == (latest.activity, latest.severity, latest.damage)

    def test_latest_subtotal_excludes_hair_items(self) -> None:
        """Erythema plus scale make 10 of the 12 activity points; hair items make the rest."""
        assert 10 == self._summary().latest.erythema_scale_subtotal

    def test_change_from_baseline(self) -> None:
        """From 15 to 12: 3 points, exactly 20 %; only the 20 % marker is met."""
        delta = self._summary().change

        assert delta is not None
        assert (15, 3, 20.0) == (delta.baseline_activity, delta.points, delta.percent)
        assert (False, True, False) == (
            delta.meaningful_4_points,
            delta.meaningful_20_percent,
            delta.clasi_50,
        )


class TestSummarise:
    """Which examinations a summary uses."""

    def test_no_exam(self) -> None:
        """A case without CLASI examinations has no CLASI summary."""
        assert clasi.summarise(case(), KB) is None

    def test_single_exam_has_no_change(self) -> None:
        """With one examination there is a latest score but no change."""
        summary = clasi.summarise(case(C2_BASELINE), KB)

        assert summary is not None
        assert (15, None) == (summary.latest.activity, summary.change)

    def test_exam_after_as_of_is_ignored(self) -> None:
        """An examination dated after the assessment date is not used."""
        summary = clasi.summarise(case(C2_BASELINE, C2_FOLLOW_UP_1, as_of=D0), KB)

        assert summary is not None
        assert (1, 15) == (len(summary.history), summary.latest.activity)

    def test_history_is_sorted_by_date(self) -> None:
        """Examinations listed out of order are scored oldest first."""
        summary = clasi.summarise(case(C2_FOLLOW_UP_2, C2_BASELINE, C2_FOLLOW_UP_1), KB)

        assert summary is not None
        assert (D0, D1, D2) == tuple(s.date for s in summary.history)


class TestChange:
    """Percentages and markers at the edges."""

    @staticmethod
    def _score(activity: int) -> clasi.ClasiScore:
        return clasi.ClasiScore(D0, activity, 0, clasi.severity(activity, KB), activity)

    def test_baseline_zero_has_no_percentage(self) -> None:
        """From a baseline of 0 no percentage exists and no percentage marker is met."""
        delta = clasi.change(self._score(0), self._score(0), KB)

        assert (None, False, False, False) == (
            delta.percent,
            delta.meaningful_4_points,
            delta.meaningful_20_percent,
            delta.clasi_50,
        )

    def test_worsening_is_negative(self) -> None:
        """A rise from 10 to 14 is -4 points, -40 %, and meets no improvement marker."""
        delta = clasi.change(self._score(10), self._score(14), KB)

        assert (-4, -40.0) == (delta.points, delta.percent)
        assert not (delta.meaningful_4_points or delta.meaningful_20_percent or delta.clasi_50)

    @pytest.mark.parametrize(("current", "met"), [(7, True), (8, False)])
    def test_clasi_50_from_15(self, current: int, met: bool) -> None:
        """From 15, CLASI-50 needs a score of 7.5 or less: 7 meets it, 8 does not."""
        assert met == clasi.change(self._score(15), self._score(current), KB).clasi_50

    @pytest.mark.parametrize(("current", "met"), [(24, True), (25, False)])
    def test_20_percent_from_30(self, current: int, met: bool) -> None:
        """From 30, 6 points is exactly 20 % and counts; 5 points does not."""
        delta = clasi.change(self._score(30), self._score(current), KB)

        assert met == delta.meaningful_20_percent

    def test_overridden_percentage_is_exact(self) -> None:
        """A fractional override (12.5 %) is compared exactly: 1 point of 8 meets it."""
        kb = load_knowledge({"clasi.improvement_percent": 12.5})

        assert clasi.change(self._score(8), self._score(7), kb).meaningful_20_percent


class TestDyspigmentation:
    """The doubling rule and its missing answer."""

    REGIONS = {"chest": {"dyspigmentation": 1}, "arms": {"dyspigmentation": 1}}

    @pytest.mark.parametrize(("lasts", "damage"), [(True, 4), (False, 2), (None, 2)])
    def test_doubling(self, lasts: bool | None, damage: int) -> None:
        """Two dyspigmented regions score 4 when it lasts 12 months or more, else 2."""
        score = clasi.score_exam(exam(D0, self.REGIONS, lasts_12_months=lasts), KB)

        assert damage == score.damage

    def test_unrecorded_persistence_is_flagged(self) -> None:
        """Damage is flagged uncertain when dyspigmentation is scored but persistence is unknown."""
        score = clasi.score_exam(exam(D0, self.REGIONS), KB)

        assert (True, 2) == (score.damage_uncertain, score.dyspigmentation_sum)

    def test_no_flag_without_dyspigmentation(self) -> None:
        """Without dyspigmentation the missing persistence answer changes nothing."""
        assert not clasi.score_exam(exam(D0, {"chest": {"erythema": 1}}), KB).damage_uncertain


class TestExamProblems:
    """Out-of-range values are reported with their field and accepted form."""

    @pytest.mark.parametrize(
        ("the_exam", "path", "value"),
        [
            (exam(D0, {"chest": {"erythema": 4}}), "regions.chest.erythema", 4),
            (exam(D0, {"arms": {"scale": 3}}), "regions.arms.scale", 3),
            (exam(D0, scarring_alopecia_scalp=1), "scarring_alopecia_scalp", 1),
            (exam(D0, scarring_alopecia_scalp=2), "scarring_alopecia_scalp", 2),
            (exam(D0, {"scalp": {"scarring": 1}}), "regions.scalp.scarring", 1),
            (exam(D0, nonscarring_alopecia=4), "nonscarring_alopecia", 4),
            (exam(D0, mucous_membrane=2), "mucous_membrane", 2),
            (exam(D0, {"legs": {"dyspigmentation": -1}}), "regions.legs.dyspigmentation", -1),
            (exam(D0, {"torso": {"erythema": 1}}), "regions.torso", "torso"),
        ],
    )
    def test_rejected(self, the_exam: ClasiExam, path: str, value: object) -> None:
        """The offending value is reported once, under its path inside the exam."""
        problems = clasi.exam_problems(the_exam, KB)

        assert [(path, value)] == [(p, v) for p, v, _ in problems]

    def test_accepted_forms(self) -> None:
        """The accepted form names the allowed values, and the scalp rule for scalp scarring."""
        bad = exam(D0, {"scalp": {"scarring": 2}, "chest": {"erythema": 4}},
                   scarring_alopecia_scalp=2)

        accepted = {p: a for p, _, a in clasi.exam_problems(bad, KB)}

        assert "a whole number from 0 to 3" == accepted["regions.chest.erythema"]
        assert "one of 0, 3, 4, 5, 6" == accepted["scarring_alopecia_scalp"]
        assert "scarring_alopecia_scalp" in accepted["regions.scalp.scarring"]

    def test_valid_exam_has_no_problem(self) -> None:
        """The maximal valid exam has no problem."""
        assert [] == clasi.exam_problems(_maximal_exam(), KB)

    def test_score_exam_refuses_invalid(self) -> None:
        """Scoring an invalid exam raises a CaseError naming the dated field."""
        with pytest.raises(CaseError) as caught:
            clasi.score_exam(exam(D0, {"chest": {"erythema": 4}}), KB)

        assert ["clasi[2023-06-01].regions.chest.erythema"] == [
            p.field for p in caught.value.problems
        ]


_REGION_ITEM_PATHS = [
    (region_id, item)
    for region_id in REGIONS
    for item in REGION_VALUES
    if not (region_id == "scalp" and item == "scarring")
]


def _raise_item(the_exam: ClasiExam, region_id: str | None, item: str) -> ClasiExam | None:
    """The same exam with one item raised to its next allowed value (None if at the top)."""
    if region_id is None:
        values = GLOBAL_VALUES[item]
        current = getattr(the_exam, item)
        higher = [v for v in values if v > current]
        return dataclasses.replace(the_exam, **{item: higher[0]}) if higher else None
    values = REGION_VALUES[item]
    score = the_exam.region(region_id)
    higher = [v for v in values if v > getattr(score, item)]
    if not higher:
        return None
    raised = dataclasses.replace(score, **{item: higher[0]})
    others = tuple((r, s) for r, s in the_exam.regions if r != region_id)
    return dataclasses.replace(the_exam, regions=(*others, (region_id, raised)))


_ACTIVITY_ITEMS = {"erythema", "scale", "mucous_membrane", "recent_hair_loss",
                   "nonscarring_alopecia"}


class TestProperties:
    """Properties that hold for every examination the form allows."""

    @given(valid_exams())
    def test_scores_stay_in_range(self, the_exam: ClasiExam) -> None:
        """CLASI-A stays within 0-70 and CLASI-D within 0-56."""
        score = clasi.score_exam(the_exam, KB)

        assert 0 <= score.activity <= 70
        assert 0 <= score.damage <= 56

    @given(valid_exams(), st.data())
    def test_monotone_in_each_item(self, the_exam: ClasiExam, data: st.DataObject) -> None:
        """Raising an item never lowers a score; an activity item raises CLASI-A by its step."""
        choices = [(r, i) for r, i in _REGION_ITEM_PATHS] + [(None, g) for g in GLOBAL_VALUES]
        region_id, item = data.draw(st.sampled_from(choices))
        raised = _raise_item(the_exam, region_id, item)
        assume(raised is not None)
        assert raised is not None
        before = clasi.score_exam(the_exam, KB)

        after = clasi.score_exam(raised, KB)

        owner = raised if region_id is None else raised.region(region_id)
        origin = the_exam if region_id is None else the_exam.region(region_id)
        step = getattr(owner, item) - getattr(origin, item)
        assert after.activity >= before.activity and after.damage >= before.damage
        if item in _ACTIVITY_ITEMS:
            assert after.activity == before.activity + step
        else:
            assert after.activity == before.activity

    @given(valid_exams())
    def test_doubling_adds_exactly_the_dyspigmentation_sum(self, the_exam: ClasiExam) -> None:
        """Dyspigmentation lasting 12 months adds exactly the dyspigmentation sum to CLASI-D."""
        lasting = dataclasses.replace(the_exam, dyspigmentation_lasts_12_months=True)
        brief = dataclasses.replace(the_exam, dyspigmentation_lasts_12_months=False)
        dyspigmentation = sum(the_exam.region(r).dyspigmentation for r in REGIONS)

        difference = clasi.score_exam(lasting, KB).damage - clasi.score_exam(brief, KB).damage

        assert dyspigmentation == difference

    @given(valid_exams())
    def test_activity_ignores_damage_items(self, the_exam: ClasiExam) -> None:
        """Clearing every damage item leaves CLASI-A unchanged."""
        cleared = dataclasses.replace(
            the_exam,
            regions=tuple(
                (r, ClasiRegionScore(erythema=s.erythema, scale=s.scale))
                for r, s in the_exam.regions
            ),
            scarring_alopecia_scalp=0,
        )

        assert clasi.score_exam(the_exam, KB).activity == clasi.score_exam(cleared, KB).activity
