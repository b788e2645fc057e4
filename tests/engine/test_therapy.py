"""Therapy-history review: durations, adequacy against the minimum trial, dose per kg."""

from __future__ import annotations

import datetime as dt

import pytest

from clepath.domain.dates import PartialDate
from clepath.engine.therapy import course_window, review_therapies
from clepath.knowledge.base import KnowledgeBase
from tests.engine._factory import course, example_1, example_2, with_therapies


class TestSeedCase:
    def test_failures_without_dates_are_reported_but_undocumented(self, kb: KnowledgeBase) -> None:
        """HCQ reported as failed with no dates counts as failed, adequacy `undocumented`."""
        review = review_therapies(example_1(), kb)

        hcq = review.courses_of("hydroxychloroquine")[0]

        assert ("failed", "undocumented") == (hcq.outcome, hcq.adequacy)
        assert "without dates" in hcq.adequacy_note
        assert hcq.duration_weeks is None

    def test_failed_and_current_agents(self, kb: KnowledgeBase) -> None:
        """Eight agents failed; deflazacort and apremilast are current."""
        review = review_therapies(example_1(), kb)

        assert (
            "hydroxychloroquine",
            "azathioprine",
            "methotrexate",
            "dapsone",
            "cyclophosphamide",
            "mycophenolate mofetil",
            "tacrolimus",
            "rituximab",
        ) == review.failed_agents
        assert ("deflazacort", "apremilast") == review.current_agents

    def test_kinds(self, kb: KnowledgeBase) -> None:
        """HCQ is an antimalarial; oral tacrolimus and methotrexate are immunosuppressants."""
        kinds = {c.drug: c.kind for c in review_therapies(example_1(), kb).courses}

        assert "antimalarial" == kinds["hydroxychloroquine"]
        assert "immunosuppressant" == kinds["tacrolimus"] == kinds["methotrexate"]
        assert "glucocorticoid" == kinds["deflazacort"]

    def test_apremilast_is_four_weeks_into_its_trial(self, kb: KnowledgeBase) -> None:
        """Apremilast since 2019-05-04 is 4 weeks into a 12-week minimum trial on 2019-06-01."""
        apremilast = review_therapies(example_1(), kb).courses_of("apremilast")[0]

        assert (4.0, 12.0, "in_progress") == (
            apremilast.duration_weeks,
            apremilast.min_trial_weeks,
            apremilast.adequacy,
        )
        assert 60.0 == pytest.approx(apremilast.daily_dose_mg)


class TestExample2:
    def test_hcq_above_five_mg_per_kg_actual_weight(self, kb: KnowledgeBase) -> None:
        """HCQ 400 mg/day at 176 lb (79.83 kg) is 5.01 mg/kg, above the 5 mg/kg maximum."""
        hcq = review_therapies(example_2(), kb).courses_of("hydroxychloroquine")[0]

        assert 5.01 == pytest.approx(hcq.dose_mg_per_kg, abs=0.005)
        assert 5.0 == hcq.max_mg_per_kg
        assert hcq.above_max is True
        assert "adequate" == hcq.adequacy

    def test_methotrexate_trial_length(self, kb: KnowledgeBase) -> None:
        """MTX 2023-06-15 to 2023-11-20 is 158 days (22.57 weeks): an adequate failed trial."""
        mtx = review_therapies(example_2(), kb).courses_of("methotrexate")[0]

        assert 22.57 == mtx.duration_weeks
        assert ("failed", "adequate") == (mtx.outcome, mtx.adequacy)
        assert 15 / 7 == pytest.approx(mtx.daily_dose_mg)

    def test_hcq_within_maximum_at_lower_dose(self, kb: KnowledgeBase) -> None:
        """HCQ 300 mg/day at 79.83 kg is 3.76 mg/kg, within the maximum."""
        case = with_therapies(
            example_2(), [course("hydroxychloroquine", dose_mg=300, frequency="daily",
                                 start="2021-10-10")]
        )

        hcq = review_therapies(case, kb).courses[0]

        assert 3.758 == pytest.approx(hcq.dose_mg_per_kg, abs=0.001)
        assert hcq.above_max is False

    def test_no_weight_no_dose_per_kg(self, kb: KnowledgeBase) -> None:
        """Without a body weight the dose per kg is unknown, not zero."""
        case = with_therapies(example_2(), example_2().therapies, weight_kg=None)

        hcq = review_therapies(case, kb).courses_of("hydroxychloroquine")[0]

        assert (None, None) == (hcq.dose_mg_per_kg, hcq.above_max)


