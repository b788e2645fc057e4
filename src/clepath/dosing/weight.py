"""The IVIG dosing weight: Devine ideal body weight, the dose-determining weight and the policy
that chooses between it and actual weight.

Formulas (Devine 1974; NBA BloodSTAR calculator):
    height_in = height_cm x 0.393701
    IBW       = 45.5 (female) or 50 (male) + 2.3 x (height_in - 60)
    DDW       = IBW + 0.4 x (actual - IBW)
Which weight is used is a policy (UK_DDW, US_120, AU_2026, ONTARIO, ACTUAL: rows of the `ivig`
pack's `policies` table). Actual weight is always used below the policy's minimum age or
height, in pregnancy (Ontario: the pre-pregnancy weight goes into the calculator when it is
recorded) and when actual weight is below IBW. Every intermediate number is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from clepath.domain.body import dated
from clepath.domain.case import Patient
from clepath.domain.display import fmt, fmt_number, fmt_plain
from clepath.dosing import catalogue
from clepath.errors import CaseError, DosingError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import DosingWeightPolicy

__all__ = [
    "DosingWeight",
    "body_mass_index",
    "dose_determining_weight",
    "dosing_weight",
    "height_in_inches",
    "ideal_body_weight",
]

Basis = Literal["actual", "dose_determining"]


@dataclass(frozen=True)
class DosingWeight:
    """The weight a course is dosed on, why, and every number behind it.

    `rule` is the id of the rule that fired (`ivig.policies.<POLICY>.<rule>`); `weight_in_kg`
    is the weight put into the calculator (actual weight, or the pre-pregnancy weight where the
    policy says so). `ibw_kg`, `ddw_kg`, `bmi` and `percent_of_ibw` are None when height or sex
    is not recorded. `weight_date` / `height_date` are the days the actual weight and the
    height were measured (None: an undated value); `not_used` names dated measurements left
    out because they lie after the plan's start.
    """

    kg: float
    basis: Basis
    policy: str
    rule: str
    reason: str
    actual_kg: float
    policy_label: str
    weight_in_kg: float
    height_cm: float | None
    height_in: float | None
    sex: str | None
    age_years: int | None
    ibw_kg: float | None
    ddw_kg: float | None
    bmi: float | None
    percent_of_ibw: float | None
    factor: float
    triggers: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    policy_unconfirmed: bool = False
    factor_unconfirmed: bool = False
    weight_date: dt.date | None = None
    height_date: dt.date | None = None
    not_used: tuple[str, ...] = ()

    @property
    def measured(self) -> str:
        """The actual weight and when it was measured: `60.0 kg on 2019-05-28`."""
        return dated(fmt(self.actual_kg, "kg"), self.weight_date)

    @property
    def height_measured(self) -> str:
        """The height and when it was measured: `170 cm on 2019-05-28`."""
        return dated(fmt(self.height_cm, "cm"), self.height_date)


def height_in_inches(height_cm: float, kb: KnowledgeBase) -> float:
    """Height in inches with the NBA's factor (1 cm = 0.393701 in)."""
    return height_cm * float(catalogue.param(kb, "inches_per_cm"))


def ideal_body_weight(sex: str, height_cm: float, kb: KnowledgeBase) -> float:
    """Devine ideal body weight in kg (below 60 inches it falls under the base value)."""
    if sex not in ("female", "male"):
        raise DosingError(f"ideal body weight needs sex female or male, not {sex!r}")
    base = catalogue.param(kb, f"ibw_base_{sex}_kg")
    per_inch = catalogue.param(kb, "ibw_kg_per_inch")
    start = catalogue.param(kb, "ibw_base_height_in")
    return float(base) + float(per_inch) * (height_in_inches(height_cm, kb) - float(start))


def dose_determining_weight(ibw_kg: float, actual_kg: float, factor: float) -> float:
    """DDW = IBW + factor x (actual - IBW)."""
    return ibw_kg + factor * (actual_kg - ibw_kg)


