"""The IVIG safety gate: hard stops, label warnings, CLE-specific signals and the checklist.

Hard stops (class labelling): IgA deficiency with anti-IgA antibodies; hereditary fructose
intolerance with a sorbitol product; hyperprolinaemia with a proline product; a sucrose product
in a patient at renal risk. Warnings use the boxed warning's own risk groups (thrombosis; renal
predisposition: renal insufficiency, age > 65, diabetes, volume depletion, sepsis,
paraproteinaemia, nephrotoxic drugs), haemolysis (non-O group, high dose), aseptic meningitis
(2 g/kg), maltose and glucose meters, live vaccines, and the CLE literature (flares in the Ky
2015 pilot; IVIG-induced CLE). Severity and wording are rows of the `ivig` pack's
`safety_rules`; this module holds the triggers. Lab-derived facts (eGFR, IgA, antiphospholipid
antibodies) arrive as plain values in `SafetyInputs`: dosing does not read labs itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from clepath.domain.case import Case, Patient
from clepath.domain.display import fmt, fmt_plain, fmt_value
from clepath.dosing import catalogue
from clepath.dosing.regimen import Regimen, ScheduledCourse
from clepath.dosing.weight import DosingWeight
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import IvigProduct
from clepath.knowledge.models.labs import LabTest

__all__ = [
    "Alert",
    "ChecklistEntry",
    "RULES",
    "RiskProfile",
    "SafetyInputs",
    "Severity",
    "checklist",
    "course_alerts",
    "cycles_text",
    "make_alert",
    "patient_alerts",
    "risk_profile",
]

Severity = Literal["block", "warning", "info"]

# Every safety rule id this module can raise (the pack must define each; a test checks both ways).
RULES = (
    "age_not_recorded",
    "aseptic_meningitis",
    "cle_flare",
    "dosing_weight_unadjusted",
    "excipient_avoid",
    "haemolysis_group_unknown",
    "haemolysis_non_o",
    "hfi_sorbitol",
    "high_daily_dose",
    "hyperprolinaemia_proline",
    "hyperviscosity_risk",
    "iga_anti_iga",
    "iga_deficiency",
    "iga_not_recorded",
    "ivig_induced_cle",
    "live_vaccines",
    "maltose_glucose_meter",
    "no_product",
    "off_label",
    "pre_pregnancy_weight_missing",
    "rate_capped",
    "renal_function_not_recorded",
    "renal_risk",
    "review_baseline_missing",
    "review_cycles_blocked",
    "review_rescore_due",
    "review_response_documented",
    "short_interval",
    "start_date_assumed",
    "sucrose_not_declared",
    "sucrose_renal",
    "thrombosis_risk",
)


@dataclass(frozen=True)
class Alert:
    """One finding of the gate. `courses` lists the cycles it concerns (empty: every course)."""

    code: str
    severity: Severity
    title: str
    message: str
    rule: str
    sources: tuple[str, ...]
    courses: tuple[int, ...] = ()
    tag: str | None = None


@dataclass(frozen=True)
class SafetyInputs:
    """Lab-derived facts the gate needs, computed by the engine from the case's labs.

    None means not recorded (never negative). `recorded_tests` maps a lab id to the date of its
    latest result, for the checklist.
    """

    egfr: float | None = None
    egfr_date: dt.date | None = None
    egfr_method: str | None = None
    iga_deficient: bool | None = None
    anti_iga_positive: bool | None = None
    antiphospholipid_positive: bool | None = None
    recorded_tests: Mapping[str, dt.date] = field(default_factory=dict)


@dataclass(frozen=True)
class RiskProfile:
    """The patient's factors in each boxed-warning risk group, as readable labels."""

    thrombosis: tuple[str, ...] = ()
    renal: tuple[str, ...] = ()
    hyperviscosity: tuple[str, ...] = ()
    renal_judged: bool = False

    @property
    def at_risk(self) -> bool:
        """At risk of thrombosis or renal dysfunction: the label's minimum-rate group."""
        return bool(self.thrombosis or self.renal)


@dataclass(frozen=True)
class ChecklistEntry:
    """One pre-infusion check and whether the case has data behind it."""

    id: str
    check: str
    when: str
    status: Literal["recorded", "partly recorded", "not recorded", "to do", "not applicable"]
    detail: str
    sources: tuple[str, ...]
    tag: str | None = None


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def cycles_text(cycles: Sequence[int]) -> str:
    """`Cycle 1`, `Cycles 1-3` or `Cycles 1, 3`."""
    if not cycles:
        return "Every course"
    if len(cycles) == 1:
        return f"Cycle {cycles[0]}"
    consecutive = list(cycles) == list(range(cycles[0], cycles[-1] + 1))
    joined = f"{cycles[0]}-{cycles[-1]}" if consecutive else ", ".join(map(str, cycles))
    return f"Cycles {joined}"


