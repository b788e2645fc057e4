"""The whole assessment of one case: scores, labs, therapy, glucocorticoids, refractoriness,
options, general measures and alerts, with the knowledge versions that produced them.

This module only composes: each clinical judgement lives in its own module (scores.*,
engine.therapy, engine.glucocorticoids, engine.refractory, engine.options).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from clepath.domain.body import body_value, case_on
from clepath.domain.case import Case
from clepath.domain.display import fmt_plain, fmt_quantity
from clepath.domain.future import future_dates
from clepath.domain.units import convert
from clepath.engine import glucocorticoids as gc_module
from clepath.engine import options as options_module
from clepath.engine import refractory as refractory_module
from clepath.engine import therapy as therapy_module
from clepath.engine.alerts import Alert, alert_definition, make_alert
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.drugs import TriggerDrug
from clepath.scores import clasi as clasi_module
from clepath.scores import classification as classification_module
from clepath.scores import eular_acr, labs, sledai, slicc
from clepath.scores.labs import Cytopenia, EgfrResult

__all__ = ["Assessment", "LabLine", "Summary", "assess", "summarise"]

# Lab tests summarised in every assessment, in display order.
_SUMMARY_TESTS = (
    "wbc",
    "lymphocytes",
    "neutrophils",
    "platelets",
    "haemoglobin",
    "c3",
    "c4",
    "ch50",
    "ana",
    "anti_dsdna",
    "anti_sm",
    "anti_ro",
    "creatinine",
    "iga",
)
_ANTIMALARIALS_WITH_MAX = ("hydroxychloroquine", "chloroquine")


@dataclass(frozen=True, slots=True)
class LabLine:
    """The latest result of one test, read against the lab's own range."""

    test: str
    label: str
    date: dt.date
    shown: str  # value with unit, titre or result word
    value: float | None
    unit: str | None
    flag: str | None  # low | high | positive | negative | normal | None


@dataclass(frozen=True)
class Assessment:
    """Everything clepath says about one case as of one date."""

    case_id: str
    as_of: dt.date
    knowledge: dict[str, str]
    patient: dict[str, Any]
    classification: tuple[classification_module.SubtypeInfo, ...]
    clasi: clasi_module.ClasiSummary | None
    sledai: sledai.SledaiResult
    eular_acr: eular_acr.EularAcrResult
    slicc: slicc.SliccResult
    labs: tuple[LabLine, ...]
    egfr: EgfrResult | None
    cytopenias: tuple[Cytopenia, ...]
    therapy: therapy_module.TherapyReview
    glucocorticoids: gc_module.GlucocorticoidReview
    refractory: refractory_module.RefractoryResult
    options: tuple[options_module.Option, ...]
    measures: tuple[options_module.Measure, ...]
    alerts: tuple[Alert, ...]
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """What a summary of a case shows (the CDS patient-view card): the latest CLASI, SLEDAI-2K,
    refractory status, the options and the alerts of the severities asked for.

    The same objects `assess` makes for these fields, without computing what such a summary
    does not show (SLICC 2012, the subtype classification, lab lines, general measures and the
    parameters in force).
    """

    case_id: str
    as_of: dt.date
    clasi: clasi_module.ClasiSummary | None
    sledai: sledai.SledaiResult
    refractory: refractory_module.RefractoryResult
    options: tuple[options_module.Option, ...]
    alerts: tuple[Alert, ...]


@dataclass(frozen=True)
class _Core:
    """The parts of an assessment that the options and the alerts depend on."""

    clasi: clasi_module.ClasiSummary | None
    sledai: sledai.SledaiResult
    eular_acr: eular_acr.EularAcrResult
    egfr: EgfrResult | None
    cytopenias: tuple[Cytopenia, ...]
    therapy: therapy_module.TherapyReview
    glucocorticoids: gc_module.GlucocorticoidReview
    refractory: refractory_module.RefractoryResult
    options: tuple[options_module.Option, ...]
    alerts: tuple[Alert, ...]  # not ordered; without the unconfirmed-default alerts


