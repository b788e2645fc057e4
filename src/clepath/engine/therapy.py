"""Therapy-history review: how long each drug was given, whether that was an adequate trial, and
the dose per kilogram where the drug has a weight-based maximum.

A course is judged against its agent's minimum adequate trial (the `drugs` pack, after
clinical/pathway.md section 4). Dates may be partial (a year, a month): the review then uses the
shortest duration the dates allow, so a trial is never called adequate on a guess. A failure
reported without dates counts as reported, but its adequacy is `undocumented`. Nothing dated
after the case's `as_of` is used: a course starting later is left out, and a course whose stop
date lies after `as_of` is reviewed as ongoing at `as_of`. Antimalarial dose per kilogram uses
actual body weight (EULAR 2023; AAO 2016). Every course is also checked against its drug's dose
limits (`clepath.engine.doses`): a course with a dose above the maximum, or a schedule or route
not allowed, is `implausible_dose` whatever its length, and overlapping courses of one active
moiety are summed for the per-kg figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from clepath.domain.case import Case, TherapyCourse
from clepath.domain.dates import PartialDate
from clepath.engine import doses as doses_module
from clepath.engine.alerts import alert_definition
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.drugs import Drug, RouteClass, TriggerDrug

__all__ = [
    "CourseReview",
    "CourseWindow",
    "FAILURE_OUTCOMES",
    "TherapyReview",
    "course_window",
    "drug_rows",
    "effective_drug",
    "is_systemic_route",
    "review_therapies",
    "trigger_class_of",
]

FAILURE_OUTCOMES: frozenset[str] = frozenset({"failed", "intolerant"})
"""Outcomes that make an agent a failed agent (never offered again as a new start)."""

_DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class CourseWindow:
    """The dates a course is reviewed over, clipped to `as_of`.

    `start` is the latest day the start can mean and `end` the earliest day the stop can mean
    (or `as_of` for a course still running), so `end - start` is the shortest possible duration.
    `outcome` is the outcome at `as_of` (`ongoing` when the recorded stop lies after it).
    """

    start: dt.date | None
    end: dt.date | None
    outcome: str
    exact: bool  # both ends known to the day
    stop_after_as_of: bool


@dataclass(frozen=True)
class CourseReview:
    """One course of the therapy history, reviewed."""

    drug: str
    label: str
    kind: str
    outcome: str
    start: PartialDate | None
    stop: PartialDate | None
    daily_dose_mg: float | None
    duration_weeks: float | None
    min_trial_weeks: float | None
    adequacy: str  # "adequate" | "too_short" | "undocumented" | "in_progress" | "implausible_dose"
    adequacy_note: str
    dose_mg_per_kg: float | None
    max_mg_per_kg: float | None
    above_max: bool | None
    dose_text: str | None = None  # as written in the case, e.g. "15 mg"
    frequency: str | None = None  # frequency id, e.g. "weekly"
    route: str | None = None  # route id, e.g. "oral"
    dose_mg: float | None = None  # per administration
    dose_problems: tuple[doses_module.DoseProblem, ...] = ()  # limits of the drugs pack broken
    summed_daily_dose_mg: float | None = None  # with overlapping courses of the same moiety
    overlaps_with: tuple[int, ...] = ()  # indexes (in `TherapyReview.courses`) of those courses


@dataclass(frozen=True)
class TherapyReview:
    """Every course reviewed, with the agents that failed and those taken now."""

    courses: tuple[CourseReview, ...]
    failed_agents: tuple[str, ...]  # outcome failed or intolerant, in history order
    current_agents: tuple[str, ...]  # ongoing at as_of, in history order
    overlaps: tuple[doses_module.Overlap, ...] = ()  # same-moiety courses overlapping in time

    def courses_of(self, drug: str) -> tuple[CourseReview, ...]:
        """The courses of one drug id."""
        return tuple(c for c in self.courses if c.drug == drug)


_DRUG_ROWS: dict[int, tuple[tuple[Drug, ...], dict[str, Drug]]] = {}


def drug_rows(kb: KnowledgeBase) -> dict[str, Drug]:
    """The `drugs` pack's agents by id (built once per loaded table; do not modify)."""
    rows = kb.table("drugs", "drugs", Drug)
    cached = _DRUG_ROWS.get(id(rows))
    if cached is None or cached[0] is not rows:
        if len(_DRUG_ROWS) > 8:
            _DRUG_ROWS.clear()
        cached = (rows, {row.id: row for row in rows})
        _DRUG_ROWS[id(rows)] = cached
    return cached[1]


