"""The hooks: patient-view, order-select and order-sign, as pure functions of the request.

The prefetched (or fetched) FHIR resources are read into a Case by `clepath.fhir.importer`
(as of today, lenient: an unreadable item is reported, not fatal), then:

* **patient-view** (`clepath-cle-summary`): with no cutaneous lupus on the problem list there is
  nothing to say (`{"cards": []}`). Otherwise one card: CLASI activity (band and trend),
  SLEDAI-2K, refractory status (clepath.engine.refractory) and the next options of the pathway
  (clepath.engine.options), with a link to the patient's page in clepath.
* **order-select / order-sign** (`clepath-cle-orders`; order-select looks only at the newly
  selected orders): for each draft order of
  - hydroxychloroquine: mg/kg/day of actual body weight against the drug pack's maximum
    (EULAR 2023: 5 mg/kg), an `update` suggestion to the highest dose within it;
  - IVIG: grams against the regimen dose per kg of the dosing weight (clepath.dosing via
    clepath.engine.ivig), an `update` suggestion to the planned grams; the hard stops (critical,
    with a suggestion to remove the order); at order-sign, the warnings and missing
    pre-infusion checks;
  - a systemic glucocorticoid: the prednisone-equivalent dose against the maintenance targets
    (EULAR 2023, ACR 2025; clepath.engine.glucocorticoids).

Every card carries override reasons and a stable uuid, and `HookResult.rules` maps each card
uuid to the rule that made it (for feedback rates per rule).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clepath import __version__
from clepath.domain.body import case_on
from clepath.domain.case import Case, IvigCourseRequest, IvigRequest, TherapyCourse
from clepath.domain.dates import PartialDate
from clepath.domain.display import fmt, fmt_plain
from clepath.engine.alerts import alert_definition, make_alert
from clepath.engine.assess import Summary, summarise
from clepath.engine.doses import course_problems
from clepath.engine.glucocorticoids import review_glucocorticoids
from clepath.engine.ivig import plan_for_case
from clepath.engine.therapy import drug_rows, effective_drug, review_therapies
from clepath.errors import ClepathError
from clepath.fhir import terminology as t
from clepath.fhir.cds import cards as c
from clepath.fhir.cds.model import HookRequest
from clepath.fhir.cds.orders import DraftOrder, read_draft_orders
from clepath.fhir.cds.prefetch import PrefetchValue, resolved
from clepath.fhir.cds.services import ORDERS, PATIENT_VIEW, required_keys
from clepath.fhir.importer import import_bundle
from clepath.fhir.issues import MappingReport
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import RegimenPreset
from clepath.knowledge.models.vocabulary import Frequency
from clepath.scores.labs import egfr

__all__ = [
    "HookResult",
    "HookSettings",
    "KNOWLEDGE_EXTENSION",
    "RULES",
    "case_from_resources",
    "knowledge_line",
    "knowledge_versions",
    "run_hook",
]

RULES = (
    "cle_summary",
    "hcq_above_max",
    "hcq_dose_unknown",
    "hcq_renal",
    "hcq_weight_missing",
    "gc_above_target",
    "gc_dose_unknown",
    "ivig_cannot_plan",
    "ivig_dose_mismatch",
    "ivig_hard_stop",
    "ivig_no_regimen",
    "ivig_safety",
)
_NOTE = ("Decision support, not a decision: check doses against the current label and the "
         "patient.")
_PRECHECKS = ("iga_not_recorded", "renal_function_not_recorded", "haemolysis_group_unknown",
              "age_not_recorded", "pre_pregnancy_weight_missing")
_NEXT = ("recommended", "consider")
_SHOWN = ("critical", "warning")  # the alert severities the summary card lists


KNOWLEDGE_EXTENSION = "org.clepath.knowledge"


def knowledge_versions(kb: KnowledgeBase) -> dict[str, Any]:
    """What made a card: clepath's version and every knowledge pack's version (the card's
    `extension`, so an EHR can log it with the card)."""
    return {"clepath": __version__, "packs": kb.versions()}


def knowledge_line(kb: KnowledgeBase) -> str:
    """The knowledge versions in one line of the card detail (packs grouped by version)."""
    by_version: dict[str, list[str]] = {}
    for pack, version in kb.versions().items():
        by_version.setdefault(version, []).append(pack)
    groups = "; ".join(f"{', '.join(packs)} {version}" for version, packs in by_version.items())
    return f"clepath {__version__}, knowledge packs: {groups}."


@dataclass(frozen=True)
class HookSettings:
    """How the hooks word and source their cards (the service's configuration)."""

    source_label: str = "clepath CLE decision support"
    source_url: str | None = "https://clepath.org"
    sledai_window_days: int = 10
    # Hydroxychloroquine doses are suggested in whole steps of this many mg per dose; None
    # takes the drugs pack's `hcq_dose_step_mg` (a configurable default, unconfirmed).
    hcq_dose_step_mg: float | None = None
    ivig_policy: str | None = None  # dosing-weight policy when the case names none
    max_options: int = 3


@dataclass(frozen=True)
class HookResult:
    """The response body, which rule made each card, and the data-mapping report."""

    response: dict[str, Any]
    rules: dict[str, str] = field(default_factory=dict)
    report: MappingReport | None = None


@dataclass
class _Ctx:
    """What every card of one call shares."""

    service: str
    request: HookRequest
    kb: KnowledgeBase
    today: dt.date
    settings: HookSettings
    patient_link: Callable[[str], str] | None
    missing: list[str]
    cards: list[dict[str, Any]] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)

    def card(self, rule: str, key: str, title: str, **fields: Any) -> dict[str, Any]:
        uuid = c.card_uuid(self.service, rule, self.request.patient_id, key,
                           self.today.isoformat())
        source: dict[str, Any] = {"label": self.settings.source_label,
                                  "topic": t.coding(t.local_system("cds-rule"), rule, title)}
        if self.settings.source_url:
            source["url"] = self.settings.source_url
        links = []
        if self.patient_link is not None:
            links.append({"label": "Open the CLE assessment in clepath",
                          "url": self.patient_link(self.request.patient_id),
                          "type": "absolute"})
        detail = fields.pop("detail", "")
        if self.missing:
            detail += ("\n\n**Not available:** " + ", ".join(self.missing)
                       + " (not prefetched and not readable from the FHIR server).")
        detail = f"{detail}\n\n_{_NOTE}_\n\n{knowledge_line(self.kb)}".strip()
        made = c.card(uuid=uuid, source=source, links=links, detail=detail,
                      extension={KNOWLEDGE_EXTENSION: knowledge_versions(self.kb)}, **fields)
        self.cards.append(made)
        self.rules[uuid] = rule
        return made

    def result(self, report: MappingReport | None) -> HookResult:
        return HookResult({"cards": self.cards}, self.rules, report)


