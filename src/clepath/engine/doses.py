"""Dose plausibility: every therapy course checked against its drug's limits in the `drugs` pack,
and courses of the same active moiety that overlap in time summed.

The limits (`Drug.limits`: allowed frequencies and routes, usual range, maximum per day, week or
dose, maximum per kg of actual body weight) are sourced rows of the pack; this module only
compares. A course breaks a limit when

* its frequency is not one the drug may be given on (`dose_frequency_not_allowed`; the pack row
  sets the severity, critical for daily methotrexate);
* its route is not one the drug may be given by (`route_not_allowed`);
* its amount is above the maximum (`dose_above_maximum`). The amount compared with a daily
  maximum is what is taken on a dosing day (dose x doses per day, at least one dose), with a
  weekly maximum what is taken in a dosing week, with a per-dose maximum one administration.
  A single administration above a daily or weekly maximum is above it whatever the frequency.

Courses of one active moiety (the `active_moiety` field, else the drug id: brand and generic
names already resolve to one id) whose reviewed windows overlap are a `duplicate_therapy`; their
per-day and per-week amounts (and the average mg/day used for per-kg checks) are summed, so two
400 mg/day hydroxychloroquine courses count as 800 mg/day. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clepath.domain.case import TherapyCourse
from clepath.domain.display import fmt_number
from clepath.knowledge.models.drugs import DoseLimit, Drug

__all__ = [
    "DoseCheck",
    "DoseProblem",
    "Overlap",
    "Span",
    "check_courses",
    "course_problems",
    "unit_slip",
]

_TOLERANCE = 1 + 1e-9  # a dose equal to the maximum is within it, float rounding aside
_PER_UNIT = {"day": "mg/day", "week": "mg/week", "dose": "mg per dose"}
_PER_KG_UNIT = {"day": "mg/kg/day", "week": "mg/kg/week", "dose": "mg/kg per dose"}


@dataclass(frozen=True, slots=True)
class Span:
    """When a course ran, as the review reads it: `start` the latest day the start can mean,
    `end` the earliest day the stop can mean (as_of for a course still running)."""

    start: dt.date | None
    end: dt.date | None
    ongoing: bool


@dataclass(frozen=True, slots=True)
class DoseProblem:
    """One limit a course breaks: the alert code, its severity, a sentence and template values."""

    code: str  # dose_above_maximum | dose_frequency_not_allowed | route_not_allowed
    severity: str | None  # None: the alert's own severity in the alerts pack
    text: str  # e.g. "methotrexate once daily is not an allowed schedule (once weekly only)"
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two courses of one active moiety that overlap in time."""

    first: int  # index into the checked courses
    second: int
    moiety: str
    text: str  # both courses with dates and doses, and the summed amount


@dataclass(frozen=True)
class DoseCheck:
    """The dose check of a whole therapy history, course by course (same order as given)."""

    problems: tuple[tuple[DoseProblem, ...], ...]
    summed_daily_mg: tuple[float | None, ...]  # average mg/day with overlapping courses added
    overlapping: tuple[tuple[int, ...], ...]  # per course: the courses it overlaps
    overlaps: tuple[Overlap, ...]


def _num(value: float) -> str:
    return fmt_number(value, 2, trim=True, grouping=True)  # 15,000 mg; 11.43 mg/kg


def _day_amount(course: TherapyCourse) -> float | None:
    """mg taken on a dosing day (a single dose when the frequency is unknown)."""
    if course.dose_mg is None:
        return None
    if course.doses_per_week is None:
        return course.dose_mg
    return course.dose_mg * max(1.0, course.doses_per_week / 7.0)


def _week_amount(course: TherapyCourse) -> float | None:
    """mg taken in a dosing week (a single dose when the frequency is unknown)."""
    if course.dose_mg is None:
        return None
    if course.doses_per_week is None:
        return course.dose_mg
    return course.dose_mg * max(1.0, course.doses_per_week)


def _amount(course: TherapyCourse, per: str) -> float | None:
    if per == "day":
        return _day_amount(course)
    if per == "week":
        return _week_amount(course)
    return course.dose_mg


def _limit_note(limit: DoseLimit) -> str:
    return "; unconfirmed default" if limit.tag == "U" else ""


