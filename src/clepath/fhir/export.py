"""Case -> FHIR R4 Bundle (type `collection`), every clinical fact of the case kept.

Resources written (FHIR R4 4.0.1; validated with fhir.resources' R4B models by
`clepath.fhir.validate`):

* Patient: sex, birth date (or the age at assessment as an extension when only the age is known).
* Observation, vital-signs profiles: body weight (LOINC 29463-7, kg) and height (8302-2, cm).
* Observation, local codes: smoking status, pregnancy, blood group, pre-pregnancy weight.
* Condition: each CLE subtype present (a clepath-local code plus the pack's ICD-10 and SNOMED CT
  codes; codes the classification pack tags U are coding conventions and are left out), with
  its CLASI regions as `bodySite`; and each recorded risk factor or comorbidity.
* Observation, laboratory: LOINC where the labs pack gives exactly one code, always the local
  lab-test code; UCUM units; titres as a Ratio 1:N; result words as v3 interpretation codes;
  the lab's reference range.
* Observation, exam: dated clinical findings.
* Observation, survey (a local CodeSystem: no LOINC code exists for these instruments): one per
  CLASI examination with every item as a component plus CLASI-A and CLASI-D; SLEDAI-2K with a
  component per scored descriptor; EULAR/ACR 2019 with the entry criterion, the verdict and the
  points per domain.
* MedicationStatement: the therapy history (outcome in `statusReason`, a local code).
* CarePlan with the IVIG request as an extension, and one MedicationRequest per planned course
  (grams per infusion day, from `clepath.engine.ivig.plan_for_case`).
* ClinicalImpression: the assessment itself, dated `as_of`, naming the case.

Identifiers are name-based UUIDs of the case id, so the same case always gives the same Bundle.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clepath import __version__
from clepath.domain.case import Case, ClasiExam, CleEntry, Finding, LabResult, TherapyCourse
from clepath.domain.dates import PartialDate
from clepath.domain.display import fmt, fmt_number, round_value
from clepath.domain.units import UnitProblem, is_convertible, parse_quantity_text
from clepath.engine.assess import Assessment, assess
from clepath.engine.ivig import IvigPlanReport, plan_for_case
from clepath.errors import ClepathError
from clepath.fhir import terminology as t
from clepath.fhir.issues import MappingReport
from clepath.fhir.narrative import with_narrative
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.classification import CleSubtype, CodeRef
from clepath.knowledge.models.labs import LabTest
from clepath.knowledge.models.terminology import LoincCode

__all__ = [
    "CLASI_GLOBALS",
    "CLASI_REGION_ITEMS",
    "ExportResult",
    "case_to_bundle",
    "frequency_timing",
    "resource_id",
]

CLASI_REGION_ITEMS = ("erythema", "scale", "dyspigmentation", "scarring")
CLASI_GLOBALS = (
    "mucous_membrane",
    "recent_hair_loss",
    "nonscarring_alopecia",
    "scarring_alopecia_scalp",
)
_NAMESPACE = uuid.UUID("6f1c3a52-3c55-5b8e-9d0b-1b4c1e0c1e9a")
_OUTCOME_STATUS = {
    "ongoing": "active",
    "responded": "completed",
    "partial": "completed",
    "failed": "stopped",
    "intolerant": "stopped",
    "stopped": "stopped",
    "contraindicated": "not-taken",
}


@dataclass(frozen=True)
class ExportResult:
    """The Bundle (plain JSON) and what could only be written with clepath-local codes."""

    bundle: dict[str, Any]
    report: MappingReport


def resource_id(case_id: str, key: str) -> str:
    """A stable FHIR id for one resource of one case (a name-based UUID)."""
    return str(uuid.uuid5(_NAMESPACE, f"{case_id}\x1f{key}"))


class _Builder:
    """Collects the resources of one Bundle with their full URLs."""

    def __init__(self, case: Case, kb: KnowledgeBase) -> None:
        self.case = case
        self.kb = kb
        self.entries: list[dict[str, Any]] = []
        self.report = MappingReport()
        self.patient_ref = {"reference": self.full_url("patient")}

    def full_url(self, key: str) -> str:
        return f"urn:uuid:{resource_id(self.case.id, key)}"

    def add(self, key: str, resource: dict[str, Any]) -> dict[str, str]:
        resource = with_narrative({"resourceType": resource.pop("resourceType"),
                                   "id": resource_id(self.case.id, key), **resource})
        self.entries.append({"fullUrl": self.full_url(key), "resource": resource})
        return {"reference": self.full_url(key)}

    def label(self, vocabulary: str, term: str) -> str:
        return self.kb.vocabulary(vocabulary).labels.get(term, term)

    def local(self, system: str, code: str, vocabulary: str | None = None) -> dict[str, str]:
        display = self.label(vocabulary, code) if vocabulary else None
        return t.coding(t.local_system(system), code, display)


def _date(value: dt.date) -> str:
    return value.isoformat()


def _partial(value: PartialDate) -> str:
    return str(value)


def _category(code: str) -> list[dict[str, Any]]:
    display = code.replace("-", " ").capitalize()
    return [t.codeable(t.coding(t.OBSERVATION_CATEGORY, code, display))]


def _ext(name: str, **value: Any) -> dict[str, Any]:
    return {"url": t.extension_url(name), **value}


def _observation(
    b: _Builder, category: str, code: dict[str, Any], effective: str, **fields: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": _category(category),
        "code": code,
        "subject": b.patient_ref,
        "effectiveDateTime": effective,
        **fields,
    }


def _patient(b: _Builder) -> None:
    p = b.case.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": t.CASE_ID_SYSTEM, "value": b.case.id}],
    }
    if p.sex in ("female", "male"):
        resource["gender"] = p.sex
    if p.birth_date is not None:
        resource["birthDate"] = _date(p.birth_date)
    elif p.age_years is not None:
        resource["extension"] = [
            _ext("age-at-assessment", valueAge=t.quantity(p.age_years, "a", "years"))
        ]
    b.add("patient", resource)


def _vital(
    b: _Builder, key: str, loinc: tuple[str, str], value: float, unit: str,
    day: dt.date | None = None,
) -> None:
    code = t.codeable(t.coding(t.LOINC, loinc[0], loinc[1]), text=loinc[1])
    extra: dict[str, Any] = {}
    if day is None:
        extra["extension"] = [_ext("undated", valueBoolean=True)]
    b.add(key, _observation(b, "vital-signs", code, _date(day or b.case.as_of),
                            valueQuantity=t.quantity(value, unit), **extra))


def _patient_facts(b: _Builder) -> None:
    p = b.case.patient
    as_of = _date(b.case.as_of)
    # An undated weight (height) is dated the assessment date, as before; each dated one is
    # its own Observation with its own effectiveDateTime.
    if p.weight_kg is not None:
        _vital(b, "weight", t.BODY_WEIGHT_LOINC, p.weight_kg, "kg")
    if p.height_cm is not None:
        _vital(b, "height", t.BODY_HEIGHT_LOINC, p.height_cm, "cm")
    for index, m in enumerate(b.case.measurements):
        if m.name == "weight":
            _vital(b, f"weight/{index}", t.BODY_WEIGHT_LOINC, m.value, "kg", m.date)
        else:
            _vital(b, f"height/{index}", t.BODY_HEIGHT_LOINC, m.value, "cm", m.date)

    def fact(key: str, display: str, category: str, **value: Any) -> None:
        code = t.codeable(t.coding(t.local_system("patient-fact"), key, display), text=display)
        b.add(f"fact/{key}", _observation(b, category, code, as_of, **value))
        b.report.add("local_only", f"patient.{key.replace('-', '_')}",
                     "no verified standard code; clepath-local code only",
                     system=t.local_system("patient-fact"), code=key)

    if p.smoking is not None:
        smoking = t.codeable(b.local("smoking", p.smoking, "smoking"))
        fact("smoking", "Smoking status", "social-history", valueCodeableConcept=smoking)
    if p.pregnant is not None:
        fact("pregnant", "Pregnant", "exam", valueBoolean=p.pregnant)
    if p.blood_group is not None:
        fact("blood-group", "ABO blood group", "laboratory", valueString=p.blood_group)
    if p.pre_pregnancy_weight_kg is not None:
        fact("pre-pregnancy-weight", "Pre-pregnancy body weight", "exam",
             valueQuantity=t.quantity(p.pre_pregnancy_weight_kg, "kg"))


def _code_refs(refs: Iterable[CodeRef], system: str) -> list[dict[str, str]]:
    out = []
    for ref in refs:
        if ref.tag == "U":
            continue  # a coding convention, never shown as a confirmed code
        chosen = t.ICD10_CM if system == t.ICD10 and "ICD-10-CM" in (ref.note or "") else system
        out.append(t.coding(chosen, ref.code, ref.display))
    return out


def _condition(b: _Builder, key: str, code: dict[str, Any], **fields: Any) -> None:
    b.add(key, {
        "resourceType": "Condition",
        "clinicalStatus": t.codeable(t.coding(t.CONDITION_CLINICAL, "active", "Active")),
        "verificationStatus": t.codeable(
            t.coding(t.CONDITION_VERIFICATION, "confirmed", "Confirmed")),
        "category": [t.codeable(t.coding(t.CONDITION_CATEGORY, "problem-list-item",
                                         "Problem List Item"))],
        "code": code,
        "subject": b.patient_ref,
        **fields,
    })


def _cle(b: _Builder, index: int, entry: CleEntry) -> None:
    row = next(r for r in b.kb.table("classification", "subtypes", CleSubtype)
               if r.id == entry.subtype)
    codings = [b.local("cle-subtype", entry.subtype, "cle_subtype")]
    codings += _code_refs(row.icd10, t.ICD10) + _code_refs(row.snomed_ct, t.SNOMED)
    left_out = [r.code for r in (*row.icd10, *row.snomed_ct) if r.tag == "U"]
    if left_out:
        b.report.add("local_only", f"cle[{index}]",
                     f"codes {', '.join(left_out)} are coding conventions (tag U): not sent",
                     system=t.local_system("cle-subtype"), code=entry.subtype)
    fields: dict[str, Any] = {}
    if entry.sites:
        fields["bodySite"] = [t.codeable(b.local("clasi-region", s, "clasi_region"),
                                         text=b.label("clasi_region", s)) for s in entry.sites]
    if entry.since is not None:
        fields["onsetDateTime"] = _partial(entry.since)
    _condition(b, f"cle/{index}", t.codeable(*codings, text=row.label), **fields)


def _risk_conditions(b: _Builder) -> None:
    for name in sorted(b.case.patient.conditions):
        code = t.codeable(b.local("condition", name, "condition"),
                          text=b.label("condition", name))
        _condition(b, f"condition/{name}", code)
        b.report.add("local_only", f"patient.conditions.{name}",
                     "no verified standard code; clepath-local code only",
                     system=t.local_system("condition"), code=name)


def _unit_property(unit: str | None) -> str | None:
    """The LOINC property a value's unit implies: mass, substance or number concentration."""
    if unit is None:
        return None
    for prop, probe in (("MCnc", "g/L"), ("SCnc", "mol/L"), ("NCnc", "10*9/L")):
        try:
            if is_convertible(unit, probe):
                return prop
        except UnitProblem:
            return None
    return None


