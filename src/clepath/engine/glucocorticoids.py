"""Glucocorticoid exposure: the current prednisone-equivalent dose against the maintenance
targets, and the cumulative dose over the recorded courses.

Equivalence is anti-inflammatory potency (clinical/pathway.md section 5; Meikle & Tyler 1977):
prednisone-equivalent mg/day = daily dose / ratio, where the ratio is mg of the drug equal to
1 mg prednisone (deflazacort 1.2 and betamethasone are configurable parameters). The current
dose sums every systemic glucocorticoid course ongoing at `as_of`; topical and intralesional
courses do not count. Both maintenance targets are always reported: EULAR 2023 (5 mg/day or
less) and ACR 2025 (below 5 mg/day within 6 months), each with a configurable operator.
Cumulative exposure uses only dated courses, over the shortest duration the dates allow, and
says when undated or dose-less courses make it incomplete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from clepath.domain.case import Case, TherapyCourse
from clepath.domain.display import fmt_plain
from clepath.engine.therapy import course_window, drug_rows, effective_drug, is_systemic_route
from clepath.errors import AssessmentError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.glucocorticoids import Equivalence, Target

__all__ = [
    "Exposure",
    "GlucocorticoidDose",
    "GlucocorticoidReview",
    "TargetCheck",
    "cumulative_at",
    "equivalence_ratio",
    "exposure_series",
    "meets_target",
    "prednisone_equivalent",
    "review_glucocorticoids",
]

_PACK = "glucocorticoids"


@dataclass(frozen=True)
class GlucocorticoidDose:
    """One current systemic glucocorticoid course and its prednisone equivalent."""

    drug: str
    label: str
    daily_dose_mg: float | None
    ratio: float | None  # mg of the drug equal to 1 mg prednisone
    prednisone_equivalent_mg_per_day: float | None


@dataclass(frozen=True)
class TargetCheck:
    """One guideline's maintenance target judged on the current prednisone equivalent."""

    guideline: str
    operator: str  # "<" or "<="
    threshold_mg: float
    met: bool | None
    source: str


@dataclass(frozen=True)
class Exposure:
    """A dated stretch of glucocorticoid at a constant prednisone-equivalent rate."""

    start: dt.date
    end: dt.date  # exclusive: the dose of `end` is not counted
    mg_per_day: float


@dataclass(frozen=True)
class GlucocorticoidReview:
    """Current dose against the targets, and cumulative exposure."""

    prednisone_equivalent_mg_per_day: float | None
    current: tuple[GlucocorticoidDose, ...]
    targets: tuple[TargetCheck, ...]
    above_target: bool | None  # True when any target is not met
    cumulative_mg: float | None
    cumulative_complete: bool
    series: tuple[tuple[dt.date, float], ...]
    notes: tuple[str, ...]


def prednisone_equivalent(daily_dose_mg: float, ratio: float) -> float:
    """Prednisone-equivalent mg/day of a daily dose, given mg of the drug per mg prednisone."""
    if ratio <= 0:
        raise AssessmentError(f"glucocorticoid ratio must be positive (got {ratio})")
    return daily_dose_mg / ratio


def meets_target(value: float, operator: str, threshold: float) -> bool:
    """Whether a dose meets a target written as `< threshold` or `<= threshold`."""
    if operator == "<":
        return value < threshold
    if operator == "<=":
        return value <= threshold
    raise AssessmentError(f"unknown target operator {operator!r}")


def cumulative_at(exposures: Sequence[Exposure], day: dt.date) -> float:
    """Cumulative mg taken before `day` (the dose of `day` itself not yet counted)."""
    total = 0.0
    for exposure in exposures:
        last = min(exposure.end, day)
        days = (last - exposure.start).days
        if days > 0:
            total += exposure.mg_per_day * days
    return total


def exposure_series(
    exposures: Sequence[Exposure], as_of: dt.date
) -> tuple[tuple[dt.date, float], ...]:
    """Cumulative mg at every course start and stop up to `as_of`, and at `as_of` itself."""
    days = {as_of}
    for exposure in exposures:
        days.update(d for d in (exposure.start, exposure.end) if d <= as_of)
    return tuple((day, round(cumulative_at(exposures, day), 3)) for day in sorted(days))


def _equivalences(kb: KnowledgeBase) -> dict[str, Equivalence]:
    return {row.id: row for row in kb.table(_PACK, "equivalences", Equivalence)}


def equivalence_ratio(kb: KnowledgeBase, drug: str) -> float | None:
    """mg of `drug` equal to 1 mg prednisone in force (parameter override applied), or None."""
    row = _equivalences(kb).get(drug)
    if row is None:
        return None
    if row.ratio_parameter is not None:
        return float(kb.value(f"{_PACK}.{row.ratio_parameter}"))
    return row.ratio


def _ratio_note(kb: KnowledgeBase, row: Equivalence, ratio: float) -> str | None:
    if row.ratio_parameter is None:
        return None
    key = f"{_PACK}.{row.ratio_parameter}"
    state = "configurable, overridden" if key in kb.overrides else "configurable"
    if kb.is_default_unconfirmed(key):
        state += ", unconfirmed default"
    contested = "; contested" if row.disagreement else ""
    return (f"{row.id} ratio {fmt_plain(ratio)}:1 ({fmt_plain(ratio * 5)} mg = 5 mg prednisone; "
            f"{state}{contested})")


