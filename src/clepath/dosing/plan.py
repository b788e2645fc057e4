"""The whole IVIG course plan: dosing weight, dated courses in grams or vials, infusion times,
the safety gate and the review rule, with every number and rule id kept for the report.

For each course: prescribed grams = g/kg x dosing weight; the total is rounded to the step
(5 g by default); the rounded total is divided into daily amounts (whole vials with a product);
with a product each day is timed through the label titration at the dosing weight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from clepath.domain.body import body_value, case_on
from clepath.domain.case import Case
from clepath.domain.display import fmt, fmt_plain
from clepath.dosing import catalogue
from clepath.dosing.infusion import InfusionDay, InfusionProfile, infusion_day, infusion_profile
from clepath.dosing.regimen import (
    Regimen,
    RegimenOverrides,
    ScheduledCourse,
    build_regimen,
    schedule,
)
from clepath.dosing.review import ClasiPoint, ReviewPlan, review
from clepath.dosing.safety import (
    Alert,
    ChecklistEntry,
    RiskProfile,
    SafetyInputs,
    checklist,
    course_alerts,
    make_alert,
    patient_alerts,
    risk_profile,
)
from clepath.dosing.vials import (
    Rounding,
    RoundingMode,
    VialCount,
    pack_vials,
    round_course,
    split_days,
)
from clepath.dosing.weight import DosingWeight, dosing_weight
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import CleSignal, IvigProduct

__all__ = [
    "CoursePlan",
    "InfusionDayPlan",
    "IvigPlan",
    "PlanOptions",
    "plan_ivig",
]

_SEVERITY_ORDER = {"block": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class PlanOptions:
    """What the user chose beyond the case's request (None: take the case's, else defaults)."""

    policy: str | None = None
    product: str | None = None
    preset: str | None = None
    regimen: RegimenOverrides = field(default_factory=RegimenOverrides)
    start: dt.date | None = None
    rounding_step_g: float | None = None


@dataclass(frozen=True)
class InfusionDayPlan:
    """One infusion day: grams, g/kg of dosing weight, vials to dispense, volume and time."""

    date: dt.date
    day: int
    of_days: int
    grams: float
    g_per_kg: float
    vials: tuple[VialCount, ...]
    volume_ml: float | None
    minutes: float | None
    infusion: InfusionDay | None


@dataclass(frozen=True)
class CoursePlan:
    """One course: its dose, rounding and days; `blocked` when the review rule holds it back."""

    kind: str
    cycle: int
    number: int
    start: dt.date
    dose_g_per_kg: float
    days: int
    rounding: Rounding
    infusion_days: tuple[InfusionDayPlan, ...]
    blocked: bool = False
    notes: tuple[str, ...] = ()

    @property
    def total_grams(self) -> float:
        """The grams actually given in the course (the rounded total)."""
        return sum(d.grams for d in self.infusion_days)


@dataclass(frozen=True)
class IvigPlan:
    """A complete IVIG plan. `blocked` is True when any hard stop or review block applies."""

    case_id: str
    as_of: dt.date
    start: dt.date
    dosing_weight: DosingWeight
    regimen: Regimen
    product: IvigProduct | None
    infusion: InfusionProfile | None
    rounding_step_g: float
    rounding_mode: RoundingMode
    courses: tuple[CoursePlan, ...]
    risks: RiskProfile
    alerts: tuple[Alert, ...]
    checklist: tuple[ChecklistEntry, ...]
    review: ReviewPlan
    cle_signals: tuple[CleSignal, ...]
    unconfirmed: tuple[str, ...]

    @property
    def blocked(self) -> bool:
        """True when the plan cannot go ahead as written."""
        return any(a.severity == "block" for a in self.alerts)


def _rounding_step(kb: KnowledgeBase, requested: float | None) -> float:
    if requested is None:
        return float(catalogue.param(kb, "rounding_step_g"))
    row = kb.parameter(catalogue.param_key("rounding_step_g"))
    low, high = row.minimum or 0.0, row.maximum or float("inf")
    if not low <= requested <= high or round(requested * 10) != requested * 10:
        raise CaseError(FieldProblem("rounding step", requested, "is outside the allowed range",
                                     f"{fmt_plain(low)} to "
                                     f"{fmt_plain(high)} g, in tenths of a gram"))
    return requested


def _course_plan(
    course: ScheduledCourse,
    weight_kg: float,
    step: float,
    mode: RoundingMode,
    product: IvigProduct | None,
    profile: InfusionProfile | None,
    blocked: bool,
) -> CoursePlan:
    vials = product.vials_g if product is not None else None
    rounding = round_course(course.dose_g_per_kg * weight_kg, step, mode, vials)
    split = split_days(rounding.rounded_g, course.days, vials)
    # Whole vials cannot always fill every requested day (15 g of 5 g vials over 4 days):
    # the course is then given over fewer days rather than with an empty infusion day.
    amounts = [g for g in split if g > 0]
    notes: tuple[str, ...] = ()
    if len(amounts) < len(split):
        notes = (
            f"{fmt(rounding.rounded_g, 'ivig_g')} in whole vials fills {len(amounts)} of the "
            f"{course.days} requested days: given over {len(amounts)} days.",
        )
    days: list[InfusionDayPlan] = []
    for index, grams in enumerate(amounts):
        timed = infusion_day(grams, profile) if profile is not None else None
        days.append(InfusionDayPlan(
            date=course.start + dt.timedelta(days=index),
            day=index + 1,
            of_days=len(amounts),
            grams=grams,
            g_per_kg=grams / weight_kg,
            vials=pack_vials(grams, vials) if vials else (),
            volume_ml=timed.volume_ml if timed else None,
            minutes=timed.minutes if timed else None,
            infusion=timed,
        ))
    return CoursePlan(course.kind, course.cycle, course.number, course.start,
                      course.dose_g_per_kg, course.days, rounding, tuple(days), blocked, notes)


def _unconfirmed(
    kb: KnowledgeBase,
    weight: DosingWeight,
    regimen: Regimen,
    profile: InfusionProfile | None,
    review_plan: ReviewPlan,
    used: Sequence[str],
) -> tuple[str, ...]:
    keys: list[str] = []
    if weight.policy_unconfirmed:
        keys.append(f"{catalogue.PACK}.policies.{weight.policy}")
    if weight.factor_unconfirmed:
        keys.append(catalogue.param_key("adjustment_factor"))
    if regimen.preset_unconfirmed and regimen.preset:
        keys.append(f"{catalogue.PACK}.regimens.{regimen.preset}")
    if profile is not None:
        keys.extend(profile.unconfirmed)
    keys.extend(review_plan.unconfirmed)
    for name in ("rounding_mode", *used):
        if catalogue.unconfirmed(kb, name):
            keys.append(catalogue.param_key(name))
    return tuple(dict.fromkeys(keys))


def _thresholds_used(
    kb: KnowledgeBase, case: Case, courses: Sequence[ScheduledCourse], inputs: SafetyInputs
) -> list[str]:
    """Unconfirmed thresholds that could have changed this plan's alerts."""
    used = []
    if any(c.dose_g_per_kg >= float(catalogue.param(kb, "haemolysis_dose_g_per_kg")) - 1e-9
           for c in courses):
        used.append("haemolysis_dose_g_per_kg")
    if case.patient.age_years is not None:
        used.append("thrombosis_age_above_years")
    if inputs.iga_deficient is not None:
        used.append("iga_deficiency_below_g_l")
    return used