def _lab_code(b: _Builder, lab: LabResult, info: LabTest, where: str) -> dict[str, Any]:
    codings = [b.local("lab-test", lab.test, "lab_test")]
    terms = [row for row in b.kb.table("terminology", "loinc", LoincCode)
             if row.test == lab.test]
    wanted = _unit_property(lab.unit) if lab.value is not None else None
    by_property = [row for row in terms if wanted and row.property == wanted]
    conflicting = [row for row in terms if wanted and row.property
                   and row.property != wanted and row.code in info.loinc]
    if len(by_property) == 1:
        codings.insert(0, t.coding(t.LOINC, by_property[0].code, by_property[0].display))
    elif len(info.loinc) == 1 and not conflicting:
        codings.insert(0, t.coding(t.LOINC, info.loinc[0], info.label))
    elif conflicting:
        b.report.add("local_only", where, f"LOINC {conflicting[0].code} is a "
                     f"{conflicting[0].property} code and the value is in {lab.unit}; no code "
                     "of the matching property is known", system=t.local_system("lab-test"),
                     code=lab.test)
    else:
        why = ("no verified LOINC code" if not info.loinc else
               f"LOINC is method-specific ({', '.join(info.loinc)}); the method is not recorded")
        b.report.add("local_only", where, why, system=t.local_system("lab-test"), code=lab.test)
    return t.codeable(*codings, text=info.label)