def _above(
    row: Drug,
    label: str,
    limit: DoseLimit,
    amount: float,
    weight_kg: float | None,
    summed: bool,
) -> DoseProblem | None:
    plus = " (overlapping courses summed)" if summed else ""
    if limit.mg is not None:
        if amount <= limit.mg * _TOLERANCE:
            return None
        unit = _PER_UNIT[limit.per]
        shown, maximum = f"{_num(amount)} {unit}", f"{_num(limit.mg)} {unit}"
    else:
        assert limit.mg_per_kg is not None
        if weight_kg is None or weight_kg <= 0:
            return None
        per_kg = amount / weight_kg
        if per_kg <= limit.mg_per_kg * _TOLERANCE:
            return None
        unit = _PER_KG_UNIT[limit.per]
        shown = f"{_num(round(per_kg, 2))} {unit} ({_num(amount)} mg for {_num(weight_kg)} kg)"
        maximum = f"{_num(limit.mg_per_kg)} {unit}"
    return DoseProblem(
        code="dose_above_maximum",
        severity=None,
        text=f"{label} {shown}{plus} is above the maximum of {maximum}",
        values={
            "drug": label,
            "amount": shown + plus,
            "maximum": maximum,
            "limit": limit.text + _limit_note(limit),
            "drug_id": row.id,
        },
    )


def course_problems(
    row: Drug | None,
    course: TherapyCourse,
    *,
    weight_kg: float | None,
    frequency_labels: Mapping[str, str],
    route_labels: Mapping[str, str],
    summed: Mapping[str, float] | None = None,
) -> tuple[DoseProblem, ...]:
    """Every limit one course breaks (empty when its drug has no limits or none is broken).

    Args:
        row: the drug's pack row (None for a drug the pack does not know: nothing to check).
        course: the course as recorded.
        weight_kg: actual body weight, for per-kg maxima (None: those are not checked).
        frequency_labels, route_labels: display labels of the frequency and route ids.
        summed: per-day and per-week amounts (keys "day", "week") with overlapping courses of
            the same moiety added; when absent the course's own amounts are used.
    """
    if row is None or row.limits is None:
        return ()
    limits = row.limits
    label = row.label
    out: list[DoseProblem] = []
    rule = limits.frequencies
    if rule is not None and course.frequency is not None and course.frequency not in rule.allowed:
        given = frequency_labels.get(course.frequency, course.frequency)
        allowed = ", ".join(frequency_labels.get(f, f) for f in rule.allowed)
        out.append(DoseProblem(
            code="dose_frequency_not_allowed",
            severity=rule.severity,
            text=f"{label} {given} is not an allowed schedule ({rule.text})",
            values={"drug": label, "frequency": given, "allowed": allowed, "rule": rule.text},
        ))
    routes = limits.routes
    if routes is not None and course.route is not None and course.route not in routes.allowed:
        given = route_labels.get(course.route, course.route)
        allowed = ", ".join(route_labels.get(r, r) for r in routes.allowed)
        out.append(DoseProblem(
            code="route_not_allowed",
            severity=None,
            text=f"{label} by the {given} route is not an allowed route ({routes.text})",
            values={"drug": label, "route": given, "allowed": allowed, "rule": routes.text},
        ))
    for limit in (limits.maximum, limits.maximum_per_kg):
        if limit is None:
            continue
        own = _amount(course, limit.per)
        if own is None:
            continue
        amount = own
        is_summed = False
        if summed is not None and limit.per in summed and summed[limit.per] > own:
            amount, is_summed = summed[limit.per], True
        problem = _above(row, label, limit, amount, weight_kg, is_summed)
        if problem is not None:
            out.append(problem)
            break  # one dose_above_maximum per course
    return tuple(out)


def _overlap(a: Span | None, b: Span | None) -> bool:
    if a is None or b is None:
        return False
    if a.ongoing and b.ongoing:
        return True  # both taken at as_of
    if None in (a.start, a.end, b.start, b.end):
        return False
    assert a.start and a.end and b.start and b.end
    return a.start < b.end and b.start < a.end


def _course_text(
    label: str, course: TherapyCourse, span: Span | None, frequency_labels: Mapping[str, str]
) -> str:
    dose = course.dose_text or (
        f"{_num(course.dose_mg)} mg" if course.dose_mg else "dose not recorded"
    )
    if course.frequency:
        dose += " " + frequency_labels.get(course.frequency, course.frequency)
    start = str(course.start) if course.start is not None else "start not recorded"
    if span is not None and span.ongoing:
        end = "ongoing"
    else:
        end = str(course.stop) if course.stop is not None else "stop not recorded"
    return f"{label} {dose}, {start} to {end}"