def make_alert(
    kb: KnowledgeBase, rule_id: str, courses: Sequence[int] = (), **values: Any
) -> Alert:
    """An alert from a pack rule, its braces filled from `values`."""
    rule = catalogue.safety_rule(kb, rule_id)
    fill = _Blank(values)
    fill.setdefault("course", cycles_text(courses))
    return Alert(
        code=rule.id,
        severity=rule.severity,
        title=rule.title.format_map(fill),
        message=" ".join(rule.message.format_map(fill).split()),
        rule=f"{catalogue.PACK}.safety_rules.{rule.id}",
        sources=rule.source,
        courses=tuple(courses),
        tag=rule.tag,
    )


# --- risk groups ------------------------------------------------------------------------------


def _conditions(patient: Patient, inputs: SafetyInputs) -> set[str]:
    found = set(patient.conditions)
    if patient.smoking == "current":
        found.add("current_smoker")
    if inputs.antiphospholipid_positive:
        found.add("antiphospholipid_antibodies")
    return found


def _ongoing_drugs(case: Case) -> set[str]:
    """Systemic drugs ongoing at as_of (a topical route does not count)."""
    out: set[str] = set()
    for course in case.therapies:
        if course.outcome != "ongoing" or course.route == "topical":
            continue
        if course.start is not None and course.start.earliest > case.as_of:
            continue
        if course.stop is not None and course.stop.latest < case.as_of:
            continue
        out.add(course.drug)
    return out


def _nephrotoxic(case: Case, kb: KnowledgeBase) -> list[str]:
    drugs = _ongoing_drugs(case)
    vocab = kb.vocabularies.get("drug")
    found: list[str] = []
    for row in catalogue.nephrotoxic_drugs(kb):
        names = {row.drug, row.id}
        if vocab is not None:
            names.add(vocab.resolve(row.drug) or row.drug)
        if names & drugs:
            found.append(f"receiving {row.label}")
    return found


def risk_profile(
    case: Case, inputs: SafetyInputs, kb: KnowledgeBase, bmi: float | None
) -> RiskProfile:
    """Collect the patient's factors for thrombosis, renal dysfunction and hyperviscosity."""
    patient = case.patient
    groups: dict[str, list[str]] = {"thrombosis": [], "renal": [], "hyperviscosity": []}
    conditions = _conditions(patient, inputs)
    for row in catalogue.risk_factors(kb):
        if row.condition in conditions:
            for category in row.categories:
                groups.setdefault(category, []).append(row.label)
    age = patient.age_years
    if age is not None and age > int(catalogue.param(kb, "thrombosis_age_above_years")):
        groups["thrombosis"].append(f"advanced age ({age})")
    if age is not None and age > int(catalogue.param(kb, "renal_age_above_years")):
        groups["renal"].append(f"age over {catalogue.param(kb, 'renal_age_above_years')} ({age})")
    obese = float(catalogue.param(kb, "obesity_bmi_above"))
    if bmi is not None and bmi > obese:
        groups["thrombosis"].append(f"obesity (BMI {fmt_value(bmi, 'bmi')})")
    limit = float(catalogue.param(kb, "renal_egfr_below"))
    if inputs.egfr is not None and inputs.egfr < limit:
        when = f", {inputs.egfr_date.isoformat()}" if inputs.egfr_date else ""
        groups["renal"].append(f"eGFR {fmt(inputs.egfr, 'egfr')} (below {fmt_plain(limit)}{when})")
    groups["renal"].extend(_nephrotoxic(case, kb))
    return RiskProfile(
        thrombosis=tuple(dict.fromkeys(groups["thrombosis"])),
        renal=tuple(dict.fromkeys(groups["renal"])),
        hyperviscosity=tuple(dict.fromkeys(groups["hyperviscosity"])),
        renal_judged=inputs.egfr is not None or "creatinine" in inputs.recorded_tests,
    )


# --- patient-level gate -----------------------------------------------------------------------


def _product_names(products: Iterable[IvigProduct]) -> str:
    return ", ".join(p.label for p in products) or "none in the pack"


def _iga_alerts(patient: Patient, inputs: SafetyInputs, kb: KnowledgeBase) -> list[Alert]:
    deficient = "iga_deficiency" in patient.conditions or inputs.iga_deficient is True
    antibodies = "anti_iga_antibodies" in patient.conditions or inputs.anti_iga_positive is True
    if deficient and antibodies:
        reaction = "immunoglobulin_hypersensitivity" in patient.conditions
        note = " and a history of hypersensitivity to immunoglobulin" if reaction else ""
        return [make_alert(kb, "iga_anti_iga", hypersensitivity=note)]
    if deficient:
        known = [p for p in catalogue.products(kb) if p.iga_ug_per_ml is not None]
        lowest = sorted(known, key=lambda p: (p.iga_ug_per_ml, p.label))[:3]
        names = ", ".join(f"{p.label} {_iga_text(p)}" for p in lowest)
        return [make_alert(kb, "iga_deficiency", products=names)]
    recorded = {"iga", "anti_iga"} & set(inputs.recorded_tests)
    if not recorded and inputs.iga_deficient is None and inputs.anti_iga_positive is None:
        return [make_alert(kb, "iga_not_recorded")]
    return []