def _lab(b: _Builder, index: int, lab: LabResult, tests: dict[str, LabTest]) -> None:
    info = tests[lab.test]
    where = f"labs[{index}]"
    fields: dict[str, Any] = {}
    if lab.titre is not None:
        fields["valueRatio"] = {"numerator": {"value": 1},
                                "denominator": {"value": lab.titre.denominator}}
    elif lab.value is not None and lab.unit is not None:
        fields["valueQuantity"] = t.quantity(lab.value, lab.unit)
    if lab.result is not None:
        code, display = t.INTERPRETATION_BY_RESULT[lab.result]
        fields["interpretation"] = [t.codeable(t.coding(t.INTERPRETATION, code, display),
                                               text=lab.result)]
    if (lab.lower is not None or lab.upper is not None) and lab.unit is not None:
        bounds: dict[str, Any] = {}
        if lab.lower is not None:
            bounds["low"] = t.quantity(lab.lower, lab.unit)
        if lab.upper is not None:
            bounds["high"] = t.quantity(lab.upper, lab.unit)
        fields["referenceRange"] = [bounds]
    if lab.attributed_to:
        fields["extension"] = [_ext("attributed-to", valueString=lab.attributed_to)]
    b.add(f"lab/{index}", _observation(b, "laboratory", _lab_code(b, lab, info, where),
                                       _date(lab.date), **fields))