def _weight_on(
    case: Case, kb: KnowledgeBase, policy: str | None, day: dt.date, day_name: str
) -> DosingWeight:
    """The dosing weight from the weight and height that count on `day` (the latest measured
    on or before it; later ones are named as not used)."""
    weight = body_value(case, "weight", day)
    height = body_value(case, "height", day)
    if weight.value is None and weight.later:
        first = weight.later[0]
        raise CaseError(FieldProblem(
            "measurements", f"weight {fmt(first.value, 'kg')} on {first.date.isoformat()}",
            f"is after the {day_name} ({day.isoformat()}): no weight is recorded on or before "
            "it, so an IVIG dose cannot be calculated",
            f"a weight measured on or before {day.isoformat()}",
        ))
    found = dosing_weight(case_on(case, day).patient, kb, policy)
    return replace(found, not_used=weight.notes(day_name) + height.notes(day_name))


def plan_ivig(
    case: Case,
    kb: KnowledgeBase,
    *,
    inputs: SafetyInputs | None = None,
    clasi_history: Sequence[ClasiPoint] = (),
    options: PlanOptions | None = None,
) -> IvigPlan:
    """Plan the IVIG course asked for by the case (and the options) for this patient.

    Raises CaseError for an invalid request and DosingError when no plan can be made (no
    weight recorded, a total the vials cannot make).
    """
    opts = options or PlanOptions()
    inputs = inputs or SafetyInputs()
    request = case.ivig_request
    alerts: list[Alert] = []
    if opts.policy is not None:
        catalogue.policy(kb, opts.policy, "--policy")
    policy = opts.policy or (request.policy if request else None)
    start = opts.start or (request.start if request else None)
    day = start or case.as_of
    weight = _weight_on(case, kb, policy, day, "plan start" if start else "as-of date")
    case = case_on(case, day)
    regimen = build_regimen(kb, request, opts.preset, opts.regimen)
    if opts.product is not None:
        product: IvigProduct | None = catalogue.product(kb, opts.product, "--product")
    elif request is not None and request.product is not None:
        product = catalogue.product(kb, request.product, "requests.ivig.product")
    else:
        product = None
    if start is None:
        start = case.as_of
        alerts.append(make_alert(kb, "start_date_assumed", date=start.isoformat()))
    courses = schedule(regimen, start)
    risks = risk_profile(case, inputs, kb, weight.bmi)
    profile = None
    if product is not None:
        profile = infusion_profile(product, kb, weight.kg, at_risk=risks.at_risk,
                                   weight_basis=f"dosing weight ({weight.basis.replace('_', '-')})")
        if profile.cap_mg_kg_min is not None:
            basis = ("label" if profile.cap_basis == "label"
                     else "label says minimum practicable; configurable default")
            reasons = "; ".join(risks.thrombosis + risks.renal)
            alerts.append(make_alert(kb, "rate_capped", cap=fmt_plain(profile.cap_mg_kg_min),
                                     basis=basis, reasons=reasons))
    history = sorted((p for p in clasi_history if p.date <= case.as_of), key=lambda p: p.date)
    review_plan = review(history, courses, kb, case.as_of)
    step = _rounding_step(kb, opts.rounding_step_g)
    mode: RoundingMode = catalogue.param(kb, "rounding_mode")
    planned = tuple(
        _course_plan(c, weight.kg, step, mode, product, profile,
                     c.cycle in review_plan.blocked_cycles)
        for c in courses
    )
    alerts += patient_alerts(case, inputs, kb, risks=risks, product=product, weight=weight,
                             regimen=regimen)
    alerts += course_alerts(courses, case.patient, kb)
    alerts += review_plan.alerts
    ordered = sorted(alerts, key=lambda a: _SEVERITY_ORDER[a.severity])
    return IvigPlan(
        case_id=case.id,
        as_of=case.as_of,
        start=start,
        dosing_weight=weight,
        regimen=regimen,
        product=product,
        infusion=profile,
        rounding_step_g=step,
        rounding_mode=mode,
        courses=planned,
        risks=risks,
        alerts=tuple(ordered),
        checklist=checklist(kb, case.patient, inputs, product, risks),
        review=review_plan,
        cle_signals=catalogue.cle_signals(kb),
        unconfirmed=_unconfirmed(kb, weight, regimen, profile, review_plan,
                                 _thresholds_used(kb, case, courses, inputs)),
    )
