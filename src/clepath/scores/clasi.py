"""CLASI: the Cutaneous Lupus Erythematosus Disease Area and Severity Index.

Owns the scoring of a CLASI examination into activity (CLASI-A, 0-70) and damage (CLASI-D,
0-56), the severity band of the activity score and the change between two examinations
(Albrecht J et al., J Invest Dermatol 2005;125:889-94; severity bands and the 4-point / 20 %
improvement markers: Klein RS et al., Arch Dermatol 2011;147:203-8; CLASI-50: Werth VP et al.,
N Engl J Med 2022;387:321-31).

The form's layout (regions, items, allowed values, the region an item skips, the sum that is
doubled) and every threshold come from the `clasi` knowledge pack. Activity and damage are never
added: no validated total exists. Percentage thresholds are tested in exact arithmetic
(100 x decrease >= percent x baseline), so a decrease of exactly 20 % counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from fractions import Fraction

from clepath.domain.case import Case, ClasiExam, ClasiRegionScore
from clepath.errors import CaseError, FieldProblem, KnowledgeError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.clasi import ClasiItem, ClasiRegion, ClasiRule, SeverityBand

__all__ = [
    "ClasiChange",
    "ClasiScore",
    "ClasiSummary",
    "PACK",
    "activity_maximum",
    "caveats",
    "change",
    "damage_maximum",
    "exam_problems",
    "region_ids",
    "score_exam",
    "severity",
    "summarise",
]

PACK = "clasi"
_PERSISTENCE_FIELD = "dyspigmentation_lasts_12_months"
_REGION_FIELDS = frozenset(f.name for f in fields(ClasiRegionScore))
_EXAM_FIELDS = frozenset(f.name for f in fields(ClasiExam))


@dataclass(frozen=True)
class ClasiScore:
    """The CLASI scores of one examination.

    `damage` doubles the dyspigmentation sum only when the exam records that dyspigmentation
    usually lasts 12 months or longer; `damage_uncertain` says when that answer is missing
    although dyspigmentation was scored.
    """

    date: dt.date
    activity: int
    damage: int
    severity: str  # "mild" | "moderate" | "severe" (CLASI-A bands, Klein 2011)
    erythema_scale_subtotal: int  # the per-region activity items (erythema + scale/hypertrophy)
    dyspigmentation_sum: int = 0  # before any doubling
    dyspigmentation_lasts_12_months: bool | None = None  # as recorded; None = not recorded

    @property
    def damage_uncertain(self) -> bool:
        """True when dyspigmentation was scored but its persistence was not recorded."""
        return self.dyspigmentation_sum > 0 and self.dyspigmentation_lasts_12_months is None


@dataclass(frozen=True)
class ClasiChange:
    """Change in CLASI-A from the baseline examination to a later one."""

    baseline_date: dt.date
    baseline_activity: int
    points: int  # baseline - current; positive = improvement
    percent: float | None  # 100 * points / baseline; None when the baseline is 0
    meaningful_4_points: bool
    meaningful_20_percent: bool
    clasi_50: bool


@dataclass(frozen=True)
class ClasiSummary:
    """Every CLASI examination up to the assessment date, the latest and its change."""

    latest: ClasiScore
    change: ClasiChange | None  # None when only one examination is recorded
    history: tuple[ClasiScore, ...]  # oldest first


def _regions(kb: KnowledgeBase) -> tuple[ClasiRegion, ...]:
    return tuple(sorted(kb.table(PACK, "regions", ClasiRegion), key=lambda r: r.order))


def _items(kb: KnowledgeBase) -> tuple[ClasiItem, ...]:
    items = kb.table(PACK, "items", ClasiItem)
    for item in items:
        known = _REGION_FIELDS if item.scope == "region" else _EXAM_FIELDS
        if item.id not in known:
            raise KnowledgeError(f"pack {PACK}: item {item.id!r} is not a {item.scope} field")
    return items


def region_ids(kb: KnowledgeBase) -> tuple[str, ...]:
    """The 13 CLASI region ids in form order."""
    return tuple(region.id for region in _regions(kb))


def _accepted(item: ClasiItem) -> str:
    values = item.values
    if list(values) == list(range(values[0], values[-1] + 1)):
        return f"a whole number from {values[0]} to {values[-1]}"
    return "one of " + ", ".join(str(v) for v in values)


def _is_allowed(value: object, item: ClasiItem) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in item.values


def _region_problems(
    region_id: str, score: ClasiRegionScore, items: tuple[ClasiItem, ...]
) -> list[tuple[str, object, str]]:
    problems: list[tuple[str, object, str]] = []
    for item in items:
        value = getattr(score, item.id)
        path = f"regions.{region_id}.{item.id}"
        if region_id in item.excluded_regions:
            if value != 0:
                problems.append((path, value, item.excluded_note or "0"))
        elif not _is_allowed(value, item):
            problems.append((path, value, _accepted(item)))
    return problems


def exam_problems(exam: ClasiExam, kb: KnowledgeBase) -> list[tuple[str, object, str]]:
    """Every out-of-range value of one examination: (field path, value, accepted form).

    Paths are relative to the examination (`regions.scalp.scarring`, `nonscarring_alopecia`).
    An empty list means the examination can be scored.
    """
    items = _items(kb)
    region_items = tuple(item for item in items if item.scope == "region")
    known = region_ids(kb)
    problems: list[tuple[str, object, str]] = []
    seen: set[str] = set()
    for region_id, score in exam.regions:
        if region_id not in known:
            accepted = "a CLASI region: " + ", ".join(known)
            problems.append((f"regions.{region_id}", region_id, accepted))
            continue
        if region_id in seen:
            problems.append((f"regions.{region_id}", region_id, "each region at most once"))
            continue
        seen.add(region_id)
        problems.extend(_region_problems(region_id, score, region_items))
    for item in items:
        if item.scope == "global":
            value = getattr(exam, item.id)
            if not _is_allowed(value, item):
                problems.append((item.id, value, _accepted(item)))
    persistence = getattr(exam, _PERSISTENCE_FIELD)
    if persistence is not None and not isinstance(persistence, bool):
        problems.append((_PERSISTENCE_FIELD, persistence, "true, false or not recorded"))
    return problems


def severity(activity: int, kb: KnowledgeBase) -> str:
    """The severity band (mild, moderate, severe) of a CLASI-A score (Klein 2011)."""
    for band in kb.table(PACK, "bands", SeverityBand):
        if band.minimum <= activity <= band.maximum:
            return band.id
    raise KnowledgeError(f"pack {PACK}: no severity band holds CLASI-A {activity}")


def _multiplier(kb: KnowledgeBase) -> int:
    return int(kb.value(f"{PACK}.dyspigmentation_persistence_multiplier"))


def _region_sum(
    recorded: dict[str, ClasiRegionScore], item: ClasiItem, regions: tuple[str, ...]
) -> int:
    """The item summed over the regions (a region not recorded scores 0, as `exam.region`)."""
    return sum(
        getattr(recorded[region_id], item.id)
        for region_id in regions
        if region_id in recorded and region_id not in item.excluded_regions
    )


def score_exam(exam: ClasiExam, kb: KnowledgeBase) -> ClasiScore:
    """CLASI-A, CLASI-D and the activity band of one examination.

    Raises:
        CaseError: a value is out of range (each problem names its field and accepted form).
    """
    problems = exam_problems(exam, kb)
    if problems:
        where = f"clasi[{exam.date.isoformat()}]"
        raise CaseError(
            [
                FieldProblem(f"{where}.{path}", value, "not a valid CLASI value", accepted)
                for path, value, accepted in problems
            ]
        )
    regions = region_ids(kb)
    # the first score given for each region, as `exam.region` reads it
    recorded = {region: score for region, score in reversed(exam.regions)}
    activity = damage = subtotal = dyspigmentation = 0
    for item in _items(kb):
        if item.scope == "region":
            total = _region_sum(recorded, item, regions)
        else:
            total = getattr(exam, item.id)
        if item.doubled_if_persistent:
            dyspigmentation += total
            if exam.dyspigmentation_lasts_12_months is True:
                total *= _multiplier(kb)
        if item.component == "activity":
            activity += total
            subtotal += total if item.scope == "region" else 0
        else:
            damage += total
    return ClasiScore(
        date=exam.date,
        activity=activity,
        damage=damage,
        severity=severity(activity, kb),
        erythema_scale_subtotal=subtotal,
        dyspigmentation_sum=dyspigmentation,
        dyspigmentation_lasts_12_months=exam.dyspigmentation_lasts_12_months,
    )


def _at_least_percent(points: int, baseline: int, percent: object) -> bool:
    """`points` is at least `percent` % of `baseline`, in exact arithmetic."""
    return baseline > 0 and 100 * points >= Fraction(str(percent)) * baseline


def change(baseline: ClasiScore, current: ClasiScore, kb: KnowledgeBase) -> ClasiChange:
    """Change in CLASI-A from `baseline` to `current`, with the improvement flags.

    The 4-point and 20 % markers (Klein 2011) are reported separately; CLASI-50 is a decrease of
    at least 50 %. With a baseline of 0 no percentage exists and the percentage flags are False.
    """
    points = baseline.activity - current.activity
    base = baseline.activity
    return ClasiChange(
        baseline_date=baseline.date,
        baseline_activity=base,
        points=points,
        percent=None if base == 0 else 100 * points / base,
        meaningful_4_points=points >= kb.value(f"{PACK}.improvement_points"),
        meaningful_20_percent=_at_least_percent(
            points, base, kb.value(f"{PACK}.improvement_percent")
        ),
        clasi_50=_at_least_percent(points, base, kb.value(f"{PACK}.clasi50_percent")),
    )


def summarise(case: Case, kb: KnowledgeBase) -> ClasiSummary | None:
    """Score every CLASI examination dated on or before `case.as_of`; None when there is none.

    The baseline is the first recorded examination; the change is measured to the latest.
    """
    exams = sorted((e for e in case.clasi if e.date <= case.as_of), key=lambda e: e.date)
    if not exams:
        return None
    history = tuple(score_exam(exam, kb) for exam in exams)
    latest = history[-1]
    delta = change(history[0], latest, kb) if len(history) > 1 else None
    return ClasiSummary(latest=latest, change=delta, history=history)


def _item_maximum(item: ClasiItem, regions: tuple[str, ...], multiplier: int) -> int:
    if item.scope == "global":
        return item.values[-1]
    counted = sum(1 for region_id in regions if region_id not in item.excluded_regions)
    factor = multiplier if item.doubled_if_persistent else 1
    return item.values[-1] * counted * factor


def activity_maximum(kb: KnowledgeBase) -> int:
    """The highest CLASI-A the pack's layout allows (70 on the published form)."""
    regions = region_ids(kb)
    return sum(
        _item_maximum(item, regions, _multiplier(kb))
        for item in _items(kb)
        if item.component == "activity"
    )


def damage_maximum(kb: KnowledgeBase) -> int:
    """The highest CLASI-D the pack's layout allows (56 with the scalp excluded from scarring)."""
    regions = region_ids(kb)
    return sum(
        _item_maximum(item, regions, _multiplier(kb))
        for item in _items(kb)
        if item.component == "damage"
    )


def caveats(kb: KnowledgeBase) -> tuple[str, ...]:
    """The unconfirmed ([U]) rules behind every CLASI score, as sentences for output."""
    return tuple(
        f"{rule.label}: {rule.text} (unconfirmed)"
        for rule in kb.table(PACK, "rules", ClasiRule)
        if rule.unconfirmed
    )
