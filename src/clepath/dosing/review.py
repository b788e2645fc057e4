"""The review rule for continuing IVIG in cutaneous lupus.

A baseline CLASI-A is required on or before the first course; CLASI-A is re-scored before cycle
4 (Ky 2015 gave three monthly cycles); cycles beyond 6 are blocked unless a response is
documented: a CLASI-A fall of at least 50 % from the baseline (Goodfield's "partial but helpful"
threshold; our convention). The stewardship wording behind the block: Ontario IGUM, "Use should
be discontinued if benefit is not demonstrated"; NBA Criteria, "IVIg should not be continued in
patients with no demonstrable clinical benefit". CLASI-A history arrives as plain dated values:
dosing does not score CLASI itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from clepath.domain.display import fmt
from clepath.dosing import catalogue
from clepath.dosing.regimen import ScheduledCourse
from clepath.dosing.safety import Alert, make_alert
from clepath.knowledge.base import KnowledgeBase

__all__ = ["ClasiPoint", "ReviewPlan", "review"]


@dataclass(frozen=True)
class ClasiPoint:
    """One dated CLASI-A activity score."""

    date: dt.date
    activity: int


@dataclass(frozen=True)
class ReviewPlan:
    """What the review rule found and requires for this plan.

    `reduction` is the fall in CLASI-A from baseline as a fraction (None when there is no later
    score or the baseline is 0); `blocked_cycles` are the cycles the rule holds back.
    """

    baseline: ClasiPoint | None
    latest: ClasiPoint | None
    reduction: float | None
    response_threshold: float
    response_documented: bool
    complete_response: bool
    rescore_cycle: int
    rescore_due: dt.date | None
    max_cycles: int
    blocked_cycles: tuple[int, ...]
    alerts: tuple[Alert, ...]
    wording: tuple[tuple[str, str], ...]  # (review rule id, quoted programme wording)
    unconfirmed: tuple[str, ...] = ()


def _baseline(history: Sequence[ClasiPoint], first: dt.date, as_of: dt.date) -> ClasiPoint | None:
    usable = [p for p in history if p.date <= min(first, as_of)]
    return max(usable, key=lambda p: p.date) if usable else None


def _latest_after(
    history: Sequence[ClasiPoint], baseline: ClasiPoint | None, as_of: dt.date
) -> ClasiPoint | None:
    if baseline is None:
        return None
    later = [p for p in history if baseline.date < p.date <= as_of]
    return max(later, key=lambda p: p.date) if later else None


def _pct(value: float) -> str:
    return fmt(100 * value, "percent")


def review(
    history: Sequence[ClasiPoint],
    courses: Sequence[ScheduledCourse],
    kb: KnowledgeBase,
    as_of: dt.date,
) -> ReviewPlan:
    """Apply the review rule to a dated plan and the CLASI-A history (scores after as_of unused)."""
    rescore_cycle = int(catalogue.param(kb, "rescore_before_cycle"))
    max_cycles = int(catalogue.param(kb, "max_cycles_without_response"))
    threshold = float(catalogue.param(kb, "response_reduction"))
    complete = float(catalogue.param(kb, "complete_response_reduction"))
    wording = tuple(
        (rid, catalogue.review_rule(kb, rid).wording or "")
        for rid in ("ontario_discontinue", "nba_no_benefit", "ontario_lowest_dose")
    )
    if not courses:
        return ReviewPlan(None, None, None, threshold, False, False, rescore_cycle, None,
                          max_cycles, (), (), wording)
    first = courses[0].start
    baseline = _baseline(history, first, as_of)
    latest = _latest_after(history, baseline, as_of)
    reduction = None
    if baseline is not None and latest is not None and baseline.activity > 0:
        reduction = (baseline.activity - latest.activity) / baseline.activity
    documented = reduction is not None and reduction >= threshold - 1e-12
    alerts: list[Alert] = []
    if baseline is None:
        alerts.append(make_alert(kb, "review_baseline_missing", date=first.isoformat()))
    due = next((c.start for c in courses if c.cycle == rescore_cycle), None)
    if due is not None:
        alerts.append(make_alert(kb, "review_rescore_due", cycle=rescore_cycle,
                                 date=due.isoformat()))
    beyond = [c for c in courses if c.cycle > max_cycles]
    blocked: tuple[int, ...] = ()
    if beyond and documented:
        assert baseline is not None and latest is not None and reduction is not None
        alerts.append(make_alert(
            kb, "review_response_documented", baseline=baseline.activity,
            baseline_date=baseline.date.isoformat(), latest=latest.activity,
            latest_date=latest.date.isoformat(), fall=_pct(reduction), limit=max_cycles,
            complete=" (near-complete)" if reduction >= complete - 1e-12 else "",
        ))
    elif beyond:
        blocked = tuple(c.cycle for c in beyond)
        quotes = dict(wording)
        alerts.append(make_alert(
            kb, "review_cycles_blocked", blocked, limit=max_cycles, count=len(beyond),
            date=beyond[0].start.isoformat(), reduction=_pct(threshold),
            ontario=quotes["ontario_discontinue"], nba=quotes["nba_no_benefit"],
        ))
    unconfirmed = tuple(
        catalogue.param_key(name)
        for name in ("response_reduction", "complete_response_reduction")
        if catalogue.unconfirmed(kb, name)
    )
    return ReviewPlan(
        baseline=baseline,
        latest=latest,
        reduction=reduction,
        response_threshold=threshold,
        response_documented=documented,
        complete_response=reduction is not None and reduction >= complete - 1e-12,
        rescore_cycle=rescore_cycle,
        rescore_due=due,
        max_cycles=max_cycles,
        blocked_cycles=blocked,
        alerts=tuple(alerts),
        wording=wording,
        unconfirmed=unconfirmed,
    )