def _finding(b: _Builder, index: int, finding: Finding) -> None:
    code = t.codeable(b.local("finding", finding.name, "finding"),
                      text=b.label("finding", finding.name))
    fields: dict[str, Any] = {}
    if finding.value is not None:
        fields["valueQuantity"] = t.quantity(finding.value.value, finding.value.unit)
    else:
        fields["valueBoolean"] = True
    if finding.note:
        fields["note"] = [{"text": finding.note}]
    if finding.attributed_to:
        fields["extension"] = [_ext("attributed-to", valueString=finding.attributed_to)]
    b.add(f"finding/{index}", _observation(b, "exam", code, _date(finding.date), **fields))


def _component(system: str, code: str, display: str | None, **value: Any) -> dict[str, Any]:
    return {"code": t.codeable(t.coding(t.local_system(system), code, display)), **value}


def _instrument(code: str, display: str) -> dict[str, Any]:
    return t.codeable(t.coding(t.local_system("instrument"), code, display), text=display)


def _method(b: _Builder, pack_id: str, text: str) -> dict[str, Any]:
    return {"text": f"{text}; clepath {__version__}, knowledge pack {b.kb.pack(pack_id).ref}"}


def _clasi(b: _Builder, index: int, exam: ClasiExam) -> dict[str, str]:
    from clepath.scores.clasi import score_exam

    score = score_exam(exam, b.kb)
    components = [
        _component("clasi-item", "activity", "CLASI-A (activity)", valueInteger=score.activity),
        _component("clasi-item", "damage", "CLASI-D (damage)", valueInteger=score.damage),
    ]
    for region, scores in exam.regions:
        label = b.label("clasi_region", region)
        for item in CLASI_REGION_ITEMS:
            components.append(_component("clasi-item", f"{region}.{item}", f"{label}: {item}",
                                         valueInteger=getattr(scores, item)))
    for item in CLASI_GLOBALS:
        components.append(_component("clasi-item", item, item.replace("_", " "),
                                     valueInteger=getattr(exam, item)))
    if exam.dyspigmentation_lasts_12_months is not None:
        components.append(_component(
            "clasi-item", "dyspigmentation_lasts_12_months",
            "dyspigmentation lasting 12 months or more",
            valueBoolean=exam.dyspigmentation_lasts_12_months))
    return b.add(f"clasi/{index}", _observation(
        b, "survey", _instrument("clasi", "CLASI"), _date(exam.date),
        interpretation=[{"text": f"CLASI-A {score.activity}: {score.severity} activity"}],
        method=_method(b, "clasi", "CLASI (Albrecht 2005), regions and items as recorded"),
        component=components))


