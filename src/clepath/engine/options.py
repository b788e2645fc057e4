"""Next treatment options, their cautions, and the general measures of every assessment.

The options list walks the `pathway` pack's candidate agents in ladder order (topical, then
antimalarials, then second line, then agents reserved for refractory disease, then
off-guideline and investigational agents). Each agent gets a status:

* `ongoing` - taken now (a contraindication still overrides it);
* `failed` - failed or not tolerated: never offered again as a new start;
* `contraindicated` - recorded so, or a caution rule turns it (pregnancy with a teratogen,
  methotrexate with eGFR below 30);
* otherwise the candidate's own status, lowered to `not_recommended` for agents reserved for
  refractory disease (thalidomide, lenalidomide) while the patient is not refractory, and for
  SLE-licensed biologics (anifrolumab, belimumab) when no SLE feature is recorded.

Every option carries each guideline's stance with its wording (the `drugs` pack), a one-sentence
evidence summary, the cautions that apply to this patient (the `pathway` pack's rules and the
`evidence` pack's counted safety signals) and the sources. IVIG is `not_recommended`
(off-guideline): the seed report (Singh 2020) states that the S2k guideline does not suggest it
for CLE because of flares in case reports, and the evidence is conflicting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clepath.domain.case import Case
from clepath.domain.display import fmt, fmt_plain, fmt_value
from clepath.engine.refractory import RefractoryResult
from clepath.engine.therapy import (
    FAILURE_OUTCOMES,
    CourseReview,
    TherapyReview,
    drug_rows,
    trigger_class_of,
)
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.common import Term
from clepath.knowledge.models.drugs import Drug, TriggerClass
from clepath.knowledge.models.evidence import SafetySignal
from clepath.knowledge.models.pathway import CautionRule, GeneralMeasure, OptionCandidate

__all__ = [
    "Caution",
    "Measure",
    "Option",
    "OptionContext",
    "Stance",
    "general_measures",
    "guideline_stances",
    "propose_options",
]


@dataclass(frozen=True)
class OptionContext:
    """What the options depend on besides the therapy history (built by the assessment)."""

    pregnant: bool | None
    leukopenia: bool | None
    wbc_10e9_per_l: float | None
    neutropenia: bool | None
    anti_ro_positive: bool | None
    smoking: str | None
    hcq_mg_per_kg: float | None
    egfr: float | None
    subtypes: tuple[str, ...]
    sle_features: bool


@dataclass(frozen=True)
class Stance:
    """One guideline's position on an agent; `source` is a source id of the `drugs` pack."""

    guideline: str
    stance: str
    line: str | None
    wording: str
    tag: str | None
    source: str


@dataclass(frozen=True)
class Caution:
    """A caution for this patient; `source` is a source id (pathway, evidence or drugs pack)."""

    code: str
    severity: str  # info | warning | critical
    message: str
    source: str | None


@dataclass(frozen=True)
class Option:
    """One agent in the options list, with its status and why."""

    agent: str
    label: str
    status: str  # recommended|consider|not_recommended|contraindicated|failed|ongoing
    line: str | None
    stances: tuple[Stance, ...]
    evidence: str
    cautions: tuple[Caution, ...]
    sources: tuple[dict[str, str], ...]
    rationale: str
    line_label: str | None = None


@dataclass(frozen=True)
class Measure:
    """A general measure given with every assessment."""

    id: str
    label: str
    text: str
    sources: tuple[dict[str, str], ...]


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "not recorded"


def _fill(template: str, values: dict[str, str]) -> str:
    return " ".join(template.format_map(_Defaults(values)).split())


_STANCES: dict[tuple[int, int], tuple[Drug, tuple[Stance, ...]]] = {}


def _guideline_labels(kb: KnowledgeBase) -> dict[str, str]:
    return {row.id: row.label for row in kb.table("drugs", "guidelines", Term)}