def case_from_resources(
    resources: list[dict[str, Any]], kb: KnowledgeBase, patient_id: str, today: dt.date
) -> tuple[Case, MappingReport]:
    """The patient's FHIR resources read as a Case as of today (lenient)."""
    case, result = import_bundle(resources, kb, as_of=today, case_id=patient_id, strict=False)
    return case, result.report


# -- patient-view ---------------------------------------------------------------------------
def _activity(a: Summary) -> tuple[str, str]:
    if a.clasi is None:
        return "CLASI not recorded", "No CLASI examination is recorded."
    latest = a.clasi.latest
    short = f"CLASI-A {latest.activity} ({latest.severity})"
    text = (f"CLASI-A {latest.activity} ({latest.severity} activity), CLASI-D {latest.damage}, "
            f"on {latest.date.isoformat()}")
    change = a.clasi.change
    if change is not None:
        direction = "better" if change.points > 0 else "worse" if change.points < 0 else "unchanged"
        pct = f", {fmt(abs(change.percent), 'percent')}" if change.percent is not None else ""
        text += (f"; baseline {change.baseline_activity} on {change.baseline_date.isoformat()}: "
                 f"{abs(change.points)} points {direction}{pct}")
        if change.points:
            short = short[:-1] + f", {abs(change.points)} {direction} than at baseline)"
    return short, text + "."


def _refractory(a: Summary) -> tuple[str, str]:
    r = a.refractory
    if r.status is True:
        met = "; ".join(d.label for d in r.definitions if d.met)
        return "refractory", f"**Refractory:** yes ({met})."
    if r.status is False:
        return "not refractory", "**Refractory:** no, by the definitions clepath applies."
    missing = "; ".join(r.missing) or "data missing"
    return "refractoriness unknown", f"**Refractory:** cannot be judged ({missing})."


def _options(a: Summary, limit: int) -> list[Any]:
    picked = [o for o in a.options if o.status in _NEXT and not (o.line or "").endswith("topical")]
    return picked[:limit]