def _iga_text(product: IvigProduct) -> str:
    sign = {"at_most": "<=", "less_than": "<", "about": "~", "average": "mean"}.get(
        product.iga_basis or "", ""
    )
    return f"({sign} {fmt(product.iga_ug_per_ml, 'ug_per_ml')})"


_EXCIPIENT_STOPS = (
    ("hereditary_fructose_intolerance", "sorbitol", "hfi_sorbitol",
     "hereditary fructose intolerance"),
    ("hyperprolinaemia", "proline", "hyperprolinaemia_proline", "hyperprolinaemia"),
)


def _excipient_alerts(
    patient: Patient, product: IvigProduct | None, risks: RiskProfile, kb: KnowledgeBase
) -> list[Alert]:
    alerts: list[Alert] = []
    for condition, excipient, rule, words in _EXCIPIENT_STOPS:
        if condition not in patient.conditions:
            continue
        if product is None:
            containing = [p for p in catalogue.products(kb) if excipient in p.excipients]
            alerts.append(make_alert(kb, "excipient_avoid", condition=words, excipient=excipient,
                                     products=_product_names(containing)))
        elif excipient in product.excipients:
            alerts.append(make_alert(kb, rule, product=product.label))
    if risks.renal:
        factors = "; ".join(risks.renal)
        if product is None:
            containing = [p for p in catalogue.products(kb) if "sucrose" in p.excipients]
            if containing:
                alerts.append(make_alert(kb, "excipient_avoid", condition="renal risk",
                                         excipient="sucrose", products=_product_names(containing)))
        elif "sucrose" in product.excipients:
            alerts.append(make_alert(kb, "sucrose_renal", product=product.label, factors=factors))
        elif product.sucrose_free is None:
            alerts.append(make_alert(kb, "sucrose_not_declared", product=product.label))
    return alerts


def _risk_alerts(risks: RiskProfile, kb: KnowledgeBase) -> list[Alert]:
    alerts: list[Alert] = []
    if risks.thrombosis:
        alerts.append(make_alert(kb, "thrombosis_risk", factors="; ".join(risks.thrombosis)))
    if risks.renal:
        alerts.append(make_alert(kb, "renal_risk", factors="; ".join(risks.renal)))
    if risks.hyperviscosity:
        alerts.append(make_alert(kb, "hyperviscosity_risk",
                                 factors="; ".join(risks.hyperviscosity)))
    if not risks.renal_judged:
        alerts.append(make_alert(kb, "renal_function_not_recorded"))
    return alerts


def _weight_alerts(patient: Patient, weight: DosingWeight, kb: KnowledgeBase) -> list[Alert]:
    alerts: list[Alert] = []
    if weight.rule.endswith(".missing_height_or_sex"):
        alerts.append(make_alert(kb, "dosing_weight_unadjusted",
                                 missing=" and ".join(weight.missing).capitalize()))
    if patient.age_years is None:
        alerts.append(make_alert(kb, "age_not_recorded"))
    if any("pre-pregnancy weight not recorded" in n for n in weight.notes):
        alerts.append(make_alert(kb, "pre_pregnancy_weight_missing", policy=weight.policy))
    return alerts


def patient_alerts(
    case: Case,
    inputs: SafetyInputs,
    kb: KnowledgeBase,
    *,
    risks: RiskProfile,
    product: IvigProduct | None,
    weight: DosingWeight,
    regimen: Regimen,
) -> list[Alert]:
    """Alerts that hold for every course: contraindications, risk groups, product warnings."""
    patient = case.patient
    alerts = _iga_alerts(patient, inputs, kb)
    alerts += _excipient_alerts(patient, product, risks, kb)
    alerts += _risk_alerts(risks, kb)
    alerts += _weight_alerts(patient, weight, kb)
    if product is None:
        alerts.append(make_alert(kb, "no_product"))
    elif "maltose" in product.excipients:
        diabetes = " (the patient has diabetes)" if "diabetes" in patient.conditions else ""
        alerts.append(make_alert(kb, "maltose_glucose_meter", product=product.label,
                                 diabetes=diabetes))
    m = regimen.maintenance
    if m is not None and m.every_days is not None:
        if m.every_days < int(catalogue.param(kb, "min_interval_days")):
            alerts.append(make_alert(kb, "short_interval", days=m.every_days))
    for rule in ("ivig_induced_cle", "cle_flare", "off_label", "live_vaccines"):
        alerts.append(make_alert(kb, rule))
    return alerts