def _core(
    case: Case, kb: KnowledgeBase, sledai_window_days: int, today: dt.date | None
) -> _Core:
    clasi_summary = clasi_module.summarise(case, kb)
    sledai_result = sledai.score(case, kb, window_days=sledai_window_days)
    eular_result = eular_acr.classify(case, kb)
    egfr_result = labs.egfr(case, kb)
    cytopenia_list = labs.cytopenias(case, kb)
    therapy_review = therapy_module.review_therapies(case, kb)
    gc_review = gc_module.review_glucocorticoids(case, kb)
    latest = clasi_summary.latest if clasi_summary else None
    refractory_result = refractory_module.assess_refractory(
        case,
        kb,
        therapy_review,
        gc_review,
        clasi_activity=latest.activity if latest else None,
        clasi_date=latest.date if latest else None,
        # A baseline is an earlier exam than the latest: one exam alone shows no change.
        clasi_baseline_activity=(
            clasi_summary.history[0].activity
            if clasi_summary and len(clasi_summary.history) >= 2
            else None
        ),
    )
    context = _option_context(case, therapy_review, cytopenia_list, egfr_result, eular_result)
    option_list = options_module.propose_options(
        case, kb, therapy_review, refractory_result, context
    )
    alerts = _alerts(
        case,
        kb,
        therapy_review,
        gc_review,
        cytopenia_list,
        egfr_result,
        refractory_result,
        eular_result,
        clasi_summary,
    )
    # --- dates after today (issue 9 item 5) ---
    if today is not None:
        alerts += _future_date_alerts(case, kb, today)
    # --- end dates after today ---
    return _Core(
        clasi=clasi_summary,
        sledai=sledai_result,
        eular_acr=eular_result,
        egfr=egfr_result,
        cytopenias=cytopenia_list,
        therapy=therapy_review,
        glucocorticoids=gc_review,
        refractory=refractory_result,
        options=option_list,
        alerts=alerts,
    )


def assess(
    case: Case,
    kb: KnowledgeBase,
    *,
    sledai_window_days: int = 10,
    today: dt.date | None = None,
) -> Assessment:
    """Assess one case with the loaded knowledge (pure: reads nothing but its arguments).

    `today` is the real date, passed by the interface (the core never reads the clock): every
    date of the case after it raises a `future_date` alert. None skips that check.
    """
    kb = kb.session()
    # Weight and height: the latest measured on or before as_of (domain.body).
    recorded, case = case, case_on(case, case.as_of)
    core = _core(case, kb, sledai_window_days, today)
    slicc_result = slicc.classify(case, kb)
    subtypes = classification_module.classify(case, kb)
    measures = options_module.general_measures(case, kb, core.therapy)
    lab_lines = _lab_lines(case, kb)
    parameters = _parameters_in_force(kb)
    alerts = core.alerts + _unconfirmed_alerts(kb, parameters)
    return Assessment(
        case_id=case.id,
        as_of=case.as_of,
        knowledge=kb.versions(),
        patient=_patient_summary(case, recorded),
        classification=subtypes,
        clasi=core.clasi,
        sledai=core.sledai,
        eular_acr=core.eular_acr,
        slicc=slicc_result,
        labs=lab_lines,
        egfr=core.egfr,
        cytopenias=core.cytopenias,
        therapy=core.therapy,
        glucocorticoids=core.glucocorticoids,
        refractory=core.refractory,
        options=core.options,
        measures=measures,
        alerts=_ordered(alerts),
        parameters=parameters,
    )