def _systemic_glucocorticoid(kb: KnowledgeBase, course: TherapyCourse) -> str | None:
    drug = effective_drug(kb, course)
    row = drug_rows(kb).get(drug)
    if row is None or row.kind != "glucocorticoid" or not is_systemic_route(kb, course.route):
        return None
    return drug


def _current(kb: KnowledgeBase, case: Case) -> tuple[list[GlucocorticoidDose], list[str]]:
    rows = drug_rows(kb)
    doses: list[GlucocorticoidDose] = []
    notes: list[str] = []
    seen_notes: set[str] = set()
    for course in case.therapies:
        drug = _systemic_glucocorticoid(kb, course)
        window = course_window(course, case.as_of)
        if drug is None or window is None or window.outcome != "ongoing":
            continue
        ratio = equivalence_ratio(kb, drug)
        daily = course.daily_dose_mg
        pe = (
            round(prednisone_equivalent(daily, ratio), 3)
            if daily is not None and ratio is not None
            else None
        )
        doses.append(GlucocorticoidDose(drug, rows[drug].label, daily, ratio, pe))
        if ratio is None:
            notes.append(f"{drug}: no prednisone equivalence in the glucocorticoids pack")
        elif daily is None:
            notes.append(f"{drug}: dose or frequency not recorded, so no prednisone equivalent")
        equivalence = _equivalences(kb).get(drug)
        note = _ratio_note(kb, equivalence, ratio) if equivalence and ratio else None
        if note and note not in seen_notes:
            seen_notes.add(note)
            notes.append(note)
    return doses, notes


def _targets(kb: KnowledgeBase, pe: float | None) -> tuple[TargetCheck, ...]:
    checks: list[TargetCheck] = []
    for target in kb.table(_PACK, "targets", Target):
        threshold = float(kb.value(f"{_PACK}.{target.threshold_parameter}"))
        operator = str(kb.value(f"{_PACK}.{target.operator_parameter}"))
        met = None if pe is None else meets_target(pe, operator, threshold)
        checks.append(TargetCheck(target.guideline, operator, threshold, met, target.source[0]))
    return tuple(checks)


def _exposures(kb: KnowledgeBase, case: Case) -> tuple[list[Exposure], list[str], bool]:
    exposures: list[Exposure] = []
    gaps: list[str] = []
    partial = False
    for course in case.therapies:
        drug = _systemic_glucocorticoid(kb, course)
        window = course_window(course, case.as_of)
        if drug is None or window is None:
            continue
        ratio = equivalence_ratio(kb, drug)
        daily = course.daily_dose_mg
        if window.start is None or window.end is None:
            gaps.append(f"{drug} course without {'start' if window.start is None else 'stop'} date")
            continue
        if daily is None or ratio is None:
            gaps.append(f"{drug} course without a usable dose")
            continue
        partial = partial or not window.exact
        if window.end > window.start:
            exposures.append(
                Exposure(window.start, window.end, prednisone_equivalent(daily, ratio))
            )
    return exposures, gaps, partial


def review_glucocorticoids(case: Case, kb: KnowledgeBase) -> GlucocorticoidReview:
    """Current prednisone-equivalent dose, the EULAR 2023 and ACR 2025 targets, and cumulative
    exposure as of `case.as_of`.

    Args:
        case: the case (its therapy history).
        kb: the knowledge base (the `drugs` and `glucocorticoids` packs).

    Returns:
        The review; `prednisone_equivalent_mg_per_day` is None when a current course lacks a dose
        or an equivalence, and 0 when no systemic glucocorticoid is current.
    """
    doses, notes = _current(kb, case)
    if not doses:
        pe: float | None = 0.0
        notes.insert(0, "no current systemic glucocorticoid recorded")
    elif any(d.prednisone_equivalent_mg_per_day is None for d in doses):
        pe = None
    else:
        pe = round(sum(d.prednisone_equivalent_mg_per_day or 0.0 for d in doses), 3)
    targets = _targets(kb, pe)
    above = None if pe is None else not all(t.met for t in targets)
    exposures, gaps, partial = _exposures(kb, case)
    series = exposure_series(exposures, case.as_of)
    has_courses = bool(exposures) or bool(gaps)
    cumulative = series[-1][1] if exposures or not has_courses else None
    complete = not gaps and not partial
    if gaps:
        notes.append(
            "cumulative exposure incomplete (a lower bound from dated courses): "
            + "; ".join(gaps)
        )
    if partial:
        notes.append("partial course dates: the shortest possible duration is counted")
    return GlucocorticoidReview(
        prednisone_equivalent_mg_per_day=pe,
        current=tuple(doses),
        targets=targets,
        above_target=above,
        cumulative_mg=cumulative,
        cumulative_complete=complete,
        series=series,
        notes=tuple(notes),
    )