def guideline_stances(kb: KnowledgeBase, agent: str) -> tuple[Stance, ...]:
    """Each guideline's stance on one agent (drug id), with its wording, tag and source id.

    Args:
        kb: the knowledge base (`drugs` pack).
        agent: a canonical drug id, e.g. "intravenous immunoglobulin".

    Returns:
        The stances in the pack's order; empty for an agent without a drug row.
    """
    row = drug_rows(kb).get(agent)
    if row is None:
        return ()
    key = (id(row), id(kb.table("drugs", "guidelines", Term)))
    cached = _STANCES.get(key)
    if cached is not None and cached[0] is row:
        return cached[1]
    labels = _guideline_labels(kb)
    stances = tuple(
        Stance(
            guideline=labels.get(s.guideline, s.guideline),
            stance=s.stance,
            line=s.line,
            wording=" ".join(s.wording.split()),
            tag=s.tag,
            source=s.source,
        )
        for s in row.stances
    )
    if len(_STANCES) > 512:
        _STANCES.clear()
    _STANCES[key] = (row, stances)
    return stances


def _applies(rule: CautionRule, row: Drug) -> bool:
    return row.id in rule.agents or row.kind in rule.kinds or (rule.teratogens and row.teratogen)


def _subtype_match(prefixes: tuple[str, ...], subtypes: tuple[str, ...]) -> bool:
    return any(s.upper().startswith(p.upper()) for s in subtypes for p in prefixes)


def _condition(
    rule: CautionRule,
    row: Drug,
    case: Case,
    therapy: TherapyReview,
    ctx: OptionContext,
    courses: tuple[CourseReview, ...],
) -> dict[str, str] | None:
    """The template values when the rule's condition holds for this agent, else None."""
    values = {"agent": row.label}
    when = rule.when
    if when == "always":
        return values
    if when == "pregnant":
        return values if ctx.pregnant is True else None
    if when == "pregnancy_not_recorded":
        return values if ctx.pregnant is None and case.patient.sex != "male" else None
    if when == "leukopenia":
        if ctx.leukopenia is not True:
            return None
        wbc = ctx.wbc_10e9_per_l
        values["wbc_text"] = f"WBC {fmt(wbc, 'cells')}" if wbc is not None else "low WBC reported"
        return values
    if when == "neutropenia":
        return values if ctx.neutropenia is True else None
    if when == "anti_ro_positive":
        return values if ctx.anti_ro_positive is True else None
    if when == "smoking_current":
        return values if ctx.smoking == "current" else None
    if when == "hcq_above_max":
        maximum = row.maximum.mg_per_kg_per_day if row.maximum else None
        if ctx.hcq_mg_per_kg is None or maximum is None or ctx.hcq_mg_per_kg <= maximum:
            return None
        return {**values, "mg_per_kg": fmt_value(ctx.hcq_mg_per_kg, "mg_per_kg"),
                "max_mg_per_kg": fmt_plain(maximum)}
    if when == "dose_above_max":
        over = [c for c in courses if c.outcome == "ongoing" and c.above_max]
        if not over or over[-1].dose_mg_per_kg is None or over[-1].max_mg_per_kg is None:
            return None
        return {**values, "mg_per_kg": fmt_value(over[-1].dose_mg_per_kg, "mg_per_kg"),
                "max_mg_per_kg": fmt_plain(over[-1].max_mg_per_kg)}
    if when == "egfr_below":
        if ctx.egfr is None or rule.threshold is None or ctx.egfr >= rule.threshold:
            return None
        return {**values, "egfr": fmt_value(ctx.egfr, "egfr"),
                "threshold": fmt_plain(rule.threshold)}
    if when == "subtype":
        return values if _subtype_match(rule.subtypes, ctx.subtypes) else None
    if when == "no_sle_features":
        return values if not ctx.sle_features else None
    if when == "agent_ongoing":
        current = [a for a in rule.with_agents if a in therapy.current_agents]
        if not current:
            return None
        return {**values, "with_agent": _labels(therapy, current)}
    return None


