"""Refractoriness: whether the patient's CLE is refractory under each operational definition.

No consensus definition of refractory CLE exists (clinical/pathway.md section 6). The `pathway`
pack holds the definitions judged here:

* the phase 3 trial definition (LAVENDER, AMETHYST): CLASI-A >= 10 with inadequate response or
  intolerance to an antimalarial given for >= 12 weeks;
* failure of at least one antimalarial and one immunosuppressant (Mayo lenalidomide series);
* the tool's own composite (a)(b)(c), a design proposal [C];

and the severe-refractory label [C]. Each definition is met, not met or undeterminable, and lists
the data it lacked. The patient is refractory when any definition is met, not refractory when
every definition could be judged and none is met, and unknown otherwise.

An antimalarial still being taken after its minimum trial counts as an inadequate response when
a CLASI-A of 10 or more was recorded after that trial length. A failure reported without dates
counts for the definition that needs no duration (antimalarial + immunosuppressant), but not as
a >= 12-week trial.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from clepath.domain.case import Case
from clepath.domain.display import fmt_plain, fmt_value
from clepath.engine.glucocorticoids import GlucocorticoidReview
from clepath.engine.therapy import FAILURE_OUTCOMES, CourseReview, TherapyReview
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.glucocorticoids import Target
from clepath.knowledge.models.pathway import RefractoryDefinition
from clepath.scores import labs

__all__ = ["DefinitionResult", "RefractoryResult", "assess_refractory", "both", "either"]

_PACK = "pathway"


@dataclass(frozen=True)
class DefinitionResult:
    """One definition judged: met, not met or undeterminable (None), with reasons and gaps."""

    id: str
    label: str
    met: bool | None
    reasons: tuple[str, ...]
    missing: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RefractoryResult:
    """Refractory status over every definition, the severe label and what was missing."""

    status: bool | None  # True refractory, False not, None unknown
    definitions: tuple[DefinitionResult, ...]
    missing: tuple[str, ...]
    severe: bool | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Part:
    met: bool | None
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Activity:
    value: int | None
    date: dt.date | None
    baseline: int | None
    threshold: float
    missing: str | None



def _w(weeks: float | None) -> str:
    """Weeks for display: whole weeks from 20 on, one decimal below (so 11.6 is not "12")."""
    if weeks is None:
        return "?"
    return fmt_value(weeks, "weeks")

def both(values: Iterable[bool | None]) -> bool | None:
    """Three-valued AND: False if any is False, True if all are True, else None."""
    items = list(values)
    if any(v is False for v in items):
        return False
    return True if all(v is True for v in items) else None


def either(values: Iterable[bool | None]) -> bool | None:
    """Three-valued OR: True if any is True, False if all are False (or none given), else None."""
    items = list(values)
    if any(v is True for v in items):
        return True
    return False if all(v is False for v in items) else None


def _combine(parts: list[_Part], met: bool | None) -> _Part:
    reasons = tuple(r for p in parts for r in p.reasons)
    missing = tuple(m for p in parts if p.met is None for m in p.missing) if met is None else ()
    return _Part(met, reasons, tuple(dict.fromkeys(missing)))


def _all_of(parts: list[_Part]) -> _Part:
    return _combine(parts, both(p.met for p in parts))


def _any_of(parts: list[_Part], none_reason: str) -> _Part:
    if not parts:
        return _Part(False, (none_reason,))
    met = either(p.met for p in parts)
    if met is True:
        return _Part(True, tuple(r for p in parts if p.met is True for r in p.reasons))
    return _combine(parts, met)


def _param(kb: KnowledgeBase, name: str) -> float:
    return float(kb.value(f"{_PACK}.{name}"))


def _activity(
    case: Case, kb: KnowledgeBase, value: int | None, date: dt.date | None, baseline: int | None
) -> _Activity:
    threshold = _param(kb, "refractory_clasi_a_min")
    max_age = int(_param(kb, "clasi_max_age_days"))
    if value is None:
        return _Activity(None, None, baseline, threshold, "a CLASI-A examination")
    if date is not None and date > case.as_of:
        return _Activity(None, None, baseline, threshold, "a CLASI-A dated on or before as_of")
    if date is not None and (case.as_of - date).days > max_age:
        return _Activity(
            None, None, baseline, threshold,
            f"a current CLASI-A (within {max_age} days of as_of; the latest is from {date})",
        )
    return _Activity(value, date, baseline, threshold, None)


def _activity_part(act: _Activity) -> _Part:
    if act.value is None:
        return _Part(None, missing=(act.missing or "a CLASI-A examination",))
    when = f" on {act.date}" if act.date else ""
    if act.value >= act.threshold:
        return _Part(True, (f"CLASI-A {act.value}{when} is at least {fmt_plain(act.threshold)}",))
    return _Part(False, (f"CLASI-A {act.value}{when} is below {fmt_plain(act.threshold)}",))


def _after_trial(course: CourseReview, act: _Activity, weeks: float) -> bool | None:
    if course.start is None or act.date is None:
        return None
    return act.date >= course.start.latest + dt.timedelta(weeks=weeks)


def _ongoing_part(course: CourseReview, act: _Activity, weeks: float) -> _Part:
    name = course.label
    if course.duration_weeks is None:
        return _Part(None, missing=(f"the start date of the ongoing {name} course",))
    if course.duration_weeks < weeks:
        return _Part(False, (
            f"{name} ongoing for {_w(course.duration_weeks)} weeks, under {fmt_plain(weeks)}",
        ))
    if act.value is None:
        return _Part(None, missing=(f"a current CLASI-A to judge the response to ongoing {name}",))
    if act.value < act.threshold:
        return _Part(False, (f"ongoing {name} with CLASI-A {act.value}, below "
                             f"{fmt_plain(act.threshold)}",))
    timed = _after_trial(course, act, weeks)
    if timed is False:
        return _Part(None, missing=(f"a CLASI-A taken after {fmt_plain(weeks)} weeks of {name}",))
    return _Part(True, (
        f"{name} ongoing for {_w(course.duration_weeks)} weeks with CLASI-A {act.value}: "
        "counted as an inadequate response",
    ))


def _failure_word(course: CourseReview) -> str:
    return {"intolerant": "not tolerated", "partial": "partial response"}.get(
        course.outcome, course.outcome
    )


def _duration_part(course: CourseReview, weeks: float) -> _Part:
    name, word = course.label, _failure_word(course)
    if course.duration_weeks is None:
        return _Part(None, missing=(
            f"the duration of the {name} course ({word} reported without dates)",
        ))
    if course.duration_weeks >= weeks:
        return _Part(True, (f"{name}: {word} after {_w(course.duration_weeks)} weeks",))
    return _Part(False, (
        f"{name} stopped after {_w(course.duration_weeks)} weeks, short of {fmt_plain(weeks)}",
    ))


def _antimalarial_course(
    course: CourseReview, act: _Activity, weeks: float, need_weeks: bool
) -> _Part:
    name = course.label
    if course.outcome == "intolerant":
        return _Part(True, (f"{name} not tolerated",))
    if course.outcome == "ongoing":
        return _ongoing_part(course, act, weeks)
    if course.outcome == "partial":
        # A partial response is inadequate only while the disease stays active.
        if act.value is None:
            return _Part(None, missing=(
                f"a current CLASI-A to judge the partial response to {name}",
            ))
        if act.value < act.threshold:
            return _Part(False, (f"{name} partial response; CLASI-A now below "
                                 f"{fmt_plain(act.threshold)}",))
    elif course.outcome != "failed":
        return _Part(False, (f"{name}: {course.outcome}",))
    if need_weeks:
        return _duration_part(course, weeks)
    undocumented = " (reported without dates; adequacy undocumented)" if (
        course.adequacy == "undocumented") else ""
    return _Part(True, (f"{name}: {_failure_word(course)}{undocumented}",))


def _antimalarials(
    therapy: TherapyReview, agents: tuple[str, ...], act: _Activity, weeks: float, need_weeks: bool
) -> _Part:
    parts = [
        _antimalarial_course(c, act, weeks, need_weeks)
        for c in therapy.courses
        if c.drug in agents
    ]
    return _any_of(parts, "no antimalarial in the recorded therapy history")


def _trial(kb: KnowledgeBase, therapy: TherapyReview, act: _Activity,
           row: RefractoryDefinition) -> _Part:
    weeks = _param(kb, "antimalarial_min_weeks")
    return _all_of([
        _activity_part(act),
        _antimalarials(therapy, row.antimalarials, act, weeks, need_weeks=True),
    ])


def _immunosuppressants(therapy: TherapyReview, kinds: tuple[str, ...]) -> _Part:
    failed = [c for c in therapy.courses if c.kind in kinds and c.outcome in FAILURE_OUTCOMES]
    if not failed:
        return _Part(False, ("no immunosuppressant failure in the recorded therapy history",))
    reasons = []
    for c in dict((c.drug, c) for c in failed).values():
        undocumented = " (reported without dates)" if c.adequacy == "undocumented" else ""
        reasons.append(f"{c.label}: {_failure_word(c)}{undocumented}")
    return _Part(True, tuple(reasons))


def _antimalarial_immunosuppressant(kb: KnowledgeBase, therapy: TherapyReview, act: _Activity,
                                     row: RefractoryDefinition) -> _Part:
    weeks = _param(kb, "antimalarial_min_weeks")
    return _all_of([
        _antimalarials(therapy, row.antimalarials, act, weeks, need_weeks=False),
        _immunosuppressants(therapy, row.immunosuppressant_kinds),
    ])


def _trial_length(course: CourseReview, weeks: float, what: str) -> _Part:
    name = course.label
    if course.outcome == "intolerant":
        return _Part(True, (f"{name} not tolerated",))
    if course.outcome == "contraindicated":
        return _Part(False, (f"{name} recorded as contraindicated",))
    if course.duration_weeks is None:
        return _Part(None, missing=(f"the duration of the {name} course ({what})",))
    if course.duration_weeks >= weeks:
        return _Part(True, (
            f"{name} given for {_w(course.duration_weeks)} weeks ({course.outcome})",
        ))
    return _Part(False, (f"{name} given for {_w(course.duration_weeks)} weeks, under "
                         f"{fmt_plain(weeks)}",))


def _composite_a(case: Case, kb: KnowledgeBase, therapy: TherapyReview,
                 row: RefractoryDefinition) -> _Part:
    weeks = _param(kb, "antimalarial_min_weeks")
    courses = [c for c in therapy.courses if c.drug in row.antimalarials]
    trial = _any_of(
        [_trial_length(c, weeks, "composite (a)") for c in courses],
        "(a) no hydroxychloroquine or chloroquine course recorded",
    )
    notes: list[str] = []
    if any(c.above_max for c in courses):
        notes.append("(a) an antimalarial was given above its mg/kg maximum")
    level = labs.latest(case, "hcq_level")
    limit = _param(kb, "hcq_level_nonadherence_ng_ml")
    if level is not None and labs.below(level, limit, "ng/mL") is True:
        return _Part(False, (
            *trial.reasons,
            f"(a) hydroxychloroquine level {fmt_plain(level.value)} ng/mL on {level.date} is below "
            f"{fmt_plain(limit)}: suggests non-adherence, so the trial is not adequate",
        ))
    if level is None:
        notes.append("(a) adherence not confirmed by a hydroxychloroquine level (none recorded)")
    if case.patient.smoking == "current":
        notes.append("(a) current smoker: smoking not yet addressed")
    return _Part(trial.met, (*trial.reasons, *notes), trial.missing)


def _composite_b(kb: KnowledgeBase, therapy: TherapyReview, row: RefractoryDefinition) -> _Part:
    weeks = _param(kb, "second_line_min_weeks")
    parts = []
    for c in therapy.courses:
        if c.drug not in row.second_line_agents:
            continue
        if c.outcome in FAILURE_OUTCOMES or c.outcome == "partial":
            parts.append(_trial_length(c, weeks, "composite (b)"))
    return _any_of(parts, "(b) no methotrexate, retinoid or dapsone failure recorded")


def _composite_c(kb: KnowledgeBase, act: _Activity) -> _Part:
    if act.value is None:
        return _Part(None, missing=(act.missing or "a CLASI-A examination",))
    if act.value >= act.threshold:
        return _Part(True, (f"(c) CLASI-A {act.value} is at least {fmt_plain(act.threshold)}",))
    if act.baseline is None or act.baseline <= 0:
        return _Part(None, missing=("a baseline CLASI-A (composite (c))",))
    fraction = _param(kb, "clasi_a_reduction_min")
    fall = (act.baseline - act.value) / act.baseline
    text = f"CLASI-A {act.value} vs baseline {act.baseline}: a {fall:.0%} fall"
    if fall < fraction:
        return _Part(True, (f"(c) {text}, less than {fraction:.0%}",))
    return _Part(False, (f"(c) {text}, at least {fraction:.0%}",))


def _composite(case: Case, kb: KnowledgeBase, therapy: TherapyReview, act: _Activity,
               row: RefractoryDefinition) -> _Part:
    return _all_of([
        _composite_a(case, kb, therapy, row),
        _composite_b(kb, therapy, row),
        _composite_c(kb, act),
    ])


def _severe(kb: KnowledgeBase, status: bool | None, therapy: TherapyReview,
            glucocorticoids: GlucocorticoidReview, row: RefractoryDefinition) -> _Part:
    if status is not True:
        return _Part(status, ("not refractory",) if status is False else ())
    failed = [c.label for c in therapy.courses
              if c.drug in row.severe_agents and c.outcome in FAILURE_OUTCOMES]
    agent = _Part(True, (f"{failed[0]} also failed",)) if failed else _Part(
        False, ("mycophenolate has not failed",))
    gc = _Part(None, missing=("the current glucocorticoid dose",))
    targets = {t.id: t for t in kb.table("glucocorticoids", "targets", Target)}
    target = targets.get(row.glucocorticoid_target or "")
    check = next((t for t in glucocorticoids.targets if target and t.guideline == target.guideline),
                 None)
    pe = glucocorticoids.prednisone_equivalent_mg_per_day
    if check is not None and check.met is not None:
        where = f"{fmt_plain(pe)} mg/day prednisone equivalent"
        goal = (f"the {check.guideline} target ({check.operator}{fmt_plain(check.threshold_mg)} "
                f"mg/day)")
        gc = _Part(not check.met, (
            f"{where} is above {goal}; taper not documented" if not check.met
            else f"{where} meets {goal}",
        ))
    return _any_of([agent, gc], "")


def _result(row: RefractoryDefinition, part: _Part) -> DefinitionResult:
    return DefinitionResult(row.id, row.label, part.met, part.reasons, part.missing, row.source)


def assess_refractory(
    case: Case,
    kb: KnowledgeBase,
    therapy: TherapyReview,
    glucocorticoids: GlucocorticoidReview,
    clasi_activity: int | None,
    clasi_date: dt.date | None,
    clasi_baseline_activity: int | None,
) -> RefractoryResult:
    """Judge every refractory definition of the `pathway` pack.

    Args:
        case: the case (patient, labs, therapy history).
        kb: the knowledge base (`pathway`, `drugs` and `glucocorticoids` packs).
        therapy: the reviewed therapy history.
        glucocorticoids: the glucocorticoid review (for the severe-refractory label).
        clasi_activity: the latest CLASI-A on or before as_of, if any.
        clasi_date: the date of that examination.
        clasi_baseline_activity: the baseline (first) CLASI-A, for the composite's (c).

    Returns:
        The status (True, False or None), each definition's result, what was missing, the
        severe-refractory label and notes.
    """
    act = _activity(case, kb, clasi_activity, clasi_date, clasi_baseline_activity)
    # A course whose dose or schedule breaks the drugs pack's limits was not an adequate trial:
    # it never counts toward any definition (engine/doses.py).
    implausible = [c for c in therapy.courses if c.adequacy == "implausible_dose"]
    if implausible:
        therapy = dataclasses.replace(therapy, courses=tuple(
            c for c in therapy.courses if c.adequacy != "implausible_dose"
        ))
    rows = kb.table(_PACK, "definitions", RefractoryDefinition)
    results: list[DefinitionResult] = []
    for row in rows:
        if row.method == "trial":
            results.append(_result(row, _trial(kb, therapy, act, row)))
        elif row.method == "antimalarial_immunosuppressant":
            results.append(_result(row, _antimalarial_immunosuppressant(kb, therapy, act, row)))
        elif row.method == "composite":
            results.append(_result(row, _composite(case, kb, therapy, act, row)))
    status = either(r.met for r in results) if results else None
    notes = [
        "No consensus definition of refractory CLE exists: refractory when any definition is "
        "met, not refractory when every definition could be judged and none is met.",
        "An antimalarial still taken after its minimum trial, with CLASI-A at or above the "
        "threshold recorded after that trial length, counts as an inadequate response.",
    ]
    if any(c.adequacy == "undocumented" and c.outcome in FAILURE_OUTCOMES
           for c in therapy.courses):
        notes.append(
            "Failures reported without dates count as reported; their adequacy (trial length) is "
            "undocumented."
        )
    for c in implausible:
        notes.append(
            f"{c.label} ({c.outcome}) is not counted: its dose or schedule is implausible "
            f"({c.adequacy_note.removeprefix('not an adequate trial: ')})."
        )
    severe: bool | None = None
    for row in rows:
        if row.method == "severe_label":
            part = _severe(kb, status, therapy, glucocorticoids, row)
            severe = part.met
            label = {True: "met", False: "not met", None: "undetermined"}[severe]
            detail = "; ".join(part.reasons + part.missing)
            notes.append(f"{row.label}: {label}" + (f" ({detail})" if detail else ""))
    missing = tuple(dict.fromkeys(m for r in results if r.met is None for m in r.missing))
    return RefractoryResult(status, tuple(results), missing, severe, tuple(notes))