def body_mass_index(weight_kg: float, height_cm: float) -> float:
    """Weight (kg) divided by height (m) squared."""
    metres = height_cm / 100.0
    return weight_kg / (metres * metres)


@dataclass(frozen=True)
class _Measures:
    """Numbers computed from the calculator weight before any rule is applied."""

    ibw: float | None
    ddw: float | None
    bmi: float | None
    percent: float | None
    height_in: float | None


def _measures(
    weight: float, height_cm: float | None, sex: str | None, factor: float, kb: KnowledgeBase
) -> _Measures:
    if height_cm is None:
        return _Measures(None, None, None, None, None)
    bmi = body_mass_index(weight, height_cm)
    inches = height_in_inches(height_cm, kb)
    if sex not in ("female", "male"):
        return _Measures(None, None, bmi, None, inches)
    ibw = ideal_body_weight(sex, height_cm, kb)
    ddw = dose_determining_weight(ibw, weight, factor)
    return _Measures(ibw, ddw, bmi, 100.0 * weight / ibw, inches)


def _triggers(row: DosingWeightPolicy, patient: Patient, weight: float, m: _Measures) -> list[str]:
    """The policy's triggers that fire (empty list: none)."""
    fired: list[str] = []
    if row.bmi_above is not None and m.bmi is not None and m.bmi > row.bmi_above:
        fired.append(f"BMI {fmt_number(m.bmi, 2)} > {fmt_plain(row.bmi_above)} kg/m²")
    ratio = row.ibw_ratio_above
    if ratio is not None and m.ibw is not None and weight > ratio * m.ibw:
        fired.append(f"actual weight {fmt(m.percent, 'percent_1')} of IBW "
                     f"> {fmt_plain(100 * ratio)}%")
    limit = {
        "female": row.weight_above_kg_female,
        "male": row.weight_above_kg_male,
    }.get(patient.sex or "")
    if limit is not None and weight > limit:
        fired.append(f"weight {fmt(weight, 'kg')} > {fmt_plain(limit)} kg ({patient.sex})")
    return fired


def dosing_weight(
    patient: Patient,
    kb: KnowledgeBase,
    policy_id: str | None = None,
) -> DosingWeight:
    """The dosing weight of a patient under a policy (the pack's default policy if None).

    Raises CaseError naming `patient.weight` when no weight is recorded (the input lacks it).
    """
    if patient.weight_kg is None or patient.weight_kg <= 0:
        raise CaseError(
            FieldProblem(
                "patient.weight",
                patient.weight_kg,
                "is required: no body weight is recorded, so an IVIG dose cannot be calculated",
                "a weight with its unit, e.g. '60 kg'",
            )
        )
    name = policy_id or str(catalogue.param(kb, "default_policy"))
    row = catalogue.policy(kb, name)
    factor = float(catalogue.param(kb, "adjustment_factor"))
    return _Decision(patient, row, factor, kb).decide()