def _labels(therapy: TherapyReview, drugs: list[str]) -> str:
    names = {c.drug: c.label for c in therapy.courses}
    text = ", ".join(names.get(d, d) for d in drugs)
    return text[:1].upper() + text[1:]


def _signal_caution(signal: SafetySignal) -> Caution:
    values: dict[str, str] = {}
    if signal.numerator is not None:
        values["numerator"] = str(signal.numerator)
    if signal.numerator is not None and signal.denominator is not None:
        values["fraction"] = f"{signal.numerator} of {signal.denominator}"
        values["percent"] = fmt(100 * signal.numerator / signal.denominator, "percent_1")
    return Caution(signal.id, signal.severity, _fill(signal.text, values), signal.source[0])


def _cautions(
    kb: KnowledgeBase,
    row: Drug,
    case: Case,
    therapy: TherapyReview,
    ctx: OptionContext,
    courses: tuple[CourseReview, ...],
) -> tuple[list[tuple[Caution, str]], bool]:
    """The cautions that apply, each with the pack its source belongs to, and whether one of
    them makes the agent contraindicated."""
    cautions: list[tuple[Caution, str]] = []
    contraindicated = False
    rules, signals = kb.derived(("options.cautions_of", row.id), lambda k: _caution_rows(k, row))
    for rule in rules:
        values = _condition(rule, row, case, therapy, ctx, courses)
        if values is None:
            continue
        if len(values) == 1:
            # Only the agent's name: the caution is the same for every patient (made once).
            caution = kb.derived(("options.caution", rule.id, row.id),
                                 lambda k, rule=rule, values=values: _caution(rule, values))
        else:
            caution = _caution(rule, values)
        cautions.append((caution, "pathway"))
        contraindicated = contraindicated or rule.makes_contraindicated
    cautions += [(caution, "evidence") for caution in signals]
    return cautions, contraindicated


def _caution(rule: CautionRule, values: dict[str, str]) -> Caution:
    return Caution(rule.id, rule.severity, _fill(rule.message, values), rule.source[0])


def _caution_rows(
    kb: KnowledgeBase, row: Drug
) -> tuple[tuple[CautionRule, ...], tuple[Caution, ...]]:
    """The caution rules and the safety signals (as cautions: they depend on no patient fact)
    that concern one agent, in the packs' order."""
    rules = tuple(r for r in kb.table("pathway", "cautions", CautionRule) if _applies(r, row))
    signals = tuple(_signal_caution(s) for s in kb.table("evidence", "signals", SafetySignal)
                    if s.agent == row.id)
    return rules, signals


def _history_status(
    therapy: TherapyReview,
    agent: str,
    same_moiety: tuple[str, ...] = (),
    courses: tuple[CourseReview, ...] | None = None,
) -> tuple[str | None, str]:
    if courses is None:
        courses = therapy.courses_of(agent)
    if agent in therapy.current_agents:
        return "ongoing", "Currently taken."
    failed = [c for c in courses if c.outcome in FAILURE_OUTCOMES]
    for other in same_moiety:
        # Another formulation of the same active drug that did not work counts as this one;
        # one stopped for intolerance does not (a formulation switch can be tolerated).
        relative = [c for c in therapy.courses_of(other) if c.outcome == "failed"]
        if relative and not failed:
            extra = (" Its failure was reported without dates, so whether the trial was adequate "
                     "is undocumented.") if relative[-1].adequacy == "undocumented" else ""
            return "failed", (
                f"Same active drug as {relative[-1].label}, which failed: not offered again as "
                f"a new start.{extra}"
            )
    if failed:
        last = failed[-1]
        word = "not tolerated" if last.outcome == "intolerant" else "failed"
        extra = (" The failure was reported without dates, so whether the trial was adequate "
                 "is undocumented.") if last.adequacy == "undocumented" else ""
        return "failed", f"Already {word}: not offered again as a new start.{extra}"
    if any(c.outcome == "contraindicated" for c in courses):
        return "contraindicated", "Recorded as contraindicated in the history."
    return None, ""