def _scores(b: _Builder, a: Assessment, clasi_refs: list[dict[str, str]]) -> list[dict[str, str]]:
    as_of = _date(b.case.as_of)
    s = a.sledai
    sledai = _observation(
        b, "survey", _instrument("sledai-2k", "SLEDAI-2K"), as_of,
        valueQuantity=t.quantity(s.score, "{score}", "score"),
        method=_method(b, "sledai_2k", f"SLEDAI-2K, {s.window_days}-day window"),
        component=[_component("sledai-2k-descriptor", d.id, d.label, valueInteger=d.weight)
                   for d in s.descriptors] or None,
    )
    if s.band:
        sledai["interpretation"] = [{"text": s.band}]
    refs = [b.add("score/sledai-2k", {k: v for k, v in sledai.items() if v is not None})]
    e = a.eular_acr
    unknown = {"dataAbsentReason": t.codeable(t.coding(t.DATA_ABSENT_REASON, "unknown",
                                                       "Unknown"))}

    def flag(code: str, display: str, value: bool | None) -> dict[str, Any]:
        extra = {"valueBoolean": value} if value is not None else unknown
        return _component("eular-acr-2019", code, display, **extra)

    components = [flag("entry-criterion", "ANA entry criterion met", e.entry_criterion),
                  flag("classified", "Classified as SLE", e.classified)]
    components += [_component("eular-acr-2019-domain", domain, domain, valueInteger=points)
                   for domain, points in sorted(e.domains.items())]
    refs.append(b.add("score/eular-acr-2019", _observation(
        b, "survey", _instrument("eular-acr-2019", "EULAR/ACR 2019 SLE classification"), as_of,
        valueQuantity=t.quantity(e.total, "{score}", "points"),
        method=_method(b, "eular_acr_2019", "EULAR/ACR 2019 classification criteria"),
        component=components)))
    for code in ("clasi", "sledai-2k", "eular-acr-2019"):
        b.report.add("local_only", f"scores.{code}",
                     "no LOINC code exists for this instrument; local CodeSystem",
                     system=t.local_system("instrument"), code=code)
    return clasi_refs + refs


def frequency_timing(per_week: float) -> dict[str, Any] | None:
    """Timing.repeat for a number of doses per week (None when no simple form matches)."""
    candidates: list[tuple[float, int, float, str]] = []
    candidates += [(7.0 * n, n, 1, "d") for n in range(1, 7)]
    candidates += [(7.0 / p, 1, p, "d") for p in range(2, 7)]
    candidates += [(float(n), n, 1, "wk") for n in range(1, 7)]
    candidates += [(1.0 / p, 1, p, "wk") for p in range(2, 9)]
    candidates += [(7 / 30.436875, 1, 1, "mo")]
    for rate, frequency, period, unit in candidates:
        if abs(rate - per_week) <= 0.02 * per_week:
            return {"frequency": frequency, "period": period, "periodUnit": unit}
    return None


def _dose_quantity(course: TherapyCourse) -> dict[str, Any] | None:
    if course.dose_text:
        try:
            q = parse_quantity_text(course.dose_text)
        except UnitProblem:
            q = None
        if q is not None and q.unit != "1":
            return t.quantity(q.value, q.unit)
    if course.dose_mg is not None:
        return t.quantity(course.dose_mg, "mg")
    return None