def summarise(
    case: Case,
    kb: KnowledgeBase,
    *,
    sledai_window_days: int = 10,
    today: dt.date | None = None,
    severities: tuple[str, ...] = ("critical", "warning"),
) -> Summary:
    """The summary of one case: equal, field by field, to what `assess` gives for the same
    arguments, with only the alerts of `severities` (in `assess`'s order).

    The parameters in force are not gathered unless the alerts pack gives the
    unconfirmed-default alert one of `severities` (then the whole assessment is made).
    """
    if alert_definition(kb, "unconfirmed_default").severity in severities:
        full = assess(case, kb, sledai_window_days=sledai_window_days, today=today)
        return Summary(
            case_id=full.case_id,
            as_of=full.as_of,
            clasi=full.clasi,
            sledai=full.sledai,
            refractory=full.refractory,
            options=full.options,
            alerts=tuple(a for a in full.alerts if a.severity in severities),
        )
    # Weight and height as `assess` takes them (domain.body).
    case = case_on(case, case.as_of)
    core = _core(case, kb.session(), sledai_window_days, today)
    return Summary(
        case_id=case.id,
        as_of=case.as_of,
        clasi=core.clasi,
        sledai=core.sledai,
        refractory=core.refractory,
        options=core.options,
        alerts=tuple(a for a in _ordered(core.alerts) if a.severity in severities),
    )


def _unconfirmed_alerts(
    kb: KnowledgeBase, parameters: dict[str, dict[str, Any]]
) -> tuple[Alert, ...]:
    return tuple(
        make_alert(
            kb,
            "unconfirmed_default",
            {"parameter": key, "value": info["value"], "description": info["description"]},
        )
        for key, info in parameters.items()
        if info["unconfirmed"]
    )


def _patient_summary(case: Case, recorded: Case) -> dict[str, Any]:
    """The patient block; weight and height with the day each was measured (None: undated)
    and a note for each dated measurement after as_of, which is not used."""
    p = case.patient
    notes = [
        note
        for name in ("weight", "height")
        for note in body_value(recorded, name, case.as_of).notes("as-of date")
    ]
    bmi = None
    if p.weight_kg and p.height_cm:
        bmi = p.weight_kg / (p.height_cm / 100) ** 2
    return {
        "sex": p.sex,
        "age_years": p.age_years,
        "weight_kg": p.weight_kg,
        "weight_date": p.weight_date,
        "height_cm": p.height_cm,
        "height_date": p.height_date,
        "measurement_notes": notes,
        "bmi_kg_per_m2": bmi,
        "smoking": p.smoking,
        "pregnant": p.pregnant,
        "blood_group": p.blood_group,
        "conditions": sorted(p.conditions),
    }


def _lab_lines(case: Case, kb: KnowledgeBase) -> tuple[LabLine, ...]:
    lines: list[LabLine] = []
    for test in _SUMMARY_TESTS:
        result = labs.latest(case, test)
        if result is None:
            continue
        info = labs.test_info(kb, test)
        if result.titre is not None:
            shown = str(result.titre)
        elif result.value is not None:
            shown = fmt_quantity(result.value, result.unit)
        else:
            shown = result.result or "?"
        flag: str | None = result.result
        low, high = labs.is_low(result), labs.is_high(result)
        if result.value is not None and (result.lower is not None or result.upper is not None):
            flag = "low" if low else "high" if high else "normal"
        lines.append(LabLine(test, info.label, result.date, shown, result.value, result.unit, flag))
    return tuple(lines)


def _option_context(
    case: Case,
    therapy: therapy_module.TherapyReview,
    cytopenia_list: tuple[labs.Cytopenia, ...],
    egfr_result: labs.EgfrResult | None,
    eular_result: eular_acr.EularAcrResult,
) -> options_module.OptionContext:
    def condition(name: str) -> bool | None:
        judged = [c for c in cytopenia_list if c.condition == name]
        if not judged:
            return None
        return any(c.present for c in judged)

    wbc = labs.latest(case, "wbc")
    wbc_value = wbc.value if wbc is not None and wbc.unit == "10*9/L" else None
    ro = labs.latest(case, "anti_ro")
    hcq = next(
        (c for c in therapy.courses if c.drug == "hydroxychloroquine" and c.outcome == "ongoing"),
        None,
    )
    dsdna = labs.latest(case, "anti_dsdna")
    low_complement = any(
        labs.is_low(r) for t in ("c3", "c4", "ch50") if (r := labs.latest(case, t)) is not None
    )
    sle_features = bool(
        (dsdna is not None and labs.is_high(dsdna))
        or low_complement
        or condition("leukopenia")
        or eular_result.classified
    )
    return options_module.OptionContext(
        pregnant=case.patient.pregnant,
        leukopenia=condition("leukopenia"),
        wbc_10e9_per_l=wbc_value,
        neutropenia=condition("neutropenia"),
        anti_ro_positive=labs.is_high(ro) if ro is not None else None,
        smoking=case.patient.smoking,
        hcq_mg_per_kg=hcq.dose_mg_per_kg if hcq is not None else None,
        egfr=egfr_result.value if egfr_result is not None else None,
        subtypes=tuple(c.subtype for c in case.cle),
        sle_features=sle_features,
    )