def _patient_view(ctx: _Ctx, case: Case) -> None:
    # Only what the card shows is computed (the alerts it lists: critical and warning).
    a = summarise(case, ctx.kb, sledai_window_days=ctx.settings.sledai_window_days,
                  severities=_SHOWN)
    activity_short, activity = _activity(a)
    refractory_short, refractory = _refractory(a)
    options = _options(a, ctx.settings.max_options)
    names = ", ".join(o.label for o in options) or "none beyond the current treatment"
    s = a.sledai
    lines = [
        f"**Activity:** {activity} SLEDAI-2K {s.score}"
        + (f" ({s.band})" if s.band else "") + f", {s.window_days}-day window.",
        refractory,
        "**Next options** (clepath pathway, in ladder order):",
    ]
    for o in options:
        cautions = "; ".join(x.message for x in o.cautions)
        lines.append(f"- {o.label}: {o.line_label} ({o.status})"
                     + (f". Caution: {cautions}" if cautions else ""))
    if not options:
        lines.append("- none beyond the current treatment")
    warnings = a.alerts
    if warnings:
        lines.append("**Alerts:**")
        lines += [f"- {x.title}: {x.message}" for x in warnings]
    severe = a.clasi is not None and a.clasi.latest.severity == "severe"
    indicator = "warning" if a.refractory.status is True or severe else "info"
    ctx.card("cle_summary", "summary", "CLE summary",
             summary=f"{activity_short}; {refractory_short}; next: {names}",
             indicator=indicator, detail="\n".join(lines),
             override=c.override_reasons("clinical-judgement", "data-outdated"))


# -- order checks -----------------------------------------------------------------------------
def _with_orders(case: Case, orders: list[DraftOrder], today: dt.date) -> Case:
    """The case with the draft orders as ongoing courses (replacing ongoing courses of the
    same drug: a new order supersedes the current prescription)."""
    drugs = {o.drug for o in orders if o.kind != "ivig"}
    kept = [x for x in case.therapies if not (x.outcome == "ongoing" and x.drug in drugs)]
    for o in orders:
        if o.kind == "ivig":
            continue
        kept.append(TherapyCourse(
            drug=o.drug, dose_mg=o.dose_mg,
            dose_text=f"{fmt_plain(o.dose_mg)} mg" if o.dose_mg is not None else None,
            doses_per_week=o.doses_per_week, route=o.route,
            start=PartialDate.from_date(o.start or today), outcome="ongoing"))
    return dataclasses.replace(case, therapies=tuple(kept))