def trigger_class_of(kb: KnowledgeBase, drug: str) -> str | None:
    """The CLE-trigger class of a drug id (a treatment such as IVIG, or a trigger-only drug)."""
    row = drug_rows(kb).get(drug)
    if row is not None:
        return row.cle_trigger
    for trigger in kb.table("drugs", "trigger_drugs", TriggerDrug):
        if trigger.id == drug:
            return trigger.trigger_class
    return None


def is_systemic_route(kb: KnowledgeBase, route: str | None) -> bool:
    """True unless the route is one the `drugs` pack marks non-systemic (no route: systemic)."""
    if route is None:
        return True
    for row in kb.table("drugs", "routes", RouteClass):
        if row.id == route:
            return row.systemic
    return True


def effective_drug(kb: KnowledgeBase, course: TherapyCourse) -> str:
    """The drug id a course is reviewed as: a systemic drug given topically becomes its topical
    form (tacrolimus by the topical route is tacrolimus ointment)."""
    row = drug_rows(kb).get(course.drug)
    if row is not None and row.topical_form and not is_systemic_route(kb, course.route):
        return row.topical_form
    return course.drug


def course_window(course: TherapyCourse, as_of: dt.date) -> CourseWindow | None:
    """The reviewed window of a course, or None when it starts after `as_of` (never used)."""
    if course.start is not None and course.start.earliest > as_of:
        return None
    start = min(course.start.latest, as_of) if course.start is not None else None
    outcome = course.outcome
    stop_after = course.stop is not None and course.stop.earliest > as_of
    end: dt.date | None
    if outcome == "ongoing" or stop_after:
        end = as_of
        outcome = "ongoing"
    elif course.stop is not None:
        end = course.stop.earliest
    else:
        end = None
    exact = (
        course.start is not None
        and course.start.is_exact
        and (end == as_of or (course.stop is not None and course.stop.is_exact))
    )
    return CourseWindow(start, end, outcome, exact, stop_after)


def _duration_weeks(window: CourseWindow) -> float | None:
    if window.start is None or window.end is None:
        return None
    days = max(0, (window.end - window.start).days)
    return round(days / _DAYS_PER_WEEK, 2)


def _weeks(value: float) -> str:
    return f"{value:.0f} weeks" if value >= 10 else f"{value:.1f} weeks".replace(".0 ", " ")


def _adequacy(
    window: CourseWindow, duration: float | None, minimum: float | None, course: TherapyCourse
) -> tuple[str, str]:
    approx = "" if window.exact else " (shortest duration the partial dates allow)"
    later = " (the recorded stop date is after as_of)" if window.stop_after_as_of else ""
    if window.outcome == "ongoing":
        if duration is None:
            return "undocumented", (
                "ongoing, but the start date is not recorded: trial length unknown"
            )
        if minimum is None:
            return "in_progress", (
                f"ongoing for {_weeks(duration)}{approx}{later}; no minimum trial defined"
            )
        if duration >= minimum:
            return "adequate", (
                f"ongoing for {_weeks(duration)}{approx}{later}, at least the "
                f"{_weeks(minimum)} of a minimum trial"
            )
        return "in_progress", (
            f"ongoing for {_weeks(duration)}{approx}{later} of the {_weeks(minimum)} of a "
            "minimum trial"
        )
    if window.outcome == "intolerant":
        length = f" after {_weeks(duration)}{approx}" if duration is not None else ""
        return "adequate", (
            f"stopped for adverse effects{length}: intolerance counts whatever the course length"
        )
    if window.outcome == "contraindicated":
        return "undocumented", "recorded as contraindicated: no trial was given"
    if duration is None:
        what = "start date" if course.start is None else "stop date"
        if course.start is None and course.stop is None:
            what = "dates"
        need = f" (minimum {_weeks(minimum)})" if minimum is not None else ""
        return "undocumented", (
            f"reported as {window.outcome} without {what}: the report counts, but whether the "
            f"trial was long enough cannot be judged{need}"
        )
    if minimum is None:
        return "adequate", f"given for {_weeks(duration)}{approx}; no minimum trial defined"
    if duration >= minimum:
        return "adequate", (
            f"given for {_weeks(duration)}{approx}, at least the {_weeks(minimum)} of a "
            "minimum trial"
        )
    return "too_short", (
        f"stopped after {_weeks(duration)}{approx}, short of the {_weeks(minimum)} of a "
        "minimum trial"
    )