def _line_labels(kb: KnowledgeBase) -> dict[str, str]:
    """Display labels of the treatment-line ids (pathway pack; do not modify)."""
    return kb.derived(
        "options.line_labels", lambda k: {t.id: t.label for t in k.table("pathway", "lines", Term)}
    )


def _same_moiety(kb: KnowledgeBase, row: Drug) -> tuple[str, ...]:
    """Other agents of the drug pack with the same active moiety (e.g. MMF and EC-MPS)."""
    if row.active_moiety is None:
        return ()
    return kb.derived(
        ("options.same_moiety", row.id),
        lambda k: tuple(
            d.id
            for d in k.table("drugs", "drugs", Drug)
            if d.active_moiety == row.active_moiety and d.id != row.id
        ),
    )


def _base_status(
    cand: OptionCandidate, refractory: RefractoryResult, ctx: OptionContext
) -> tuple[str, str]:
    if cand.requires_refractory and refractory.status is not True:
        state = "not established" if refractory.status is None else "not met"
        return cand.status_if_not_refractory or "not_recommended", (
            f"Reserved for refractory disease (refractory status {state})."
        )
    if cand.requires_sle_features and not ctx.sle_features:
        return cand.status_without_sle_features or "not_recommended", (
            "Guideline support is for skin disease within SLE; no SLE features recorded."
        )
    return cand.status, ""


def _sources(kb: KnowledgeBase, pack_ids: Iterable[tuple[str, str]]) -> tuple[dict[str, str], ...]:
    seen: dict[str, str] = {}  # source id -> the pack it is first cited from
    for pack, source_id in pack_ids:
        if source_id not in seen:
            seen[source_id] = pack
    return tuple(kb.citation(pack, source_id) for source_id, pack in seen.items())


def _words(text: str | None) -> str:
    """Text with its runs of white space made single spaces (pack prose is wrapped)."""
    return " ".join((text or "").split())


def _option(
    kb: KnowledgeBase,
    cand: OptionCandidate,
    row: Drug,
    case: Case,
    therapy: TherapyReview,
    refractory: RefractoryResult,
    ctx: OptionContext,
    by_drug: dict[str, tuple[CourseReview, ...]],
) -> Option:
    courses = by_drug.get(row.id, ())
    found, hard_stop = _cautions(kb, row, case, therapy, ctx, courses)
    same_moiety = _same_moiety(kb, row)
    status, why = _history_status(therapy, row.id, same_moiety, courses)
    if status == "failed":
        # A failed agent is not offered again: keep only the cautions that explain or warn.
        found = [(c, pack) for c, pack in found if c.severity != "info"]
    cautions = [c for c, _ in found]
    if hard_stop and status != "failed":
        critical = [c.message for c in cautions if c.severity == "critical"]
        why = " ".join([*critical, why]).strip()
        status = "contraindicated"
    elif status is None:
        status, why = _base_status(cand, refractory, ctx)
    static = kb.derived(("options.static", cand.agent, cand.order),
                        lambda k: _static(k, cand, row))
    rationale = " ".join(" ".join([why, cand.rationale]).split()) if why else static.rationale
    seen = dict(static.cited)  # the stances' sources, then the candidate's
    for c, pack in found:
        if c.source and c.source not in seen:
            seen[c.source] = pack
    return Option(
        agent=row.id,
        label=row.label,
        status=status,
        line=row.line,
        line_label=static.line_label,
        stances=static.stances,
        evidence=static.evidence,
        cautions=tuple(cautions),
        sources=tuple(kb.citation(pack, source_id) for source_id, pack in seen.items()),
        rationale=rationale,
    )


@dataclass(frozen=True)
class _Static:
    """What an option takes from the packs alone (made once per loaded base and candidate)."""

    stances: tuple[Stance, ...]
    evidence: str
    line_label: str | None
    rationale: str  # the candidate's, when the history adds no reason
    cited: dict[str, str]  # source id -> pack, in citing order (copied before use)


