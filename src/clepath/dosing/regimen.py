"""The IVIG regimen and its dated course schedule.

A regimen has an induction (a dose per kg of dosing weight divided over 2 to 5 days, labels'
range) and a maintenance part (a dose per kg every N days for a number of courses). It comes
from a named preset (the CLE regimens of clinical/ivig-cle-literature.md §2 and the
dermatomyositis label analogue), else from the case's `requests.ivig`; single fields given on
the command line override either. Courses are numbered as cycles from 1 (the induction), and
each maintenance course starts `every_days` after the previous course started.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Literal

from clepath.domain.case import IvigCourseRequest, IvigRequest
from clepath.dosing import catalogue
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import CourseTemplate

__all__ = [
    "CoursePart",
    "Regimen",
    "RegimenOverrides",
    "ScheduledCourse",
    "build_regimen",
    "default_days",
    "schedule",
]

Kind = Literal["induction", "maintenance"]


@dataclass(frozen=True)
class CoursePart:
    """One part of a regimen. `days_assumed` is True when the days were not given."""

    dose_g_per_kg: float
    days: int
    every_days: int | None = None
    cycles: int | None = None
    days_assumed: bool = False


@dataclass(frozen=True)
class Regimen:
    """The regimen to plan, where it came from and what in it was assumed."""

    induction: CoursePart | None
    maintenance: CoursePart | None
    preset: str | None = None
    preset_label: str | None = None
    preset_unconfirmed: bool = False
    preset_indication: str | None = None  # a disease other than CLE, e.g. "SJS/TEN"
    origin: str = "case"  # "preset", "case", "options" or a combination joined by "+"
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegimenOverrides:
    """Single regimen fields given on the command line (None: not given)."""

    induction_dose_g_per_kg: float | None = None
    induction_days: int | None = None
    maintenance_dose_g_per_kg: float | None = None
    maintenance_days: int | None = None
    maintenance_every_days: int | None = None
    maintenance_cycles: int | None = None


@dataclass(frozen=True)
class ScheduledCourse:
    """One dated course of the plan."""

    kind: Kind
    cycle: int  # 1 = the induction (or the first maintenance course without one)
    number: int  # 1-based within its kind
    start: dt.date
    dose_g_per_kg: float
    days: int


@dataclass
class _Draft:
    """Mutable fields while merging a preset, a request and options."""

    induction_dose: float | None = None
    induction_days: int | None = None
    maintenance_dose: float | None = None
    maintenance_days: int | None = None
    every_days: int | None = None
    cycles: int | None = None


def default_days(dose_g_per_kg: float, kb: KnowledgeBase, minimum: int = 1) -> int:
    """The fewest days that keep each day at or below the per-day warning level."""
    per_day = float(catalogue.param(kb, "max_g_per_kg_per_day"))
    return max(minimum, math.ceil(round(dose_g_per_kg / per_day, 9)))


def _from_template(draft: _Draft, kind: Kind, part: CourseTemplate | IvigCourseRequest) -> None:
    if kind == "induction":
        draft.induction_dose, draft.induction_days = part.dose_g_per_kg, part.days
        return
    draft.maintenance_dose = part.dose_g_per_kg
    draft.maintenance_days = part.days if isinstance(part, CourseTemplate) else None
    draft.every_days, draft.cycles = part.every_days, part.cycles


def _apply_overrides(draft: _Draft, o: RegimenOverrides) -> None:
    pairs = (
        ("induction_dose", o.induction_dose_g_per_kg),
        ("induction_days", o.induction_days),
        ("maintenance_dose", o.maintenance_dose_g_per_kg),
        ("maintenance_days", o.maintenance_days),
        ("every_days", o.maintenance_every_days),
        ("cycles", o.maintenance_cycles),
    )
    for name, value in pairs:
        if value is not None:
            setattr(draft, name, value)


def _check(draft: _Draft, kb: KnowledgeBase) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    low = int(catalogue.param(kb, "induction_days_min"))
    high = int(catalogue.param(kb, "induction_days_max"))
    if draft.induction_dose is not None and draft.induction_dose <= 0:
        problems.append(FieldProblem("ivig.induction.dose", draft.induction_dose,
                                     "must be positive", "a dose per kg, e.g. 2 g/kg"))
    if draft.induction_days is not None and not low <= draft.induction_days <= high:
        problems.append(FieldProblem("ivig.induction.days", draft.induction_days,
                                     "is outside the labelled range", f"{low} to {high} days"))
    if draft.induction_days is not None and draft.induction_dose is None:
        problems.append(FieldProblem("ivig.induction.dose", None, "is missing",
                                     "a dose per kg, e.g. 2 g/kg"))
    has_maintenance = any(
        v is not None
        for v in (draft.maintenance_dose, draft.every_days, draft.cycles, draft.maintenance_days)
    )
    if has_maintenance:
        for name, value, accepted in (
            ("dose", draft.maintenance_dose, "a dose per kg, e.g. 1 g/kg"),
            ("every", draft.every_days, "an interval, e.g. 4 weeks"),
            ("cycles", draft.cycles, "a whole number of courses, at least 1"),
        ):
            if value is None:
                problems.append(FieldProblem(f"ivig.maintenance.{name}", None, "is missing",
                                             accepted))
            elif value <= 0:
                problems.append(FieldProblem(f"ivig.maintenance.{name}", value,
                                             "must be positive", accepted))
        if draft.maintenance_days is not None and draft.maintenance_days < 1:
            problems.append(FieldProblem("ivig.maintenance.days", draft.maintenance_days,
                                         "must be at least 1", "a whole number of days"))
    if draft.induction_dose is None and not has_maintenance:
        problems.append(FieldProblem("ivig", None, "asks for no course",
                                     "an induction, a maintenance part, or a regimen preset"))
    return problems


def build_regimen(
    kb: KnowledgeBase,
    request: IvigRequest | None,
    preset_name: str | None = None,
    overrides: RegimenOverrides | None = None,
) -> Regimen:
    """Merge a preset (else the case's request) with command-line overrides.

    Raises CaseError with every problem found (missing parts, induction days outside 2-5).
    """
    draft, origin, notes = _Draft(), [], []
    preset_row = catalogue.preset(kb, preset_name, "--preset") if preset_name else None
    if preset_row is not None:
        origin.append("preset")
        for kind in ("induction", "maintenance"):
            part = getattr(preset_row, kind)
            if part is not None:
                _from_template(draft, kind, part)  # type: ignore[arg-type]
        if preset_row.note:
            notes.append(preset_row.note)
    elif request is not None and (request.induction or request.maintenance):
        origin.append("case")
        if request.induction is not None:
            _from_template(draft, "induction", request.induction)
        if request.maintenance is not None:
            _from_template(draft, "maintenance", request.maintenance)
    if overrides is not None:
        before = replace(draft)
        _apply_overrides(draft, overrides)
        if draft != before:
            origin.append("options")
    problems = _check(draft, kb)
    if problems:
        raise CaseError(problems)
    induction = _induction(draft, kb)
    maintenance = _maintenance(draft, kb)
    return Regimen(
        induction=induction,
        maintenance=maintenance,
        preset=preset_row.id if preset_row else None,
        preset_label=preset_row.label if preset_row else None,
        preset_unconfirmed=bool(preset_row and preset_row.unconfirmed),
        preset_indication=preset_row.indication if preset_row else None,
        origin="+".join(origin) or "options",
        notes=tuple(notes),
        sources=preset_row.source if preset_row else (),
    )


def _induction(draft: _Draft, kb: KnowledgeBase) -> CoursePart | None:
    if draft.induction_dose is None:
        return None
    low = int(catalogue.param(kb, "induction_days_min"))
    high = int(catalogue.param(kb, "induction_days_max"))
    if draft.induction_days is not None:
        return CoursePart(draft.induction_dose, draft.induction_days)
    days = min(high, default_days(draft.induction_dose, kb, minimum=low))
    return CoursePart(draft.induction_dose, days, days_assumed=True)


def _maintenance(draft: _Draft, kb: KnowledgeBase) -> CoursePart | None:
    if draft.maintenance_dose is None:
        return None
    assert draft.every_days is not None and draft.cycles is not None
    assumed = draft.maintenance_days is None
    days = draft.maintenance_days or default_days(draft.maintenance_dose, kb)
    return CoursePart(draft.maintenance_dose, days, draft.every_days, draft.cycles, assumed)


def schedule(regimen: Regimen, start: dt.date) -> tuple[ScheduledCourse, ...]:
    """The dated courses: the induction on `start`, maintenance every `every_days` after."""
    courses: list[ScheduledCourse] = []
    cycle, day = 1, start
    if regimen.induction is not None:
        courses.append(
            ScheduledCourse("induction", 1, 1, start, regimen.induction.dose_g_per_kg,
                            regimen.induction.days)
        )
        cycle = 2
    m = regimen.maintenance
    if m is not None:
        assert m.every_days is not None and m.cycles is not None
        for number in range(1, m.cycles + 1):
            if courses:
                day = day + dt.timedelta(days=m.every_days)
            courses.append(
                ScheduledCourse("maintenance", cycle, number, day, m.dose_g_per_kg, m.days)
            )
            cycle += 1
    return tuple(courses)