def _dose_per_kg(
    row: Drug | None, daily_dose_mg: float | None, weight_kg: float | None
) -> tuple[float | None, float | None, bool | None]:
    if row is None or row.maximum is None:
        return None, None, None
    maximum = row.maximum.mg_per_kg_per_day
    if daily_dose_mg is None or weight_kg is None or weight_kg <= 0:
        return None, maximum, None
    per_kg = daily_dose_mg / weight_kg  # actual body weight
    return round(per_kg, 3), maximum, per_kg > maximum


def _implausible(problems: tuple[doses_module.DoseProblem, ...]) -> tuple[str, str]:
    return "implausible_dose", (
        "not an adequate trial: " + "; ".join(p.text for p in problems)
        + " (check the entry; the drugs pack's limits)"
    )


def _review(
    kb: KnowledgeBase,
    rows: dict[str, Drug],
    case: Case,
    course: TherapyCourse,
    window: CourseWindow,
    drug: str,
    problems: tuple[doses_module.DoseProblem, ...] = (),
    summed_daily: float | None = None,
    overlaps_with: tuple[int, ...] = (),
) -> CourseReview:
    row = rows.get(drug)
    label = row.label if row is not None else kb.vocabulary("drug").labels.get(drug, drug)
    kind: str
    if row is not None:
        kind = row.kind
    else:
        kind = "trigger_only" if trigger_class_of(kb, drug) else "unknown"
    duration = _duration_weeks(window)
    minimum = row.min_trial_weeks if row is not None else None
    adequacy, note = _adequacy(window, duration, minimum, course)
    if problems:
        adequacy, note = _implausible(problems)
    daily = summed_daily if summed_daily is not None else course.daily_dose_mg
    per_kg, maximum, above = _dose_per_kg(row, daily, case.patient.weight_kg)
    return CourseReview(
        drug=drug,
        label=label,
        kind=kind,
        outcome=window.outcome,
        start=course.start,
        stop=course.stop,
        daily_dose_mg=course.daily_dose_mg,
        duration_weeks=duration,
        min_trial_weeks=minimum,
        adequacy=adequacy,
        adequacy_note=note,
        dose_mg_per_kg=per_kg,
        max_mg_per_kg=maximum,
        above_max=above,
        dose_text=course.dose_text,
        frequency=course.frequency,
        route=course.route,
        dose_mg=course.dose_mg,
        dose_problems=problems,
        summed_daily_dose_mg=summed_daily if overlaps_with else None,
        overlaps_with=overlaps_with,
    )


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def review_therapies(case: Case, kb: KnowledgeBase) -> TherapyReview:
    """Review every course of the case's therapy history as of `case.as_of`.

    Args:
        case: the case; its therapies carry canonical drug ids from the `drug` vocabulary.
        kb: the knowledge base (the `drugs` pack).

    Returns:
        The reviewed courses in history order, the failed agents (outcome failed or intolerant)
        and the agents ongoing at `as_of`.
    """
    rows = drug_rows(kb)
    windows = [course_window(course, case.as_of) for course in case.therapies]
    drugs = [effective_drug(kb, course) for course in case.therapies]
    check = doses_module.check_courses(
        rows,
        drugs,
        case.therapies,
        [
            doses_module.Span(w.start, w.end, w.outcome == "ongoing") if w is not None else None
            for w in windows
        ],
        weight_kg=case.patient.weight_kg,
        frequency_labels=kb.vocabulary("frequency").labels,
        route_labels=kb.vocabulary("route").labels,
        labels=kb.vocabulary("drug").labels,
    )
    # Reviewed courses skip those dated after as_of: map history indexes to review indexes.
    position: dict[int, int] = {}
    for k, window in enumerate(windows):
        if window is not None:
            position[k] = len(position)
    courses: list[CourseReview] = []
    for k, (course, window) in enumerate(zip(case.therapies, windows, strict=True)):
        if window is None:
            continue
        problems = tuple(
            p if p.severity is not None
            else dataclasses.replace(p, severity=alert_definition(kb, p.code).severity)
            for p in check.problems[k]
        )
        courses.append(_review(
            kb, rows, case, course, window, drugs[k],
            problems=problems,
            summed_daily=check.summed_daily_mg[k] if check.overlapping[k] else None,
            overlaps_with=tuple(position[m] for m in check.overlapping[k] if m in position),
        ))
    overlaps = tuple(
        doses_module.Overlap(position[o.first], position[o.second], o.moiety, o.text)
        for o in check.overlaps
    )
    failed = _unique([c.drug for c in courses if c.outcome in FAILURE_OUTCOMES])
    current = _unique([c.drug for c in courses if c.outcome == "ongoing"])
    return TherapyReview(tuple(courses), failed, current, overlaps)