def _static(kb: KnowledgeBase, cand: OptionCandidate, row: Drug) -> _Static:
    stances = guideline_stances(kb, row.id)
    cited = [("drugs", s.source) for s in stances] + [("pathway", s) for s in cand.source]
    seen: dict[str, str] = {}
    for pack, source_id in cited:
        if source_id not in seen:
            seen[source_id] = pack
    return _Static(
        stances=stances,
        evidence=_words(row.evidence),
        line_label=_line_labels(kb).get(row.line, row.line),
        rationale=" ".join(" ".join(["", cand.rationale]).split()),
        cited=seen,
    )


def propose_options(
    case: Case,
    kb: KnowledgeBase,
    therapy: TherapyReview,
    refractory: RefractoryResult,
    context: OptionContext,
) -> tuple[Option, ...]:
    """Every candidate agent in ladder order with its status, stances, evidence and cautions.

    Args:
        case: the case.
        kb: the knowledge base (`drugs`, `pathway` and `evidence` packs).
        therapy: the reviewed therapy history (failed and current agents, doses per kg).
        refractory: the refractory assessment (gates thalidomide and lenalidomide).
        context: the patient facts the cautions depend on.

    Returns:
        One option per candidate of the `pathway` pack, in ladder order.
    """
    rows = drug_rows(kb)
    candidates = kb.derived(
        "options.candidates",
        lambda k: tuple(sorted(k.table("pathway", "candidates", OptionCandidate),
                               key=lambda c: c.order)),
    )
    by_drug: dict[str, list[CourseReview]] = {}
    for course in therapy.courses:
        by_drug.setdefault(course.drug, []).append(course)
    courses = {drug: tuple(found) for drug, found in by_drug.items()}
    return tuple(
        _option(kb, cand, rows[cand.agent], case, therapy, refractory, context, courses)
        for cand in candidates
        if cand.agent in rows
    )


def _trigger_text(kb: KnowledgeBase, therapy: TherapyReview) -> tuple[list[str], list[str]]:
    classes = {row.id: row for row in kb.table("drugs", "trigger_classes", TriggerClass)}
    names = {c.drug: c.label for c in therapy.courses}
    found: list[str] = []
    sources: list[str] = []
    for drug in therapy.current_agents:
        class_id = trigger_class_of(kb, drug)
        if class_id is None or class_id not in classes:
            continue
        trigger = classes[class_id]
        label = names.get(drug, drug)
        found.append(label if trigger.label == label else f"{label} ({trigger.label})")
        sources.extend(trigger.source)
    return found, sources


def general_measures(case: Case, kb: KnowledgeBase, therapy: TherapyReview) -> tuple[Measure, ...]:
    """Sun protection, smoking cessation and the drug-trigger review, for every assessment.

    Args:
        case: the case (smoking status).
        kb: the knowledge base (`pathway` and `drugs` packs).
        therapy: the reviewed therapy history (current drugs).

    Returns:
        The measures in the pack's order, worded for this patient.
    """
    measures: list[Measure] = []
    for row in sorted(kb.table("pathway", "measures", GeneralMeasure), key=lambda m: m.order):
        cited = [("pathway", s) for s in row.source]
        if row.id == "smoking_cessation":
            smoking = case.patient.smoking
            text = row.texts.get(smoking or "unknown", row.texts["unknown"])
        elif row.id == "drug_trigger_review":
            found, trigger_sources = _trigger_text(kb, therapy)
            key = "found" if found else "none"
            text = _fill(row.texts[key], {"drugs": "; ".join(found)})
            cited += [("drugs", s) for s in trigger_sources]
        else:
            text = row.texts.get("default", next(iter(row.texts.values())))
        measures.append(Measure(row.id, row.label, " ".join(text.split()), _sources(kb, cited)))
    return tuple(measures)