def _therapy(b: _Builder, index: int, course: TherapyCourse) -> None:
    drug = b.local("drug", course.drug, "drug")
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "status": _OUTCOME_STATUS[course.outcome],
        "statusReason": [t.codeable(b.local("therapy-outcome", course.outcome, "outcome"))],
        "medicationCodeableConcept": t.codeable(drug, text=b.label("drug", course.drug)),
        "subject": b.patient_ref,
    }
    b.report.add("local_only", f"therapies[{index}]",
                 "no verified RxNorm code in the drug pack; clepath-local drug code",
                 system=t.local_system("drug"), code=course.drug)
    period = {}
    if course.start is not None:
        period["start"] = _partial(course.start)
    if course.stop is not None:
        period["end"] = _partial(course.stop)
    if period:
        resource["effectivePeriod"] = period
    dosage: dict[str, Any] = {}
    text = " ".join(x for x in (course.dose_text, course.frequency and b.label(
        "frequency", course.frequency)) if x)
    if text:
        dosage["text"] = text
    if course.frequency is not None:
        timing: dict[str, Any] = {"code": t.codeable(b.local("frequency", course.frequency,
                                                             "frequency"))}
        if course.doses_per_week and (repeat := frequency_timing(course.doses_per_week)):
            timing["repeat"] = repeat
        dosage["timing"] = timing
    if course.route is not None:
        dosage["route"] = t.codeable(b.local("route", course.route, "route"),
                                     text=b.label("route", course.route))
    dose = _dose_quantity(course)
    if dose is not None:
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    if dosage:
        resource["dosage"] = [dosage]
    if course.note:
        resource["note"] = [{"text": course.note}]
    b.add(f"therapy/{index}", resource)


def _ivig_request_extension(b: _Builder) -> dict[str, Any]:
    r = b.case.ivig_request
    assert r is not None
    parts: list[dict[str, Any]] = []
    if r.induction is not None:
        parts.append({"url": "induction-dose",
                      "valueQuantity": t.quantity(r.induction.dose_g_per_kg, "g/kg")})
        if r.induction.days is not None:
            parts.append({"url": "induction-days", "valueInteger": r.induction.days})
    if r.maintenance is not None:
        m = r.maintenance
        parts.append({"url": "maintenance-dose", "valueQuantity": t.quantity(m.dose_g_per_kg,
                                                                             "g/kg")})
        if m.every_days is not None:
            parts.append({"url": "maintenance-every",
                          "valueDuration": t.quantity(m.every_days, "d", "days")})
        if m.cycles is not None:
            parts.append({"url": "maintenance-cycles", "valueInteger": m.cycles})
    if r.product is not None:
        parts.append({"url": "product", "valueCoding": b.local("ivig-product", r.product,
                                                                "ivig_product")})
    if r.policy is not None:
        parts.append({"url": "policy", "valueCoding": b.local("ivig-policy", r.policy,
                                                               "ivig_policy")})
    if r.start is not None:
        parts.append({"url": "start", "valueDate": _date(r.start)})
    return _ext("ivig-request", extension=parts)


def _ivig(b: _Builder, report: IvigPlanReport | None, problem: str | None) -> None:
    ivig_drug = t.codeable(b.local("drug", "intravenous immunoglobulin", "drug"),
                           text="intravenous immunoglobulin")
    care_plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "extension": [_ivig_request_extension(b)],
        "status": "draft",
        "intent": "plan",
        "title": "IVIG course",
        "subject": b.patient_ref,
    }
    plan_ref = {"reference": b.full_url("ivig/careplan")}
    if report is None:
        care_plan["note"] = [{"text": f"No course plan could be made: {problem}"}]
        b.add("ivig/careplan", care_plan)
        return
    plan = report.plan
    weight = plan.dosing_weight
    activities = []
    last_day = plan.start
    for course in plan.courses:
        key = f"ivig/course/{course.cycle}"
        dosages = []
        for day in course.infusion_days:
            last_day = max(last_day, day.date)
            dosages.append({
                "sequence": day.day,
                "text": (f"{course.kind} course {course.number}, day {day.day} of {day.of_days}: "
                         f"{fmt(day.grams, 'ivig_g')} ({fmt_number(day.g_per_kg, 3)} g/kg of "
                         f"{fmt(weight.kg, 'dosing_kg')} dosing weight)"),
                "timing": {"event": [_date(day.date)]},
                "route": t.codeable(b.local("route", "intravenous", "route"), text="intravenous"),
                "doseAndRate": [{"doseQuantity": t.quantity(day.grams, "g")}],
            })
        request: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "extension": [
                _ext("dose-per-kg", valueQuantity=t.quantity(course.dose_g_per_kg, "g/kg")),
                # a computed weight: at the 2 decimals every page shows (not 63.372949795600015)
                _ext("dosing-weight", valueQuantity=t.quantity(round_value(weight.kg, 2), "kg")),
            ],
            "status": "draft",
            "intent": "plan",
            "medicationCodeableConcept": ivig_drug,
            "subject": b.patient_ref,
            "basedOn": [plan_ref],
            "dosageInstruction": dosages,
        }
        if weight.actual_kg is not None and b.case.patient.weight_kg is not None:
            request["supportingInformation"] = [{"reference": b.full_url("weight")}]
        if course.blocked:
            request["note"] = [{"text": "Held: the review rule blocks this course until the "
                                        "response is documented."}]
        activities.append({"reference": b.add(key, request)})
    care_plan["period"] = {"start": _date(plan.start), "end": _date(last_day)}
    if activities:
        care_plan["activity"] = activities
    blocks = [a.title for a in plan.alerts if a.severity == "block"]
    if blocks:
        care_plan["note"] = [{"text": "Hard stop: " + "; ".join(blocks)}]
    b.add("ivig/careplan", care_plan)
    b.report.add("derived", "requests.ivig",
                 "the course MedicationRequests are computed by clepath's IVIG planner; import "
                 "reads the request (CarePlan extension) and recomputes them")