class TestAdequacy:
    def test_too_short(self, kb: KnowledgeBase) -> None:
        """Methotrexate stopped after 6 weeks is short of its 12-week minimum trial."""
        case = with_therapies(
            example_2(), [course("methotrexate", "failed", start="2023-01-01", stop="2023-02-12")]
        )

        mtx = review_therapies(case, kb).courses[0]

        assert (6.0, "too_short") == (mtx.duration_weeks, mtx.adequacy)

    def test_intolerance_counts_whatever_the_length(self, kb: KnowledgeBase) -> None:
        """Dapsone stopped for adverse effects after 2 weeks is a valid failure."""
        case = with_therapies(
            example_2(), [course("dapsone", "intolerant", start="2023-01-01", stop="2023-01-15")]
        )

        review = review_therapies(case, kb)

        assert "adequate" == review.courses[0].adequacy
        assert ("dapsone",) == review.failed_agents

    def test_partial_dates_use_the_shortest_duration(self, kb: KnowledgeBase) -> None:
        """HCQ from 2019 to 2020 counts from 2019-12-31 to 2020-01-01: not an adequate trial."""
        case = with_therapies(
            example_2(), [course("hydroxychloroquine", "failed", start="2019", stop="2020")]
        )

        hcq = review_therapies(case, kb).courses[0]

        assert (0.14, "too_short") == (hcq.duration_weeks, hcq.adequacy)
        assert "partial dates" in hcq.adequacy_note

    def test_course_starting_after_as_of_is_ignored(self, kb: KnowledgeBase) -> None:
        """A course that starts after as_of is never used."""
        case = with_therapies(example_2(), [course("belimumab", start="2024-04-01")])

        assert () == review_therapies(case, kb).courses

    def test_stop_after_as_of_is_ongoing_at_as_of(self, kb: KnowledgeBase) -> None:
        """A course stopped after as_of is reviewed as ongoing at as_of."""
        case = with_therapies(
            example_2(), [course("methotrexate", "failed", start="2024-01-05", stop="2024-06-01")]
        )

        mtx = review_therapies(case, kb).courses[0]

        assert ("ongoing", "in_progress") == (mtx.outcome, mtx.adequacy)
        assert () == review_therapies(case, kb).failed_agents

    def test_topical_tacrolimus_is_its_topical_form(self, kb: KnowledgeBase) -> None:
        """Tacrolimus by the topical route is reviewed as tacrolimus ointment, not systemic."""
        case = with_therapies(
            example_2(), [course("tacrolimus", "failed", route="topical", start="2023-01-01",
                                 stop="2023-06-01")]
        )

        review = review_therapies(case, kb)

        assert ("topical tacrolimus", "topical") == (review.courses[0].drug, review.courses[0].kind)
        assert ("topical tacrolimus",) == review.failed_agents


class TestCourseWindow:
    def test_window_of_partial_start(self) -> None:
        """A start of 2019-05 is taken as 2019-05-31, the latest day it can mean."""
        window = course_window(course("hydroxychloroquine", start="2019-05"), dt.date(2019, 8, 1))

        assert window is not None
        assert (dt.date(2019, 5, 31), dt.date(2019, 8, 1), False) == (
            window.start,
            window.end,
            window.exact,
        )

    def test_window_of_exact_course(self) -> None:
        """A dated, stopped course is exact and ends on its stop day."""
        window = course_window(
            course("methotrexate", "failed", start="2023-06-15", stop="2023-11-20"),
            dt.date(2024, 3, 15),
        )

        assert window is not None
        assert (PartialDate(2023, 6, 15).earliest, dt.date(2023, 11, 20), True) == (
            window.start,
            window.end,
            window.exact,
        )