def _updated(resource: Mapping[str, Any], dosages: list[dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(dict(resource))
    out["dosageInstruction"] = dosages
    return out


def _hcq(ctx: _Ctx, case: Case, order: DraftOrder) -> None:
    title = "Hydroxychloroquine dose"
    case = case_on(case, order.start or ctx.today)  # the latest weight on or before the order
    if order.daily_dose_mg is None:
        ctx.card("hcq_dose_unknown", order.reference, title, indicator="info",
                 summary="Hydroxychloroquine order without a dose and frequency: mg/kg not "
                         "checked.",
                 detail="Give the dose and how often it is taken to check it against 5 mg/kg "
                        "of actual body weight per day.")
        return
    if case.patient.weight_kg is None:
        ctx.card("hcq_weight_missing", order.reference, title, indicator="info",
                 summary="No body weight recorded: the hydroxychloroquine dose per kg cannot be "
                         "checked.",
                 detail="Record the actual body weight; the maximum is set per kg of it.",
                 override=c.override_reasons("data-outdated", "clinical-judgement"))
        return
    review = review_therapies(case, ctx.kb)
    course = next(x for x in reversed(review.courses)
                  if x.drug == order.drug and x.outcome == "ongoing")
    weight = case.patient.weight_kg
    renal = _hcq_renal(ctx, case)
    if course.above_max and course.max_mg_per_kg is not None:
        alert = make_alert(ctx.kb, "hcq_dose_above_5_mg_per_kg",
                           {"daily_mg": order.daily_dose_mg, "mg_per_kg": course.dose_mg_per_kg,
                            "weight_kg": weight})
        per_dose = _hcq_suggested_dose(ctx, order, course.max_mg_per_kg * weight)
        suggestions = []
        detail = alert.message + (f"\n\n{renal}" if renal else "")
        if per_dose:
            daily = per_dose * (order.doses_per_week or 7.0) / 7.0
            dosage = copy.deepcopy(dict((order.resource.get("dosageInstruction") or [{}])[0]))
            dosage["doseAndRate"] = [{"doseQuantity": t.quantity(per_dose, "mg")}]
            dosage["text"] = f"{fmt_plain(per_dose)} mg per dose ({fmt_plain(daily)} mg/day)"
            action = {"type": "update", "resource": _updated(order.resource, [dosage]),
                      "description": f"Change the dose to {fmt_plain(per_dose)} mg per dose "
                                     f"({fmt(daily / weight, 'mg_per_kg_day')})"}
            suggestions.append(c.suggestion(f"Reduce to {fmt_plain(per_dose)} mg per "
                                            f"dose", [action],
                                            card_id=order.reference, key="reduce",
                                            recommended=True))
            detail += (f"\n\nSuggested: {fmt_plain(per_dose)} mg per dose, {fmt_plain(daily)} "
                       f"mg/day = "
                       f"{fmt(daily / weight, 'mg_per_kg_day')} (whole {fmt_plain(_hcq_step(ctx))}"
                       " mg steps: a configurable default, unconfirmed).")
        detail += "\n\nSources: " + "; ".join(s["citation"] for s in alert.sources)
        ctx.card("hcq_above_max", order.reference, title, indicator="warning",
                 summary=f"Hydroxychloroquine {fmt_plain(order.daily_dose_mg)} mg/day is "
                         f"{fmt(course.dose_mg_per_kg, 'mg_per_kg')}, above the "
                         f"{fmt_plain(course.max_mg_per_kg)} mg/kg/day maximum.",
                 detail=detail, suggestions=suggestions, selection_behavior="at-most-one",
                 override=c.override_reasons("clinical-judgement", "data-outdated",
                                             "specialist-agreed"))
    elif renal:
        ctx.card("hcq_renal", order.reference, title, indicator="warning",
                 summary="Reduced kidney function: consider a lower hydroxychloroquine dose.",
                 detail=renal, override=c.override_reasons("clinical-judgement",
                                                           "specialist-agreed"))


def _hcq_step(ctx: _Ctx) -> float:
    if ctx.settings.hcq_dose_step_mg is not None:
        return ctx.settings.hcq_dose_step_mg
    return float(ctx.kb.value("drugs.hcq_dose_step_mg"))


def _hcq_suggested_dose(ctx: _Ctx, order: DraftOrder, max_daily_mg: float) -> float | None:
    step = _hcq_step(ctx)
    per_week = order.doses_per_week or 7.0
    per_dose = math.floor(max_daily_mg * 7.0 / per_week / step + 1e-9) * step
    return per_dose if per_dose > 0 else None


def _hcq_renal(ctx: _Ctx, case: Case) -> str | None:
    result = egfr(case, ctx.kb)
    limit = alert_definition(ctx.kb, "hcq_renal_dose_reduction").threshold
    if result is None or limit is None or result.value >= limit:
        return None
    return make_alert(ctx.kb, "hcq_renal_dose_reduction",
                      {"egfr": result.value, "egfr_method": result.method}).message


def _glucocorticoid(ctx: _Ctx, case: Case, order: DraftOrder) -> None:
    title = "Glucocorticoid target"
    review = review_glucocorticoids(case, ctx.kb)
    label = ctx.kb.vocabulary("drug").labels.get(order.drug, order.drug)
    pe = review.prednisone_equivalent_mg_per_day
    if pe is None:
        ctx.card("gc_dose_unknown", order.reference, title, indicator="info",
                 summary=f"{label} order: the prednisone-equivalent dose cannot be worked out.",
                 detail="\n".join(f"- {n}" for n in review.notes))
        return
    if not review.above_target:
        return
    failed = [f"{x.guideline} {x.operator} {fmt_plain(x.threshold_mg)} "
              f"mg/day" for x in review.targets
              if x.met is False]
    lines = [f"With this order the current systemic glucocorticoid dose is {fmt_plain(pe)} mg/day "
             "prednisone-equivalent.", "", "Maintenance targets not met: " + "; ".join(failed)
             + ". Glucocorticoids are bridging therapy: taper to the target and withdraw when "
             "possible."]
    if review.cumulative_mg is not None:
        lines.append(f"Cumulative prednisone-equivalent so far: {review.cumulative_mg:,.0f} mg"
                     + ("" if review.cumulative_complete else " (a lower bound)") + ".")
    lines += [f"- {n}" for n in review.notes]
    ctx.card("gc_above_target", order.reference, title, indicator="warning",
             summary=f"Glucocorticoids with this {label} order: {fmt_plain(pe)} mg/day "
                     f"prednisone-equivalent, above the maintenance target "
                     f"({failed[0] if failed else 'target'}).",
             detail="\n".join(lines),
             override=c.override_reasons("short-course", "clinical-judgement",
                                         "specialist-agreed"))


def _regimen_doses(kb: KnowledgeBase) -> list[float]:
    doses: set[float] = set()
    for row in kb.table("ivig", "regimens", RegimenPreset):
        if row.outside_cle:
            continue  # a regimen of another disease is no CLE dose
        for part in (row.induction, row.maintenance):
            if part is not None:
                doses.add(float(part.dose_g_per_kg))
    return sorted(doses)


def _ivig_product(ctx: _Ctx, order: DraftOrder, case: Case) -> str | None:
    concept = order.resource.get("medicationCodeableConcept") or {}
    for coding in concept.get("coding") or ():
        if coding.get("system") == t.local_system("ivig-product"):
            return str(coding.get("code"))
    vocab = ctx.kb.vocabulary("ivig_product")
    for text in [concept.get("text"), *[x.get("display") for x in concept.get("coding") or ()]]:
        if not isinstance(text, str):
            continue
        found = vocab.resolve(text) or vocab.resolve(text.split("%")[0]) or vocab.resolve(
            text.split()[0] if text.split() else text)
        if found:
            return found
    return case.ivig_request.product if case.ivig_request else None


def _plan(ctx: _Ctx, case: Case, order: DraftOrder, dose: float) -> Any:
    request = case.ivig_request
    planned = dataclasses.replace(case, ivig_request=IvigRequest(
        induction=IvigCourseRequest(dose_g_per_kg=dose, days=len(order.day_grams)),
        product=_ivig_product(ctx, order, case),
        policy=(request.policy if request and request.policy else ctx.settings.ivig_policy),
        start=order.start or ctx.today))
    return plan_for_case(planned, ctx.kb)


def _intended_dose(ctx: _Ctx, case: Case, order: DraftOrder, total: float
                   ) -> tuple[float | None, float]:
    """The regimen dose per kg the order most likely means (on dosing or actual weight), and
    the dose per kg of dosing weight the order actually gives."""
    weight = case.patient.weight_kg or 0.0
    try:
        dosing = _plan(ctx, case, order, 1.0).plan.dosing_weight.kg
    except ClepathError:
        dosing = weight
    given = total / dosing if dosing else 0.0
    if order.dose_per_kg is not None:
        return order.dose_per_kg, given
    step = float(ctx.kb.value("ivig.rounding_step_g"))
    best = min(((min(abs(total - r * dosing), abs(total - r * weight)), r)
                for r in _regimen_doses(ctx.kb)), default=None)
    return (best[1] if best is not None and best[0] <= step else None), given


def _ivig(ctx: _Ctx, case: Case, order: DraftOrder) -> None:
    title = "IVIG order"
    case = case_on(case, order.start or ctx.today)  # the latest weight on or before the order
    if not order.day_grams:
        ctx.card("ivig_cannot_plan", order.reference, title, indicator="warning",
                 summary="IVIG order without a dose in grams: it cannot be checked.",
                 detail="Give the grams per infusion day and the number of days.")
        return
    if case.patient.weight_kg is None:
        ctx.card("ivig_cannot_plan", order.reference, title, indicator="warning",
                 summary="No body weight recorded: the IVIG dose cannot be checked.",
                 detail="IVIG is dosed per kg of dosing weight; record weight and height.",
                 override=c.override_reasons("data-outdated", "clinical-judgement"))
        return
    total = sum(order.day_grams)
    dose, given = _intended_dose(ctx, case, order, total)
    try:
        # without a matching regimen, the plan (and its safety gate) is the order's own dose
        report = _plan(ctx, case, order, dose if dose is not None else given)
    except ClepathError as exc:
        ctx.card("ivig_cannot_plan", order.reference, title, indicator="warning",
                 summary="The IVIG order cannot be checked against a dosing plan.",
                 detail=str(exc))
        return
    plan = report.plan
    _ivig_hard_stops(ctx, order, plan)
    weight = plan.dosing_weight
    per_kg = total / weight.kg
    if dose is None:
        ctx.card("ivig_no_regimen", order.reference, title, indicator="warning",
                 summary=f"IVIG {fmt(total, 'ivig_g')} is {fmt(per_kg, 'g_per_kg')} of dosing "
                         f"weight: no listed "
                         "regimen dose matches.",
                 detail=(f"Dosing weight {fmt(weight.kg, 'dosing_kg')} ({weight.reason}). "
                         f"Regimen doses "
                         "in the IVIG pack: " + ", ".join(f"{fmt_plain(d)} g/kg"
                                                          for d in _regimen_doses(ctx.kb))
                         + " per course."),
                 override=c.override_reasons("clinical-judgement", "specialist-agreed"))
    else:
        _ivig_dose(ctx, order, plan, dose, total)
    if ctx.request.hook == "order-sign":
        _ivig_safety(ctx, order, plan)


def _ivig_hard_stops(ctx: _Ctx, order: DraftOrder, plan: Any) -> None:
    blocks = [a for a in plan.alerts if a.severity == "block"]
    if not blocks:
        return
    action = {"type": "delete", "resourceId": order.reference,
              "description": "Remove the IVIG draft order"}
    ctx.card("ivig_hard_stop", order.reference, "IVIG hard stop", indicator="critical",
             summary="IVIG hard stop: " + "; ".join(a.title for a in blocks) + ".",
             detail="\n".join(f"- **{a.title}**: {a.message}" for a in blocks),
             suggestions=[c.suggestion("Remove the IVIG order", [action],
                                       card_id=order.reference, key="remove",
                                       recommended=True)],
             selection_behavior="at-most-one",
             override=c.override_reasons("specialist-agreed", "risk-accepted", "data-outdated"))


def _ivig_dose(ctx: _Ctx, order: DraftOrder, plan: Any, dose: float, total: float) -> None:
    course = plan.courses[0]
    planned = course.total_grams
    step = plan.rounding_step_g
    if abs(total - planned) <= step + 1e-9:
        return
    weight = plan.dosing_weight
    dosages = [{
        "sequence": day.day,
        "text": f"Day {day.day} of {day.of_days}: {fmt(day.grams, 'ivig_g')}",
        "timing": {"event": [day.date.isoformat()]},
        "doseAndRate": [{"doseQuantity": t.quantity(day.grams, "g")}],
    } for day in course.infusion_days]
    action = {"type": "update", "resource": _updated(order.resource, dosages),
              "description": f"Change to {fmt(planned, 'ivig_g')} over {course.days} days "
                             f"({fmt_plain(dose)} g/kg of {fmt(weight.kg, 'dosing_kg')} dosing "
                             f"weight)"}
    on_actual = abs(total - dose * weight.actual_kg) <= step + 1e-9
    why = (f" The order matches {fmt_plain(dose)} g/kg of the actual weight "
           f"({fmt(weight.actual_kg, 'kg')})."
           if on_actual and weight.basis != "actual" else "")
    ctx.card("ivig_dose_mismatch", order.reference, "IVIG dose", indicator="warning",
             summary=f"IVIG {fmt(total, 'ivig_g')} differs from {fmt_plain(dose)} g/kg of the "
                     f"dosing weight: "
                     f"{fmt(planned, 'ivig_g')}.",
             detail=(f"Dosing weight {fmt(weight.kg, 'dosing_kg')}, policy {weight.policy} "
                     f"({weight.reason}).{why} Planned: "
                     + ", ".join(f"{fmt(d.grams, 'ivig_g')}" for d in course.infusion_days)
                     + f" (rounded to {fmt(step, 'ivig_g')})."),
             suggestions=[c.suggestion(f"Use {fmt(planned, 'ivig_g')} over {course.days} "
                                       f"days", [action],
                                       card_id=order.reference, key="planned",
                                       recommended=True)],
             selection_behavior="at-most-one",
             override=c.override_reasons("clinical-judgement", "data-outdated",
                                         "specialist-agreed"))


def _ivig_safety(ctx: _Ctx, order: DraftOrder, plan: Any) -> None:
    warnings = [a for a in plan.alerts if a.severity == "warning"]
    checks = [a for a in plan.alerts if a.severity == "info" and a.code in _PRECHECKS]
    if not warnings and not checks:
        return
    parts = []
    if warnings:
        parts.append(f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}")
    if checks:
        parts.append("not recorded: " + ", ".join(a.title.split(" not recorded")[0]
                                                 for a in checks))
    lines = [f"- **{a.title}** ({a.severity}): {a.message}" for a in (*checks, *warnings)]
    ctx.card("ivig_safety", order.reference, "IVIG safety checks",
             indicator="warning" if warnings else "info",
             summary="Before signing IVIG: " + "; ".join(parts) + ".",
             detail="\n".join(lines),
             override=c.override_reasons("risk-accepted", "specialist-agreed"))


def _orders(ctx: _Ctx, values: Mapping[str, PrefetchValue]) -> MappingReport | None:
    only = ctx.request.selections if ctx.request.hook == "order-select" else ()
    medications = tuple(r for v in values.values() if v.state == "data" for r in v.resources
                        if r.get("resourceType") == "Medication")
    orders, _ = read_draft_orders(ctx.kb, ctx.request.draft_orders, only,
                                  medications=medications)
    if not orders:
        return None
    kinds = {o.kind for o in orders}
    resources = resolved(values, required_keys(ctx.request.hook, kinds))
    base, report = case_from_resources(resources, ctx.kb, ctx.request.patient_id, ctx.today)
    case = _with_orders(base, orders, ctx.today)
    for order in orders:
        if order.kind != "ivig":
            _dose_limits(ctx, case, order)
        if order.kind == "hcq":
            _hcq(ctx, case, order)
        elif order.kind == "glucocorticoid":
            _glucocorticoid(ctx, case, order)
        elif order.kind == "ivig":
            _ivig(ctx, base, order)
    return report


# --- dose plausibility (engine/doses.py): one card per order that breaks a drug's limits ---
def _frequency_id(kb: KnowledgeBase, per_week: float | None) -> str | None:
    if per_week is None:
        return None
    for row in kb.table("vocabulary", "frequencies", Frequency):
        if abs(row.doses_per_week - per_week) < 0.02:
            return row.id
    return None


def _dose_limits(ctx: _Ctx, case: Case, order: DraftOrder) -> None:
    course = next((x for x in reversed(case.therapies)
                   if x.drug == order.drug and x.outcome == "ongoing"), None)
    if course is None:
        return
    course = dataclasses.replace(course, frequency=_frequency_id(ctx.kb, order.doses_per_week))
    problems = course_problems(
        drug_rows(ctx.kb).get(effective_drug(ctx.kb, course)), course,
        weight_kg=case.patient.weight_kg,
        frequency_labels=ctx.kb.vocabulary("frequency").labels,
        route_labels=ctx.kb.vocabulary("route").labels,
    )
    if not problems:
        return
    alerts = [make_alert(ctx.kb, p.code, p.values) for p in problems]
    severity = {p.severity or a.severity for p, a in zip(problems, alerts, strict=True)}
    indicator = "critical" if "critical" in severity else "warning"
    label = ctx.kb.vocabulary("drug").labels.get(order.drug, order.drug)
    first = problems[0].text
    ctx.card("dose_limits", order.reference, f"{label[:1].upper()}{label[1:]} dose",
             indicator=indicator,
             summary=c.short_summary(first[:1].upper() + first[1:] + "."),
             detail="\n\n".join(a.message for a in alerts),
             override=c.override_reasons("clinical-judgement"))
# --- end dose plausibility ---


def run_hook(
    service_id: str,
    request: HookRequest,
    values: Mapping[str, PrefetchValue],
    kb: KnowledgeBase,
    *,
    today: dt.date,
    settings: HookSettings | None = None,
    patient_link: Callable[[str], str] | None = None,
) -> HookResult:
    """The response of one service to one hook call (pure: reads only its arguments).

    Raises:
        DataUnavailable: a required prefetch key is neither prefetched nor fetched (HTTP 412).
    """
    missing = sorted(k for k, v in values.items() if v.state in ("absent", "outcome"))
    ctx = _Ctx(service_id, request, kb, today, settings or HookSettings(), patient_link, missing)
    if service_id == PATIENT_VIEW:
        resources = resolved(values, required_keys("patient-view", set()))
        case, report = case_from_resources(resources, kb, request.patient_id, today)
        if case.cle:
            _patient_view(ctx, case)
        return ctx.result(report)
    if service_id == ORDERS:
        return ctx.result(_orders(ctx, values))
    raise ValueError(f"unknown service {service_id!r}")
