"""The patient's course on one time axis: dated scores, laboratory series, the
prednisone-equivalent dose, therapy courses and IVIG infusions.

Owns the assembly of dated series for display; every number comes from the module that owns it:
CLASI-A and CLASI-D per examination (`clepath.scores.clasi`, Albrecht 2005), SLEDAI-2K scored
as of each date that has data for one of its descriptors (`clepath.scores.sledai`, Gladman
2002, with its 10-day window), WBC, C3 and C4 with the laboratory's own limits
(`clepath.scores.labs`), the prednisone-equivalent daily dose from the `glucocorticoids` pack's
ratios (`clepath.engine.glucocorticoids`), therapy windows as the therapy review reads them
(`clepath.engine.therapy`) and the planned IVIG infusion days (`clepath.engine.ivig`).

Nothing dated after `as_of` is read from the record; only planned IVIG infusions lie after it.
A course without dates is listed, never drawn; partial dates are drawn over the shortest
duration they allow, as the therapy review counts them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from clepath.domain.case import Case, LabResult, TherapyCourse
from clepath.domain.display import fmt, fmt_quantity
from clepath.domain.units import UnitProblem, convert
from clepath.engine.glucocorticoids import equivalence_ratio, prednisone_equivalent
from clepath.engine.ivig import GUIDELINE_TERM, plan_for_case
from clepath.engine.therapy import course_window, drug_rows, effective_drug, is_systemic_route
from clepath.errors import CaseError, DosingError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.glucocorticoids import Equivalence
from clepath.knowledge.models.sledai_2k import SledaiDescriptorRow
from clepath.scores import clasi, labs, sledai

__all__ = [
    "IVIG_DRUG",
    "IvigMark",
    "Point",
    "Series",
    "TherapyBar",
    "Timeline",
    "UndatedCourse",
    "build_timeline",
]

IVIG_DRUG = GUIDELINE_TERM
"""The drug id whose courses are drawn as IVIG infusion marks."""

_SLEDAI_PACK = "sledai_2k"
_GC_PACK = "glucocorticoids"
_LAB_SERIES = (("wbc", "WBC", "10*9/L"), ("c3", "C3", "g/L"), ("c4", "C4", "g/L"))


@dataclass(frozen=True)
class Point:
    """One dated value of a series; `value` is None for a result given only as a word.

    `flag` reads the result against the laboratory's own range (low, high, normal) or repeats
    the word it was reported with; `lower` and `upper` are that range in the series' unit.
    """

    date: dt.date
    value: float | None
    shown: str
    flag: str | None = None
    lower: float | None = None
    upper: float | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Series:
    """A dated series in one UCUM unit, oldest first.

    A `step` series holds each value from its date until the next point (the last one until the
    timeline's `as_of`); other series are single observations.
    """

    id: str
    label: str
    unit: str
    points: tuple[Point, ...]
    step: bool = False

    @property
    def values(self) -> tuple[float | None, ...]:
        """The values in date order."""
        return tuple(p.value for p in self.points)


@dataclass(frozen=True)
class TherapyBar:
    """A dated therapy course, from `start` to `end` (`as_of` while it is ongoing)."""

    drug: str
    label: str
    kind: str
    outcome: str
    start: dt.date
    end: dt.date
    ongoing: bool
    approximate: bool  # partial dates: the shortest duration they allow
    dose_text: str | None = None
    start_text: str = ""
    stop_text: str = ""


@dataclass(frozen=True)
class UndatedCourse:
    """A course that cannot be drawn, and which dates it lacks."""

    drug: str
    label: str
    kind: str
    outcome: str
    missing: str  # "dates", "start date" or "stop date"


@dataclass(frozen=True)
class IvigMark:
    """One IVIG infusion: given (from the therapy history) or planned (from the IVIG plan)."""

    date: dt.date
    status: str  # "given" | "planned"
    grams: float | None
    label: str
    course: str  # e.g. "induction 1", "maintenance 2", or the history's course
    blocked: bool = False


@dataclass(frozen=True)
class Timeline:
    """Every dated series of one case on one time axis, from `start` to `end`.

    `end` is `as_of`, or the last planned IVIG infusion when that is later.
    """

    case_id: str
    as_of: dt.date
    start: dt.date
    end: dt.date
    clasi_activity: Series
    clasi_damage: Series
    sledai: Series
    wbc: Series
    c3: Series
    c4: Series
    prednisone_equivalent: Series
    therapies: tuple[TherapyBar, ...]
    undated_therapies: tuple[UndatedCourse, ...]
    ivig: tuple[IvigMark, ...]
    sledai_window_days: int
    notes: tuple[str, ...]
    knowledge: dict[str, str]

    @property
    def series(self) -> tuple[Series, ...]:
        """Every series, in panel order."""
        return (
            self.clasi_activity,
            self.clasi_damage,
            self.sledai,
            self.wbc,
            self.c3,
            self.c4,
            self.prednisone_equivalent,
        )


def build_timeline(case: Case, kb: KnowledgeBase, *, sledai_window_days: int = 10) -> Timeline:
    """Assemble the dated series of one case (pure: reads nothing but its arguments).

    Args:
        case: the case; its `as_of` bounds every observation read.
        kb: the knowledge base (clasi, sledai_2k, labs, drugs, glucocorticoids and ivig packs).
        sledai_window_days: the SLEDAI-2K window at each date (10, or 30 for SLEDAI-2K-30).

    Returns:
        The timeline; `notes` say what could not be drawn and why.
    """
    kb = kb.session()
    notes: list[str] = []
    activity, damage = _clasi_series(case, kb)
    labs_series = [_lab_series(case, test, label, unit, notes) for test, label, unit in _LAB_SERIES]
    pred = _prednisone_series(case, kb, notes)
    bars, undated = _therapy_bars(case, kb)
    marks = (*_given_ivig(case, kb), *_planned_ivig(case, kb, notes))
    series = (activity, damage, _sledai_series(case, kb, sledai_window_days), *labs_series, pred)
    dates = [p.date for s in series for p in s.points]
    dates += [b.start for b in bars] + [m.date for m in marks]
    end = max([case.as_of, *(m.date for m in marks)])
    return Timeline(
        case_id=case.id,
        as_of=case.as_of,
        start=min(dates, default=case.as_of),
        end=end,
        clasi_activity=activity,
        clasi_damage=damage,
        sledai=series[2],
        wbc=labs_series[0],
        c3=labs_series[1],
        c4=labs_series[2],
        prednisone_equivalent=pred,
        therapies=bars,
        undated_therapies=undated,
        ivig=tuple(sorted(marks, key=lambda m: (m.date, m.status))),
        sledai_window_days=sledai_window_days,
        notes=tuple(dict.fromkeys(notes)),
        knowledge=kb.versions(),
    )


# --- scores -------------------------------------------------------------------------------------


def _clasi_series(case: Case, kb: KnowledgeBase) -> tuple[Series, Series]:
    summary = clasi.summarise(case, kb)
    history = summary.history if summary is not None else ()
    activity = tuple(
        Point(s.date, float(s.activity), str(s.activity), detail=s.severity) for s in history
    )
    damage = tuple(
        Point(
            s.date,
            float(s.damage),
            str(s.damage),
            detail="dyspigmentation persistence not recorded" if s.damage_uncertain else None,
        )
        for s in history
    )
    return (
        Series("clasi_activity", "CLASI-A", "{score}", activity),
        Series("clasi_damage", "CLASI-D", "{score}", damage),
    )


def _sledai_subjects(kb: KnowledgeBase) -> tuple[frozenset[str], frozenset[str]]:
    findings: set[str] = set()
    tests: set[str] = set()
    for row in kb.table(_SLEDAI_PACK, "descriptors", SledaiDescriptorRow):
        for route in row.routes:
            for condition in route:
                if condition.finding is not None:
                    findings.add(condition.finding)
                if condition.lab is not None:
                    tests.add(condition.lab)
    return frozenset(findings), frozenset(tests)


def _sledai_reads_clasi(kb: KnowledgeBase) -> bool:
    return any(
        condition.clasi is not None
        for row in kb.table(_SLEDAI_PACK, "descriptors", SledaiDescriptorRow)
        for route in row.routes
        for condition in route
    )


def _sledai_dates(case: Case, kb: KnowledgeBase) -> list[dt.date]:
    findings, tests = _sledai_subjects(kb)
    dates = {f.date for f in case.findings if f.name in findings}
    dates |= {r.date for r in case.labs if r.test in tests}
    if _sledai_reads_clasi(kb):
        dates |= {e.date for e in case.clasi}
    return sorted(d for d in dates if d <= case.as_of)


def _sledai_series(case: Case, kb: KnowledgeBase, window_days: int) -> Series:
    points: list[Point] = []
    for day in _sledai_dates(case, kb):
        result = sledai.score(dataclasses.replace(case, as_of=day), kb, window_days=window_days)
        scored = ", ".join(f"{d.label} {d.weight}" for d in result.descriptors)
        points.append(
            Point(day, float(result.score), str(result.score), detail=scored or "none scored")
        )
    return Series("sledai_2k", "SLEDAI-2K", "{score}", tuple(points))


# --- laboratory ---------------------------------------------------------------------------------


def _in_unit(value: float | None, unit: str | None, target: str) -> float | None:
    """`value` in `target`, rounded to 6 decimals to drop unit-conversion noise (1.3000000003)."""
    if value is None or unit is None:
        return None
    return round(value if unit == target else convert(value, unit, target), 6)


def _lab_point(result: LabResult, unit: str) -> Point:
    value = _in_unit(result.value, result.unit, unit)
    low, high = labs.is_low(result), labs.is_high(result)
    flag = "low" if low else "high" if high else result.result
    if value is not None and (result.lower is not None or result.upper is not None):
        flag = "low" if low else "high" if high else "normal"
    if value is not None:
        shown = fmt_quantity(value, unit)
    elif result.titre is not None:
        shown = str(result.titre)
    else:
        shown = result.result or "recorded"
    return Point(
        date=result.date,
        value=value,
        shown=shown,
        flag=flag,
        lower=_in_unit(result.lower, result.unit, unit),
        upper=_in_unit(result.upper, result.unit, unit),
        detail=f"attributed to {result.attributed_to}" if result.attributed_to else None,
    )


def _lab_series(case: Case, test: str, label: str, unit: str, notes: list[str]) -> Series:
    points: list[Point] = []
    for result in labs.results(case, test):
        try:
            points.append(_lab_point(result, unit))
        except UnitProblem:
            notes.append(
                f"{label} on {result.date.isoformat()}: {result.unit} cannot be shown in {unit}"
            )
    return Series(test, label, unit, tuple(points))


# --- glucocorticoids ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    start: dt.date
    end: dt.date | None  # None: ongoing at as_of
    mg_per_day: float


def _systemic_glucocorticoid(kb: KnowledgeBase, course: TherapyCourse) -> str | None:
    drug = effective_drug(kb, course)
    row = drug_rows(kb).get(drug)
    if row is None or row.kind != "glucocorticoid" or not is_systemic_route(kb, course.route):
        return None
    return drug


def _ratio_note(kb: KnowledgeBase, drug: str, ratio: float) -> str | None:
    row = next((r for r in kb.table(_GC_PACK, "equivalences", Equivalence) if r.id == drug), None)
    if row is None or row.ratio == 1.0:
        return None
    note = f"{drug}: {row.equivalent_text}"
    if row.ratio_parameter and kb.is_default_unconfirmed(f"{_GC_PACK}.{row.ratio_parameter}"):
        note += ", configurable default, unconfirmed"
    return note


def _segments(case: Case, kb: KnowledgeBase, notes: list[str]) -> list[_Segment]:
    segments: list[_Segment] = []
    for course in case.therapies:
        drug = _systemic_glucocorticoid(kb, course)
        window = course_window(course, case.as_of)
        if drug is None or window is None:
            continue
        ratio = equivalence_ratio(kb, drug)
        daily = course.daily_dose_mg
        if window.start is None or window.end is None:
            missing = "start" if window.start is None else "stop"
            notes.append(f"{drug} course without a {missing} date: not in the dose series")
            continue
        if daily is None or ratio is None:
            notes.append(f"{drug} course without a usable dose or equivalence: not in the series")
            continue
        if not window.exact:
            notes.append(f"{drug}: partial dates, drawn over the shortest duration they allow")
        note = _ratio_note(kb, drug, ratio)
        if note:
            notes.append(note)
        ongoing = window.outcome == "ongoing"
        if ongoing or window.end > window.start:
            pe = prednisone_equivalent(daily, ratio)
            segments.append(_Segment(window.start, None if ongoing else window.end, pe))
    return segments


def _prednisone_series(case: Case, kb: KnowledgeBase, notes: list[str]) -> Series:
    segments = _segments(case, kb, notes)
    changes = sorted({s.start for s in segments} | {s.end for s in segments if s.end})
    points: list[Point] = []
    for day in changes:
        total = sum(
            s.mg_per_day for s in segments if s.start <= day and (s.end is None or day < s.end)
        )
        value = round(total, 3)
        if points and points[-1].value == value:
            continue
        points.append(Point(day, value, fmt(value, "mg_per_day")))
    return Series("prednisone_equivalent", "Prednisone equivalent", "mg/d", tuple(points), True)


# --- therapies and IVIG -------------------------------------------------------------------------


def _label(kb: KnowledgeBase, drug: str) -> tuple[str, str]:
    row = drug_rows(kb).get(drug)
    if row is not None:
        return row.label, row.kind
    return kb.vocabulary("drug").labels.get(drug, drug), "unknown"


def _therapy_bars(
    case: Case, kb: KnowledgeBase
) -> tuple[tuple[TherapyBar, ...], tuple[UndatedCourse, ...]]:
    bars: list[TherapyBar] = []
    undated: list[UndatedCourse] = []
    for course in case.therapies:
        window = course_window(course, case.as_of)
        if window is None:
            continue
        drug = effective_drug(kb, course)
        label, kind = _label(kb, drug)
        if window.start is None or window.end is None:
            missing = "dates" if window.start is None and window.end is None else (
                "start date" if window.start is None else "stop date"
            )
            undated.append(UndatedCourse(drug, label, kind, window.outcome, missing))
            continue
        ongoing = window.outcome == "ongoing"
        bars.append(
            TherapyBar(
                drug=drug,
                label=label,
                kind=kind,
                outcome=window.outcome,
                start=window.start,
                end=window.end,
                ongoing=ongoing,
                approximate=not window.exact,
                dose_text=course.dose_text,
                start_text=str(course.start) if course.start else "",
                stop_text="" if ongoing or course.stop is None else str(course.stop),
            )
        )
    return tuple(bars), tuple(undated)


def _administrations(start: dt.date, end: dt.date, doses_per_week: float | None) -> list[dt.date]:
    if not doses_per_week or doses_per_week <= 0:
        return [start]
    interval = max(1.0, 7.0 / doses_per_week)
    days: list[dt.date] = []
    count = 0
    while (day := start + dt.timedelta(days=round(count * interval))) <= end:
        days.append(day)
        count += 1
    return days


def _given_ivig(case: Case, kb: KnowledgeBase) -> Iterable[IvigMark]:
    for number, course in enumerate(case.therapies, start=1):
        if effective_drug(kb, course) != IVIG_DRUG:
            continue
        window = course_window(course, case.as_of)
        if window is None or window.start is None:
            continue
        end = window.end if window.end is not None else window.start
        grams = course.dose_mg / 1000.0 if course.dose_mg is not None else None
        dose = f", {course.dose_text}" if course.dose_text else ""
        for day in _administrations(window.start, end, course.doses_per_week):
            yield IvigMark(day, "given", grams, f"IVIG given{dose}", f"history course {number}")


def _planned_ivig(case: Case, kb: KnowledgeBase, notes: list[str]) -> Iterable[IvigMark]:
    if case.ivig_request is None:
        return ()
    try:
        report = plan_for_case(case, kb)
    except (CaseError, DosingError) as problem:
        notes.append(f"IVIG plan not drawn: {problem}")
        return ()
    marks: list[IvigMark] = []
    for course in report.plan.courses:
        blocked = course.blocked or report.plan.blocked
        for day in course.infusion_days:
            marks.append(
                IvigMark(
                    date=day.date,
                    status="planned",
                    grams=day.grams,
                    label=(
                        f"IVIG planned, {course.kind} {course.number} day {day.day} of "
                        f"{day.of_days}: {fmt(day.grams, 'ivig_g')}"
                    ),
                    course=f"{course.kind} {course.number}",
                    blocked=blocked,
                )
            )
    return marks
