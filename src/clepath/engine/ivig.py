"""The IVIG plan for a case: the dosing planner fed with what the rest of the core knows.

Gathers from the case what `clepath.dosing` takes as plain values (eGFR by CKD-EPI 2021 from
`clepath.scores.labs`, IgA and anti-IgA status, antiphospholipid antibodies, the CLASI-A
history from `clepath.scores.clasi`), adds the guideline stance on IVIG from
`clepath.engine.options`, runs the planner and returns one report object with the knowledge
versions that produced it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from clepath.domain.case import Case
from clepath.dosing import catalogue
from clepath.dosing.plan import IvigPlan, PlanOptions, plan_ivig
from clepath.dosing.regimen import RegimenOverrides
from clepath.dosing.review import ClasiPoint
from clepath.dosing.safety import SafetyInputs
from clepath.engine.options import guideline_stances
from clepath.knowledge.base import KnowledgeBase
from clepath.scores import clasi as clasi_scores
from clepath.scores import labs

__all__ = ["GUIDELINE_TERM", "IvigPlanReport", "STANCE_PACK", "plan_for_case", "safety_inputs"]

GUIDELINE_TERM = "intravenous immunoglobulin"
STANCE_PACK = "drugs"  # the pack whose sources the guideline stances cite

_APL_TESTS = ("lupus_anticoagulant", "anticardiolipin", "anti_b2gp1")
_RECORDED_TESTS = ("creatinine", "egfr", "haemoglobin", "iga", "anti_iga", *_APL_TESTS)


@dataclass(frozen=True)
class IvigPlanReport:
    """An IVIG plan with its context: eGFR, CLASI summary, guideline stance, pack versions."""

    plan: IvigPlan
    inputs: SafetyInputs
    egfr: labs.EgfrResult | None
    clasi: clasi_scores.ClasiSummary | None
    guideline_stances: tuple[Any, ...]
    knowledge: dict[str, str]
    parameters: dict[str, dict[str, Any]]
    citations: dict[str, dict[str, str]]
    stance_citations: dict[str, dict[str, str]]

    @property
    def blocked(self) -> bool:
        """True when a hard stop or the review rule blocks the plan as written."""
        return self.plan.blocked


def _iga_deficient(case: Case, kb: KnowledgeBase) -> bool | None:
    result = labs.latest(case, "iga")
    if result is None:
        return None
    limit = float(catalogue.param(kb, "iga_deficiency_below_g_l"))
    below = labs.below(result, limit, "g/L")
    if below is not None:
        return below
    return True if result.result == "low" else None


def _positive(case: Case, test: str) -> bool | None:
    result = labs.latest(case, test)
    return labs.is_high(result) if result is not None else None


def _antiphospholipid(case: Case) -> bool | None:
    found = [_positive(case, test) for test in _APL_TESTS]
    if any(f is True for f in found):
        return True
    return False if any(f is False for f in found) else None


def safety_inputs(
    case: Case, kb: KnowledgeBase, egfr: labs.EgfrResult | None = None
) -> SafetyInputs:
    """The lab-derived facts the IVIG safety gate needs (None: not recorded)."""
    recorded: dict[str, dt.date] = {}
    for test in _RECORDED_TESTS:
        result = labs.latest(case, test)
        if result is not None:
            recorded[test] = result.date
    if egfr is not None:
        recorded["egfr"] = egfr.date
    return SafetyInputs(
        egfr=egfr.value if egfr is not None else None,
        egfr_date=egfr.date if egfr is not None else None,
        egfr_method=egfr.method if egfr is not None else None,
        iga_deficient=_iga_deficient(case, kb),
        anti_iga_positive=_positive(case, "anti_iga"),
        antiphospholipid_positive=_antiphospholipid(case),
        recorded_tests=recorded,
    )


def _parameters(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, row in sorted(kb.parameters().items()):
        if key.startswith(f"{catalogue.PACK}."):
            out[key] = {
                "value": kb.value(key),
                "unit": row.unit,
                "unconfirmed_default": kb.is_default_unconfirmed(key),
                "overridden": key in kb.overrides,
            }
    return out


def _citations(kb: KnowledgeBase) -> dict[str, dict[str, str]]:
    """Every source of the `ivig` pack, by id, ready to print."""
    ids = [s.id for s in kb.pack(catalogue.PACK).manifest.sources]
    return {item["id"]: item for item in kb.cite(catalogue.PACK, ids)}


def _stance_citations(kb: KnowledgeBase, stances: tuple[Any, ...]) -> dict[str, dict[str, str]]:
    """Citations of the stances' sources (ids of the `drugs` pack), by id."""
    ids = sorted({s.source for s in stances if isinstance(getattr(s, "source", None), str)})
    if not ids or STANCE_PACK not in kb.packs:
        return {}
    return {item["id"]: item for item in kb.cite(STANCE_PACK, ids)}


def plan_for_case(
    case: Case,
    kb: KnowledgeBase,
    *,
    product: str | None = None,
    policy: str | None = None,
    preset: str | None = None,
    induction_dose_g_per_kg: float | None = None,
    induction_days: int | None = None,
    maintenance_dose_g_per_kg: float | None = None,
    maintenance_every_days: int | None = None,
    maintenance_cycles: int | None = None,
    start: dt.date | None = None,
    rounding_step_g: float | None = None,
) -> IvigPlanReport:
    """Plan IVIG for a case; keyword arguments override the case's `requests.ivig`.

    Raises CaseError for an invalid request or option, DosingError when no plan can be made.
    """
    egfr = labs.egfr(case, kb)
    summary = clasi_scores.summarise(case, kb)
    history = tuple(ClasiPoint(s.date, s.activity) for s in summary.history) if summary else ()
    inputs = safety_inputs(case, kb, egfr)
    options = PlanOptions(
        policy=policy,
        product=product,
        preset=preset,
        regimen=RegimenOverrides(
            induction_dose_g_per_kg=induction_dose_g_per_kg,
            induction_days=induction_days,
            maintenance_dose_g_per_kg=maintenance_dose_g_per_kg,
            maintenance_every_days=maintenance_every_days,
            maintenance_cycles=maintenance_cycles,
        ),
        start=start,
        rounding_step_g=rounding_step_g,
    )
    plan = plan_ivig(case, kb, inputs=inputs, clasi_history=history, options=options)
    stances = tuple(guideline_stances(kb, GUIDELINE_TERM))
    return IvigPlanReport(
        plan=plan,
        inputs=inputs,
        egfr=egfr,
        clasi=summary,
        guideline_stances=stances,
        knowledge=kb.versions(),
        parameters=_parameters(kb),
        citations=_citations(kb),
        stance_citations=_stance_citations(kb, stances),
    )