class _Decision:
    """Applies one policy's rules in order; the first that decides names the weight."""

    def __init__(
        self, patient: Patient, row: DosingWeightPolicy, factor: float, kb: KnowledgeBase
    ) -> None:
        self.patient = patient
        self.row = row
        self.factor = factor
        self.kb = kb
        self.notes: list[str] = []
        self.actual = float(patient.weight_kg or 0.0)
        self.weight_in = self.actual
        self.missing = tuple(
            name
            for name, value in (("height", patient.height_cm), ("sex", patient.sex))
            if value is None or (name == "sex" and value not in ("female", "male"))
        )

    def decide(self) -> DosingWeight:
        row, patient = self.row, self.patient
        if row.adjust == "never":
            return self._actual("policy_actual", f"{row.id} doses on actual weight")
        if row.min_age_years is not None:
            if patient.age_years is None:
                self.notes.append("age not recorded: treated as an adult")
            elif patient.age_years < row.min_age_years:
                return self._actual(
                    "age_under_minimum",
                    f"age {patient.age_years} < {row.min_age_years}: actual weight",
                )
        if (
            row.min_height_cm is not None
            and patient.height_cm is not None
            and patient.height_cm < row.min_height_cm
        ):
            return self._actual(
                "height_under_minimum",
                f"height {fmt(patient.height_cm, 'cm')} "
                f"< {fmt_plain(row.min_height_cm)} cm: actual weight",
            )
        if patient.pregnant:
            decided = self._pregnancy()
            if decided is not None:
                return decided
        elif patient.pregnant is None and patient.sex == "female":
            self.notes.append("pregnancy not recorded: treated as not pregnant")
        if self.missing:
            return self._actual(
                "missing_height_or_sex",
                f"{' and '.join(self.missing)} not recorded: IBW cannot be calculated, "
                "actual weight used",
            )
        return self._by_formula()

    def _pregnancy(self) -> DosingWeight | None:
        row, patient = self.row, self.patient
        if row.pregnancy == "pre_pregnancy" and patient.pre_pregnancy_weight_kg is not None:
            self.weight_in = float(patient.pre_pregnancy_weight_kg)
            self.notes.append(
                f"pregnant: pre-pregnancy weight {fmt(self.weight_in, 'kg')} used in the calculator"
            )
            return None
        if row.pregnancy == "pre_pregnancy":
            self.notes.append("pregnant: pre-pregnancy weight not recorded")
        return self._actual("pregnancy", "pregnant: actual weight")

    def _by_formula(self) -> DosingWeight:
        row = self.row
        m = self._measures()
        assert m.ibw is not None and m.ddw is not None
        if row.actual_below_ibw_uses_actual and self.weight_in < m.ibw:
            return self._result(
                self.weight_in,
                "actual",
                "actual_below_ibw",
                f"weight {fmt(self.weight_in, 'dosing_kg')} < IBW {fmt(m.ibw, 'dosing_kg')}: "
                "actual weight",
                m,
            )
        if row.adjust == "always":
            return self._result(
                m.ddw, "dose_determining", "always", f"{row.id} adjusts every eligible adult", m
            )
        fired = _triggers(row, self.patient, self.weight_in, m)
        if fired:
            return self._result(
                m.ddw, "dose_determining", "triggered", "; ".join(fired), m, tuple(fired)
            )
        return self._result(
            self.weight_in, "actual", "no_trigger", f"no {row.id} trigger fired: actual weight", m
        )

    def _measures(self) -> _Measures:
        patient = self.patient
        return _measures(self.weight_in, patient.height_cm, patient.sex, self.factor, self.kb)

    def _actual(self, rule: str, reason: str) -> DosingWeight:
        m = self._measures()
        return self._result(self.weight_in, "actual", rule, reason, m)

    def _result(
        self,
        kg: float,
        basis: Basis,
        rule: str,
        reason: str,
        m: _Measures,
        triggers: tuple[str, ...] = (),
    ) -> DosingWeight:
        row, patient = self.row, self.patient
        return DosingWeight(
            kg=kg,
            basis=basis,
            policy=row.id,
            rule=f"{catalogue.PACK}.policies.{row.id}.{rule}",
            reason=reason,
            actual_kg=self.actual,
            policy_label=row.label,
            weight_in_kg=self.weight_in,
            height_cm=patient.height_cm,
            height_in=m.height_in,
            sex=patient.sex,
            age_years=patient.age_years,
            ibw_kg=m.ibw,
            ddw_kg=m.ddw,
            bmi=m.bmi,
            percent_of_ibw=m.percent,
            factor=self.factor,
            triggers=triggers,
            missing=self.missing if row.adjust != "never" else (),
            notes=tuple(self.notes),
            sources=row.source,
            policy_unconfirmed=row.unconfirmed,
            factor_unconfirmed=catalogue.unconfirmed(self.kb, "adjustment_factor"),
            weight_date=patient.weight_date,
            height_date=patient.height_date,
        )