def _alerts(
    case: Case,
    kb: KnowledgeBase,
    therapy: therapy_module.TherapyReview,
    gc_review: gc_module.GlucocorticoidReview,
    cytopenia_list: tuple[labs.Cytopenia, ...],
    egfr_result: labs.EgfrResult | None,
    refractory_result: refractory_module.RefractoryResult,
    eular_result: eular_acr.EularAcrResult,
    clasi_summary: clasi_module.ClasiSummary | None,
) -> tuple[Alert, ...]:
    out: list[Alert] = []
    current = [c for c in therapy.courses if c.outcome == "ongoing"]
    # --- dose plausibility and overlapping courses (engine/doses.py) ---
    out += _dose_alerts(kb, therapy)
    # --- end dose plausibility ---
    alerted: set[int] = set()
    for index, course in enumerate(therapy.courses):
        if course.outcome != "ongoing" or course.drug not in _ANTIMALARIALS_WITH_MAX:
            continue
        if alerted & set(course.overlaps_with):
            continue  # one alert for overlapping courses: it already gave their summed dose
        alerted.add(index)
        if course.above_max:
            code = (
                "hcq_dose_above_5_mg_per_kg"
                if course.drug == "hydroxychloroquine"
                else "chloroquine_dose_above_2_3_mg_per_kg"
            )
            out.append(
                make_alert(
                    kb,
                    code,
                    {
                        "daily_mg": (
                            course.summed_daily_dose_mg
                            if course.summed_daily_dose_mg is not None
                            else course.daily_dose_mg
                        ),
                        "mg_per_kg": course.dose_mg_per_kg,
                        "weight_kg": case.patient.weight_kg,
                    },
                )
            )
        elif course.dose_mg_per_kg is None:
            missing = (
                "no weight is recorded"
                if case.patient.weight_kg is None
                else ("its daily dose is not recorded")
            )
            out.append(
                make_alert(
                    kb,
                    "antimalarial_dose_per_kg_unknown",
                    {"drug": course.label, "missing": missing},
                )
            )
    drug_rows = therapy_module.drug_rows(kb)  # by id, made once per table
    trigger_ids = kb.derived(
        "assess.trigger_drug_ids",
        lambda k: frozenset(row.id for row in k.table("drugs", "trigger_drugs", TriggerDrug)),
    )
    for course in current:
        row = drug_rows.get(course.drug)
        if case.patient.pregnant and row is not None and row.teratogen:
            out.append(make_alert(kb, "teratogen_in_pregnancy", {"drug": course.label}))
        if course.drug in trigger_ids or (row is not None and row.cle_trigger):
            out.append(make_alert(kb, "drug_trigger_current", {"drug": course.label}))
    if case.patient.smoking == "current":
        out.append(make_alert(kb, "smoking"))
    if gc_review.above_target and gc_review.prednisone_equivalent_mg_per_day is not None:
        failed = [
            f"{t.guideline} {t.operator} {fmt_plain(t.threshold_mg)} mg/day"
            for t in gc_review.targets
            if t.met is False
        ]
        out.append(
            make_alert(
                kb,
                "glucocorticoid_above_target",
                {
                    "pred_eq": round(gc_review.prednisone_equivalent_mg_per_day, 1),
                    "targets": "; ".join(failed),
                },
            )
        )
    for condition in ("leukopenia", "thrombocytopenia", "lymphopenia", "neutropenia"):
        present = [c for c in cytopenia_list if c.condition == condition and c.present]
        if present:
            first = present[0]
            value = (
                first.value
                if first.unit == "10*9/L"
                else convert(first.value, first.unit, "10*9/L")
            )
            instruments = ", ".join(sorted({c.used_by for c in present}))
            cause = f" (attributed to {first.attributed_to})" if first.attributed_to else ""
            out.append(
                make_alert(
                    kb,
                    condition,
                    {
                        "value": round(value, 3),
                        "date": first.date.isoformat() + cause,
                        "instruments": instruments,
                    },
                )
            )
    on_hcq = any(c.drug == "hydroxychloroquine" for c in current)
    if on_hcq and egfr_result is not None:
        for code in ("hcq_renal_dose_reduction", "hcq_retinal_screening_year_1"):
            limit = alert_definition(kb, code).threshold
            if limit is not None and egfr_result.value < limit:
                out.append(
                    make_alert(
                        kb, code, {"egfr": egfr_result.value, "egfr_method": egfr_result.method}
                    )
                )
                break
    if refractory_result.status:
        met = [d.label for d in refractory_result.definitions if d.met]
        undocumented = [
            c.label
            for c in therapy.courses
            if c.outcome in ("failed", "intolerant") and c.adequacy == "undocumented"
        ]
        adequacy = (
            "Adequacy undocumented (no dates or dose) for: " + ", ".join(undocumented) + "."
            if undocumented
            else ""
        )
        out.append(
            make_alert(kb, "refractory", {"definitions": "; ".join(met), "adequacy": adequacy})
        )
    if eular_result.entry_criterion is None:
        out.append(
            make_alert(
                kb,
                "missing_data",
                {
                    "what": "EULAR/ACR 2019 entry criterion",
                    "why": "no ANA is recorded; the points that would count are "
                    f"{eular_result.total}",
                },
            )
        )
    if clasi_summary is None:
        out.append(
            make_alert(
                kb,
                "missing_data",
                {"what": "CLASI", "why": "no CLASI examination is recorded on or before as_of"},
            )
        )
    if case.patient.weight_kg is None:
        out.append(
            make_alert(
                kb,
                "missing_data",
                {"what": "Weight", "why": "not recorded; doses per kg cannot be checked"},
            )
        )
    return tuple(out)