def check_courses(
    rows: Mapping[str, Drug],
    drugs: Sequence[str],
    courses: Sequence[TherapyCourse],
    spans: Sequence[Span | None],
    *,
    weight_kg: float | None,
    frequency_labels: Mapping[str, str],
    route_labels: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> DoseCheck:
    """Check every course and find overlapping courses of one active moiety.

    Args:
        rows: the `drugs` pack's rows by id.
        drugs: the drug id each course is reviewed as (a topical course of a systemic drug is
            its topical form), in course order.
        courses: the courses, in history order.
        spans: each course's reviewed window (None: dated after as_of, never used).
        weight_kg: actual body weight (None: per-kg maxima are not checked).
        frequency_labels, route_labels: display labels of the vocabulary ids.
        labels: display labels of drug ids the pack does not hold.

    Returns:
        Per course its problems, its summed mg/day and the courses it overlaps; every overlap.
    """
    names = dict(labels or {})
    moieties = [
        (rows[d].active_moiety or d) if d in rows else d for d in drugs
    ]
    overlapping: list[list[int]] = [[] for _ in courses]
    overlaps: list[Overlap] = []
    for i in range(len(courses)):
        for j in range(i + 1, len(courses)):
            if moieties[i] != moieties[j] or not _overlap(spans[i], spans[j]):
                continue
            overlapping[i].append(j)
            overlapping[j].append(i)

    def label(k: int) -> str:
        row = rows.get(drugs[k])
        return row.label if row is not None else names.get(drugs[k], drugs[k])

    summed_daily: list[float | None] = []
    problems: list[tuple[DoseProblem, ...]] = []
    for k, course in enumerate(courses):
        group = [k, *overlapping[k]]
        own_daily = course.daily_dose_mg
        summed: dict[str, float] | None = None
        if len(group) > 1:
            day = [_day_amount(courses[m]) for m in group]
            week = [_week_amount(courses[m]) for m in group]
            daily = [courses[m].daily_dose_mg for m in group]
            summed = {
                "day": sum(v for v in day if v is not None),
                "week": sum(v for v in week if v is not None),
            }
            known = [v for v in daily if v is not None]
            summed_daily.append(sum(known) if own_daily is not None else own_daily)
        else:
            summed_daily.append(own_daily)
        if spans[k] is None:
            problems.append(())
            continue
        problems.append(course_problems(
            rows.get(drugs[k]), course, weight_kg=weight_kg,
            frequency_labels=frequency_labels, route_labels=route_labels, summed=summed,
        ))
    for i in range(len(courses)):
        for j in overlapping[i]:
            if j <= i:
                continue
            total = summed_daily[i]
            together = (
                f"; together {_num(round(total, 1))} mg/day on average"
                if total is not None and courses[i].daily_dose_mg is not None
                and courses[j].daily_dose_mg is not None
                else ""
            )
            text = (
                f"{_course_text(label(i), courses[i], spans[i], frequency_labels)} and "
                f"{_course_text(label(j), courses[j], spans[j], frequency_labels)}{together}"
            )
            overlaps.append(Overlap(i, j, moieties[i], text))
    return DoseCheck(
        tuple(problems),
        tuple(summed_daily),
        tuple(tuple(o) for o in overlapping),
        tuple(overlaps),
    )


def unit_slip(
    row: Drug | None, course: TherapyCourse, factor: float
) -> tuple[float, str, str] | None:
    """An obvious unit slip: the course's own amount at least `factor` times an absolute maximum.

    Returns (the maximum in mg, its unit text, the likely meaning) or None. Per-kg maxima are
    not used (the weight may be recorded elsewhere); overlapping courses are not summed.
    """
    if row is None or row.limits is None or row.limits.maximum is None:
        return None
    limit = row.limits.maximum
    assert limit.mg is not None
    amount = _amount(course, limit.per)
    if amount is None or amount < factor * limit.mg:
        return None
    unit = _PER_UNIT[limit.per]
    meant = f"{_num(course.dose_mg / 1000)} mg" if course.dose_mg else "a dose in mg"
    return limit.mg, unit, meant
