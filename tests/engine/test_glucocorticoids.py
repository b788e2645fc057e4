"""Glucocorticoid exposure: prednisone equivalents, the two targets, cumulative dose."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.engine.glucocorticoids import (
    Exposure,
    cumulative_at,
    exposure_series,
    meets_target,
    prednisone_equivalent,
    review_glucocorticoids,
)
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from tests.engine._factory import course, example_1, example_2, with_therapies

# mg of each drug per mg prednisone, written out from clinical/pathway.md section 5 on purpose.
RATIOS = {
    "prednisone": 1.0,
    "prednisolone": 1.0,
    "methylprednisolone": 0.8,
    "triamcinolone": 0.8,
    "dexamethasone": 0.15,
    "betamethasone": 0.12,
    "hydrocortisone": 4.0,
    "cortisone": 5.0,
    "deflazacort": 1.2,
}


class TestSeedCase:
    def test_deflazacort_18_mg_is_prednisone_15_mg(self, kb: KnowledgeBase) -> None:
        """Deflazacort 18 mg/day is 15 mg/day prednisone at the 1.2:1 ratio."""
        review = review_glucocorticoids(example_1(), kb)

        assert 15.0 == pytest.approx(review.prednisone_equivalent_mg_per_day)
        assert 1.2 == review.current[0].ratio

    def test_both_targets_not_met(self, kb: KnowledgeBase) -> None:
        """15 mg/day meets neither EULAR 2023 (<=5) nor ACR 2025 (<5)."""
        review = review_glucocorticoids(example_1(), kb)

        assert [("EULAR 2023", "<=", 5.0, False), ("ACR 2025", "<", 5.0, False)] == [
            (t.guideline, t.operator, t.threshold_mg, t.met) for t in review.targets
        ]
        assert review.above_target is True

    def test_cumulative_four_weeks(self, kb: KnowledgeBase) -> None:
        """28 days at 15 mg/day prednisone equivalent is 420 mg, from one dated course."""
        review = review_glucocorticoids(example_1(), kb)

        assert 420.0 == pytest.approx(review.cumulative_mg)
        assert review.cumulative_complete is True
        assert ((dt.date(2019, 5, 4), 0.0), (dt.date(2019, 6, 1), 420.0)) == review.series

    def test_deflazacort_ratio_is_labelled_contested(self, kb: KnowledgeBase) -> None:
        """The deflazacort ratio is reported as configurable and contested."""
        notes = review_glucocorticoids(example_1(), kb).notes

        assert any("deflazacort ratio 1.2:1" in n and "contested" in n for n in notes)


class TestTapered:
    def test_deflazacort_6_mg_meets_eular_not_acr(self, kb: KnowledgeBase) -> None:
        """Deflazacort 6 mg is prednisone 5.0 mg: EULAR <=5 met, ACR <5 not met."""
        case = with_therapies(
            example_1(), [course("deflazacort", dose_mg=6, frequency="daily", start="2019-05-04")]
        )

        review = review_glucocorticoids(case, kb)

        assert 5.0 == pytest.approx(review.prednisone_equivalent_mg_per_day)
        assert [True, False] == [t.met for t in review.targets]
        assert review.above_target is True

    def test_deflazacort_ratio_override_changes_the_figure(self) -> None:
        """At a 1.5:1 deflazacort ratio, 18 mg is 12 mg prednisone, noted as overridden."""
        kb15 = load_knowledge({"glucocorticoids.deflazacort_ratio": 1.5})

        review = review_glucocorticoids(example_1(), kb15)

        assert 12.0 == pytest.approx(review.prednisone_equivalent_mg_per_day)
        assert any("1.5:1" in n and "overridden" in n for n in review.notes)

    def test_acr_operator_override(self) -> None:
        """With the ACR operator set to <=, prednisone-equivalent 5 mg meets both targets."""
        kb_le = load_knowledge({"glucocorticoids.acr2025_operator": "<="})
        case = with_therapies(
            example_1(), [course("prednisone", dose_mg=5, frequency="daily", start="2019-01-01")]
        )

        review = review_glucocorticoids(case, kb_le)

        assert [True, True] == [t.met for t in review.targets]
        assert review.above_target is False


class TestExample2:
    def test_prednisolone_10_mg(self, kb: KnowledgeBase) -> None:
        """Prednisolone 10 mg/day is 10 mg prednisone; 288 days since 2023-06-01 is 2880 mg."""
        review = review_glucocorticoids(example_2(), kb)

        assert 10.0 == review.prednisone_equivalent_mg_per_day
        assert 2880.0 == pytest.approx(review.cumulative_mg)
        assert review.cumulative_complete is True


class TestEdges:
    def test_no_glucocorticoid_is_zero_and_targets_met(self, kb: KnowledgeBase) -> None:
        """No current systemic glucocorticoid: 0 mg/day, both targets met, said so."""
        case = with_therapies(example_2(), [course("hydroxychloroquine", start="2021-10-10")])

        review = review_glucocorticoids(case, kb)

        assert (0.0, False, 0.0) == (
            review.prednisone_equivalent_mg_per_day,
            review.above_target,
            review.cumulative_mg,
        )
        assert "no current systemic glucocorticoid recorded" in review.notes

    def test_topical_glucocorticoid_does_not_count(self, kb: KnowledgeBase) -> None:
        """Intralesional triamcinolone does not add to the prednisone equivalent."""
        case = with_therapies(
            example_2(),
            [
                course("prednisolone", dose_mg=4, frequency="daily", start="2024-01-01"),
                course("triamcinolone", dose_mg=10, frequency="weekly", start="2024-01-01",
                       route="intralesional"),
            ],
        )

        assert 4.0 == review_glucocorticoids(case, kb).prednisone_equivalent_mg_per_day

    def test_two_current_courses_add(self, kb: KnowledgeBase) -> None:
        """Methylprednisolone 8 mg plus hydrocortisone 20 mg is 10 + 5 = 15 mg prednisone."""
        case = with_therapies(
            example_2(),
            [
                course("methylprednisolone", dose_mg=8, frequency="daily", start="2024-01-01"),
                course("hydrocortisone", dose_mg=20, frequency="daily", start="2024-01-01"),
            ],
        )

        assert 15.0 == review_glucocorticoids(case, kb).prednisone_equivalent_mg_per_day

    def test_missing_dose_is_unknown(self, kb: KnowledgeBase) -> None:
        """A current glucocorticoid without a dose leaves the equivalent and targets unknown."""
        case = with_therapies(example_2(), [course("prednisone", start="2024-01-01")])

        review = review_glucocorticoids(case, kb)

        assert (None, None) == (review.prednisone_equivalent_mg_per_day, review.above_target)
        assert [None, None] == [t.met for t in review.targets]

    def test_undated_past_course_makes_cumulative_incomplete(self, kb: KnowledgeBase) -> None:
        """An undated earlier prednisone course leaves the cumulative dose a lower bound."""
        case = with_therapies(
            example_2(), [*example_2().therapies, course("prednisone", "stopped", dose_mg=20,
                                                         frequency="daily")]
        )

        review = review_glucocorticoids(case, kb)

        assert 2880.0 == pytest.approx(review.cumulative_mg)
        assert review.cumulative_complete is False
        assert any("incomplete" in n for n in review.notes)


_GC = st.sampled_from(sorted(RATIOS))
_DOSE = st.floats(min_value=0.5, max_value=1000, allow_nan=False)


class TestProperties:
    @given(st.lists(st.tuples(_GC, _DOSE), min_size=1, max_size=4))
    def test_prednisone_equivalent_is_sum_of_dose_over_ratio(
        self, kb: KnowledgeBase, items: list[tuple[str, float]]
    ) -> None:
        """The current equivalent is the sum of each daily dose divided by its ratio."""
        case = with_therapies(
            example_2(),
            [course(d, dose_mg=m, frequency="daily", start="2024-01-01") for d, m in items],
        )

        review = review_glucocorticoids(case, kb)

        expected = sum(m / RATIOS[d] for d, m in items)
        assert expected == pytest.approx(review.prednisone_equivalent_mg_per_day, rel=1e-3,
                                         abs=0.01)

    @given(_DOSE, st.floats(min_value=0.1, max_value=10, allow_nan=False))
    def test_single_conversion(self, dose: float, ratio: float) -> None:
        """Converting back by the ratio recovers the dose."""
        assert dose == pytest.approx(prednisone_equivalent(dose, ratio) * ratio)

    @given(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=400),
                st.integers(min_value=1, max_value=200),
                st.floats(min_value=0.1, max_value=100, allow_nan=False),
            ),
            max_size=5,
        ),
        st.integers(min_value=0, max_value=700),
    )
    def test_series_is_non_decreasing_and_ends_at_the_total(
        self, spans: list[tuple[int, int, float]], as_of_offset: int
    ) -> None:
        """Cumulative exposure never falls and at as_of equals rate x days taken so far."""
        origin = dt.date(2020, 1, 1)
        exposures = [
            Exposure(origin + dt.timedelta(s), origin + dt.timedelta(s + n), rate)
            for s, n, rate in spans
        ]
        as_of = origin + dt.timedelta(as_of_offset)

        series = exposure_series(exposures, as_of)

        values = [v for _, v in series]
        assert values == sorted(values)
        assert as_of == series[-1][0]
        expected = sum(
            rate * max(0, min(s + n, as_of_offset) - s) for s, n, rate in spans
        )
        assert expected == pytest.approx(series[-1][1], abs=0.01)
        assert all(day <= as_of for day, _ in series)

    @given(st.floats(min_value=0, max_value=20, allow_nan=False),
           st.floats(min_value=0, max_value=20, allow_nan=False))
    def test_strict_target_implies_inclusive(self, value: float, threshold: float) -> None:
        """Meeting `< t` always means meeting `<= t`."""
        if meets_target(value, "<", threshold):
            assert meets_target(value, "<=", threshold)

    def test_cumulative_at_counts_days_before(self) -> None:
        """Ten days at 5 mg counted on day 10 is 50 mg; the start day alone is 0."""
        exposure = [Exposure(dt.date(2024, 1, 1), dt.date(2024, 2, 1), 5.0)]

        assert (0.0, 50.0) == (
            cumulative_at(exposure, dt.date(2024, 1, 1)),
            cumulative_at(exposure, dt.date(2024, 1, 11)),
        )
