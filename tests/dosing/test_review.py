"""The review rule: baseline CLASI-A, the re-score before cycle 4, the block beyond cycle 6."""

from __future__ import annotations

import datetime as dt

from clepath.dosing.plan import PlanOptions, plan_ivig
from clepath.dosing.regimen import RegimenOverrides
from clepath.dosing.review import ClasiPoint
from clepath.knowledge.base import KnowledgeBase
from tests.dosing.factories import case, patient, request

START = dt.date(2024, 4, 1)


def _plan(kb: KnowledgeBase, history: list[ClasiPoint], cycles: int = 4,
          as_of: dt.date = dt.date(2024, 3, 15), start: dt.date = START):  # type: ignore[no-untyped-def]
    c = case(patient(), request(maintenance=(1.0, 28, cycles), start=start), as_of=as_of)
    return plan_ivig(c, kb, clasi_history=history)


class TestBaseline:
    def test_missing_baseline_is_flagged(self, kb: KnowledgeBase) -> None:
        """Without a CLASI-A on or before the first course the plan asks for one."""
        plan = _plan(kb, [])

        assert "review_baseline_missing" in {a.code for a in plan.alerts}

    def test_latest_score_before_the_start_is_the_baseline(self, kb: KnowledgeBase) -> None:
        """Of two scores before the start, the later is the baseline."""
        history = [ClasiPoint(dt.date(2023, 6, 1), 20), ClasiPoint(dt.date(2024, 3, 15), 12)]

        assert ClasiPoint(dt.date(2024, 3, 15), 12) == _plan(kb, history).review.baseline


class TestRescore:
    def test_rescore_due_before_cycle_4(self, kb: KnowledgeBase) -> None:
        """Induction + 4 maintenance courses: a re-score is due by cycle 4's start."""
        plan = _plan(kb, [ClasiPoint(dt.date(2024, 3, 1), 14)])

        assert (4, START + dt.timedelta(days=84)) == (
            plan.review.rescore_cycle, plan.review.rescore_due
        )

    def test_no_rescore_alert_for_three_cycles(self, kb: KnowledgeBase) -> None:
        """A three-cycle plan has no cycle 4 to re-score before."""
        plan = _plan(kb, [ClasiPoint(dt.date(2024, 3, 1), 14)], cycles=2)

        assert None is plan.review.rescore_due


class TestBeyondSixCycles:
    def test_cycles_7_and_8_are_blocked_without_a_response(self, kb: KnowledgeBase) -> None:
        """Induction + 7 maintenance = 8 cycles: cycles 7 and 8 are blocked."""
        plan = _plan(kb, [ClasiPoint(dt.date(2024, 3, 1), 14)], cycles=7)
        block = next(a for a in plan.alerts if a.code == "review_cycles_blocked")

        assert (True, (7, 8), (7, 8)) == (
            plan.blocked, plan.review.blocked_cycles, tuple(c.cycle for c in plan.courses
                                                             if c.blocked)
        )
        assert "benefit is not demonstrated" in block.message
        assert "no demonstrable clinical benefit" in block.message

    def test_six_cycles_are_not_blocked(self, kb: KnowledgeBase) -> None:
        """Exactly six cycles need no documented response."""
        assert not _plan(kb, [ClasiPoint(dt.date(2024, 3, 1), 14)], cycles=5).blocked

    def test_documented_50_percent_fall_allows_more_cycles(self, kb: KnowledgeBase) -> None:
        """A mid-course CLASI-A fall from 14 to 7 (50 %) documents a response: no block."""
        history = [ClasiPoint(dt.date(2024, 1, 1), 14), ClasiPoint(dt.date(2024, 6, 1), 7)]
        plan = _plan(kb, history, cycles=7, as_of=dt.date(2024, 6, 2),
                     start=dt.date(2024, 1, 2))

        assert (False, 0.5, True) == (
            plan.blocked, plan.review.reduction, plan.review.response_documented
        )

    def test_a_49_percent_fall_is_not_a_response(self, kb: KnowledgeBase) -> None:
        """A fall from 100 % to 51 % of baseline does not document a response."""
        history = [ClasiPoint(dt.date(2024, 1, 1), 100), ClasiPoint(dt.date(2024, 6, 1), 51)]
        plan = _plan(kb, history, cycles=7, as_of=dt.date(2024, 6, 2),
                     start=dt.date(2024, 1, 2))

        assert plan.blocked

    def test_scores_after_as_of_are_ignored(self, kb: KnowledgeBase) -> None:
        """A response dated after as_of is not used."""
        history = [ClasiPoint(dt.date(2024, 1, 1), 14), ClasiPoint(dt.date(2024, 7, 1), 2)]
        plan = _plan(kb, history, cycles=7, as_of=dt.date(2024, 6, 2),
                     start=dt.date(2024, 1, 2))

        assert (None, True) == (plan.review.latest, plan.blocked)

    def test_preset_with_more_cycles_option(self, kb: KnowledgeBase) -> None:
        """The dermatomyositis analogue with 8 maintenance courses blocks cycles 7-9."""
        plan = plan_ivig(case(patient()), kb, options=PlanOptions(
            preset="dm_label_analog", regimen=RegimenOverrides(maintenance_cycles=8)))

        assert (7, 8, 9) == plan.review.blocked_cycles