def _future_date_alerts(case: Case, kb: KnowledgeBase, today: dt.date) -> tuple[Alert, ...]:
    """One `future_date` alert per date of the case after `today` (issue 9 item 5)."""
    return tuple(
        make_alert(
            kb,
            "future_date",
            {
                "what": found.what[:1].upper() + found.what[1:],
                "value": found.value,
                "field": found.field,
                "today": today.isoformat(),
            },
        )
        for found in future_dates(case, today)
    )
# --- dose plausibility and overlapping courses (engine/doses.py) ---
def _dose_alerts(kb: KnowledgeBase, therapy: therapy_module.TherapyReview) -> list[Alert]:
    """One alert per limit a course breaks, and one `duplicate_therapy` per overlapping pair."""
    out: list[Alert] = []
    for course in therapy.courses:
        for problem in course.dose_problems:
            alert = make_alert(kb, problem.code, problem.values)
            if problem.severity is not None and problem.severity != alert.severity:
                alert = replace(alert, severity=problem.severity)
            out.append(alert)
    for overlap in therapy.overlaps:
        out.append(make_alert(kb, "duplicate_therapy", {"courses": overlap.text}))
    return out
# --- end dose plausibility ---


def _parameters_in_force(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """Every parameter the assessment read, with its value, source and whether unconfirmed."""
    out: dict[str, dict[str, Any]] = {}
    for key in kb.accessed():
        row = kb.parameter(key)
        pack_id = key.split(".", 1)[0]
        out[key] = {
            "value": kb.value(key),
            "unit": row.unit,
            "description": row.description,
            "overridden": key in kb.overrides,
            "unconfirmed": kb.is_default_unconfirmed(key),
            "sources": [s["citation"] for s in kb.cite(pack_id, row.source)],
        }
    return out


_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def _ordered(alerts: tuple[Alert, ...]) -> tuple[Alert, ...]:
    return tuple(sorted(alerts, key=lambda a: _SEVERITY_ORDER.get(a.severity, 3)))