def _impression(b: _Builder, a: Assessment | None, refs: list[dict[str, str]]) -> None:
    resource: dict[str, Any] = {
        "resourceType": "ClinicalImpression",
        "identifier": [{"system": t.CASE_ID_SYSTEM, "value": b.case.id}],
        "status": "completed",
        "code": _instrument("clepath-assessment", "clepath CLE assessment"),
        "description": "clepath assessment of cutaneous lupus erythematosus",
        "subject": b.patient_ref,
        "effectiveDateTime": _date(b.case.as_of),
    }
    if a is not None:
        status = {True: "refractory", False: "not refractory", None: "refractoriness unknown"}
        latest = a.clasi.latest if a.clasi else None
        activity = (f"CLASI-A {latest.activity} ({latest.severity}) on {latest.date}"
                    if latest else "no CLASI recorded")
        resource["summary"] = (f"{activity}; SLEDAI-2K {a.sledai.score}; "
                               f"{status[a.refractory.status]}.")
    if refs:
        resource["supportingInfo"] = refs
    b.add("assessment", resource)


def case_to_bundle(
    case: Case,
    kb: KnowledgeBase,
    *,
    assessment: Assessment | None = None,
    include_scores: bool = True,
    include_ivig: bool = True,
) -> ExportResult:
    """The case as a FHIR R4 `collection` Bundle (plain JSON) with its mapping report.

    `assessment` is computed when not given (for the survey Observations and the summary).
    """
    b = _Builder(case, kb)
    _patient(b)
    _patient_facts(b)
    for i, entry in enumerate(case.cle):
        _cle(b, i, entry)
    _risk_conditions(b)
    tests = {row.id: row for row in kb.table("labs", "tests", LabTest)}
    for i, lab in enumerate(case.labs):
        _lab(b, i, lab, tests)
    for i, finding in enumerate(case.findings):
        _finding(b, i, finding)
    clasi_refs = [_clasi(b, i, exam) for i, exam in enumerate(case.clasi)]
    for i, course in enumerate(case.therapies):
        _therapy(b, i, course)
    if include_scores and assessment is None:
        assessment = assess(case, kb)
    refs = _scores(b, assessment, clasi_refs) if include_scores and assessment else clasi_refs
    if include_ivig and case.ivig_request is not None:
        try:
            plan_report: IvigPlanReport | None = plan_for_case(case, kb)
            problem = None
        except ClepathError as exc:
            plan_report, problem = None, str(exc)
        _ivig(b, plan_report, problem)
    _impression(b, assessment, refs)
    bundle = {
        "resourceType": "Bundle",
        "id": resource_id(case.id, "bundle"),
        "meta": {"tag": [t.coding(t.local_system("export"), "clepath-case", "clepath case")]},
        "identifier": {"system": t.CASE_ID_SYSTEM, "value": case.id},
        "type": "collection",
        "entry": b.entries,
    }
    return ExportResult(bundle=bundle, report=b.report)