# --- course-level gate ------------------------------------------------------------------------


def course_alerts(
    courses: Sequence[ScheduledCourse], patient: Patient, kb: KnowledgeBase
) -> list[Alert]:
    """Alerts that depend on a course's dose: high daily dose, haemolysis, aseptic meningitis.

    Each rule is raised once, naming every cycle it concerns.
    """
    per_day_limit = float(catalogue.param(kb, "max_g_per_kg_per_day"))
    haemolysis = float(catalogue.param(kb, "haemolysis_dose_g_per_kg"))
    meningitis = float(catalogue.param(kb, "aseptic_meningitis_dose_g_per_kg"))
    heavy = [c for c in courses if c.dose_g_per_kg / c.days > per_day_limit + 1e-9]
    high = [c for c in courses if c.dose_g_per_kg >= haemolysis - 1e-9]
    aseptic = [c for c in courses if c.dose_g_per_kg >= meningitis - 1e-9]
    alerts: list[Alert] = []
    if heavy:
        first = heavy[0]
        alerts.append(make_alert(kb, "high_daily_dose", [c.cycle for c in heavy],
                                 per_day=fmt_value(first.dose_g_per_kg / first.days, "g_per_kg"),
                                 date=first.start.isoformat()))
    if high:
        group = (patient.blood_group or "").upper().rstrip("+-").strip()
        dose = fmt_value(high[0].dose_g_per_kg, "g_per_kg")
        cycles = [c.cycle for c in high]
        if not group:
            alerts.append(make_alert(kb, "haemolysis_group_unknown", cycles, dose=dose))
        elif group != "O":
            alerts.append(make_alert(kb, "haemolysis_non_o", cycles, dose=dose,
                                     group=patient.blood_group))
    if aseptic:
        alerts.append(make_alert(kb, "aseptic_meningitis", [c.cycle for c in aseptic],
                                 dose=fmt_value(aseptic[0].dose_g_per_kg, "g_per_kg")))
    return alerts


# --- checklist --------------------------------------------------------------------------------


def _lab_words(kb: KnowledgeBase) -> dict[str, str]:
    """Each lab test's label from the labs pack as it reads inside a sentence ("lupus
    anticoagulant", "serum IgA"): the first letter lowered unless the word is an acronym."""
    def inside(label: str) -> str:
        return label[:1].lower() + label[1:] if label[1:2].islower() else label

    if "labs" not in kb.packs:  # the planner alone needs only the ivig pack
        return {}
    return {t.id: inside(t.label) for t in kb.table("labs", "tests", LabTest)}


def _word(words: Mapping[str, str], name: str) -> str:
    return words.get(name) or name.replace("_", " ")


def _evidence(
    names: Sequence[str], patient: Patient, inputs: SafetyInputs, words: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """What the case holds for a check's evidence, in clinical words (issue 12: never a lab
    id such as `anti_b2gp1`): found ("serum IgA 2024-03-12") and missing."""
    found, missing = [], []
    for name in names:
        if name == "blood_group":
            (found if patient.blood_group else missing).append(
                f"blood group {patient.blood_group}" if patient.blood_group else "blood group"
            )
        elif name in inputs.recorded_tests:
            found.append(f"{_word(words, name)} {inputs.recorded_tests[name].isoformat()}")
        else:
            missing.append(_word(words, name))
    return found, missing


def checklist(
    kb: KnowledgeBase,
    patient: Patient,
    inputs: SafetyInputs,
    product: IvigProduct | None,
    risks: RiskProfile,
) -> tuple[ChecklistEntry, ...]:
    """The pre-infusion checklist, each item marked with the data the case holds for it."""
    entries: list[ChecklistEntry] = []
    words = _lab_words(kb)
    for item in catalogue.checklist_items(kb):
        applicable = (
            item.applies in ("always", "high_dose")
            or (item.applies == "at_risk" and bool(risks.hyperviscosity))
            or (item.applies == "maltose_product" and product is not None
                and "maltose" in product.excipients)
        )
        if not applicable:
            status, detail = "not applicable", ""
        elif not item.evidence:
            status, detail = "to do", ""
        else:
            found, missing = _evidence(item.evidence, patient, inputs, words)
            complete = not missing or item.evidence_needs == "any"
            status = ("recorded" if complete else "partly recorded") if found else "not recorded"
            parts = [*found, *(f"{m} not recorded" for m in missing)]
            detail = "; ".join(parts)
        entries.append(ChecklistEntry(item.id, item.check, item.when, status,  # type: ignore[arg-type]
                                      detail, item.source, item.tag))
    return tuple(entries)
