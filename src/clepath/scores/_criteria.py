"""Reading instrument criteria against a case: the findings, labs, CLASI examinations and CLE
subtypes that satisfy a criterion's routes in the `findings` pack model (shared by SLEDAI-2K,
EULAR/ACR 2019 and SLICC 2012).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clepath.domain.case import Case, ClasiExam, CleEntry, Finding, LabResult
from clepath.domain.display import fmt_plain, fmt_quantity
from clepath.domain.units import UnitProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.clasi import ClasiItem, ClasiRegion
from clepath.knowledge.models.findings import (
    CLASI_REGION_ITEMS,
    CleSubtypeRule,
    Condition,
    FindingTerm,
    Route,
)
from clepath.scores import labs
from clepath.scores.labs import findings_named

__all__ = ["CriterionCheck", "Provenance", "check_routes", "cle_matches", "unmapped_cle_notes"]


@dataclass(frozen=True)
class Provenance:
    """Which recorded observation satisfied (part of) a criterion.

    `kind` is `finding`, `lab` or `clasi`; `item` the finding id, the lab test id or the CLASI
    item (`erythema`, `mucous_membrane`, ...); `detail` the evidence as shown to a person.
    """

    kind: str
    item: str
    date: dt.date
    detail: str


@dataclass(frozen=True)
class CriterionCheck:
    """Whether a criterion's routes are met in a window, with the evidence and the gaps.

    `attributed` and `unjudged` are filled only when the criterion is not met: observations
    that would have satisfied it but have another recorded cause, and observations that could
    not be compared (no number, no range, no joint count). `recorded` is True when any
    observation the criterion reads exists in the window; `judged` when at least one of them
    could be compared.
    """

    met: bool
    date: dt.date | None
    evidence: str | None
    attributed: tuple[str, ...]
    unjudged: tuple[str, ...]
    recorded: bool
    judged: bool
    provenance: tuple[Provenance, ...] = ()  # of the met route, one per condition
    unused: tuple[str, ...] = ()  # recorded, but read only by a route switched off in the pack


@dataclass(frozen=True)
class _Hit:
    date: dt.date
    evidence: str
    attributed_to: str | None
    source: Provenance


@dataclass(frozen=True)
class _Reading:
    hits: tuple[_Hit, ...]
    unjudged: tuple[str, ...]
    recorded: bool
    judged: bool
    seen: tuple[str, ...] = ()  # every observation read, as shown to a person (if asked for)


def check_routes(
    case: Case,
    kb: KnowledgeBase,
    pack: str,
    routes: Sequence[Route],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> CriterionCheck:
    """Check a criterion's routes (any route; all conditions of a route) within [start, end].

    Nothing dated after `case.as_of` is read. Parameters named by a condition are looked up in
    `pack`. The evidence of a met criterion is that of the route completed most recently.
    Observations read only by a route switched off in the pack are listed in `unused`
    ("recorded, not used (<the condition's disabled_note>)").
    """
    last = case.as_of if end is None else min(end, case.as_of)
    best: tuple[dt.date, str, tuple[Provenance, ...]] | None = None
    attributed: list[str] = []
    unjudged: list[str] = []
    unused: list[str] = []
    recorded = judged = False
    for route in routes:
        if not _route_enabled(kb, pack, route):
            unused.extend(_unused(case, kb, pack, route, start, last))
            continue
        readings = [_read(case, kb, pack, c, start, last) for c in route]
        for r in readings:
            if r is not _NOTHING:
                break
        else:
            continue  # nothing of the route's kinds is recorded: it adds nothing below
        recorded = recorded or any(r.recorded for r in readings)
        judged = judged or any(r.judged for r in readings)
        unjudged.extend(u for r in readings for u in r.unjudged)
        clean = [[h for h in r.hits if h.attributed_to is None] for r in readings]
        if all(clean):
            picks = [max(hits, key=lambda h: h.date) for hits in clean]
            done = max(p.date for p in picks)
            if best is None or done > best[0]:
                best = (done, " + ".join(p.evidence for p in picks), tuple(p.source for p in picks))
        elif all(r.hits for r in readings):
            attributed.extend(
                f"attributed to {h.attributed_to} ({h.evidence})"
                for r in readings
                for h in r.hits
                if h.attributed_to is not None
            )
    if best is None and not (recorded or judged or attributed or unjudged or unused):
        return _NOT_RECORDED
    met = best is not None
    return CriterionCheck(
        met=met,
        date=best[0] if best else None,
        evidence=best[1] if best else None,
        attributed=() if met else _unique(attributed),
        unjudged=() if met else _unique(unjudged),
        recorded=recorded,
        judged=judged,
        provenance=best[2] if best else (),
        unused=() if met else _unique(unused),
    )


# Nothing any route reads is recorded (the most common answer; immutable, so shared).
_NOT_RECORDED = CriterionCheck(
    met=False, date=None, evidence=None, attributed=(), unjudged=(), recorded=False,
    judged=False, provenance=(), unused=(),
)


def _route_enabled(kb: KnowledgeBase, pack: str, route: Route) -> bool:
    for condition in route:
        if condition.enabled_by is not None and kb.value(
                f"{pack}.{condition.enabled_by}") is not True:
            return False
    return True


def _unused(
    case: Case,
    kb: KnowledgeBase,
    pack: str,
    route: Route,
    start: dt.date | None,
    end: dt.date,
) -> list[str]:
    """What a switched-off route would have read: "<observation>: recorded, not used (<why>)"."""
    out: list[str] = []
    for condition in route:
        if _enabled(kb, pack, condition):
            continue
        why = condition.disabled_note or f"option {condition.enabled_by} is off"
        reading = _read(case, kb, pack, condition, start, end, seen=True)
        out.extend(f"{text}: recorded, not used ({why})" for text in reading.seen)
    return out


def cle_matches(
    case: Case, rules: Iterable[CleSubtypeRule], criterion: str
) -> tuple[tuple[CleEntry, CleSubtypeRule], ...]:
    """The case's CLE entries (present by as_of) whose subtype maps to `criterion`."""
    if not case.cle:
        return ()
    by_subtype = _by_subtype(rules)
    found: list[tuple[CleEntry, CleSubtypeRule]] = []
    for entry in case.cle:
        rule = by_subtype.get(entry.subtype)
        if rule is None or rule.criterion != criterion:
            continue
        if entry.since is not None and entry.since.earliest > case.as_of:
            continue
        found.append((entry, rule))
    return tuple(found)


# The subtype rules of a table by subtype, for the tuple the key is the id of (the tuple is
# kept beside its index, so an id is never matched to another tuple).
_BY_SUBTYPE: dict[int, tuple[object, dict[str, CleSubtypeRule]]] = {}


def _by_subtype(rules: Iterable[CleSubtypeRule]) -> dict[str, CleSubtypeRule]:
    if not isinstance(rules, tuple):
        return {rule.subtype: rule for rule in rules}
    entry = _BY_SUBTYPE.get(id(rules))
    if entry is not None and entry[0] is rules:
        return entry[1]
    index = {rule.subtype: rule for rule in rules}
    if len(_BY_SUBTYPE) >= 32:
        _BY_SUBTYPE.clear()
    _BY_SUBTYPE[id(rules)] = (rules, index)
    return index


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _enabled(kb: KnowledgeBase, pack: str, condition: Condition) -> bool:
    return condition.enabled_by is None or kb.value(f"{pack}.{condition.enabled_by}") is True


def _read(
    case: Case,
    kb: KnowledgeBase,
    pack: str,
    condition: Condition,
    start: dt.date | None,
    end: dt.date,
    *,
    seen: bool = False,
) -> _Reading:
    """What one condition reads in [start, end]; `seen` (the texts of every observation read)
    is filled only when asked for, since only a switched-off route reports it."""
    if condition.finding is not None:
        if not findings_named(case, condition.finding):
            return _NOTHING
        return _read_findings(case, kb, pack, condition, start, end, seen)
    if condition.clasi is not None:
        if not case.clasi:
            return _NOTHING
        return _read_clasi(case, kb, condition, start, end)
    assert condition.lab is not None
    if not labs.any_results(case, condition.lab):
        return _NOTHING
    return _read_labs(case, kb, pack, condition, start, end, seen)


_NOTHING = _Reading((), (), recorded=False, judged=False)  # no observation of the kind at all


def _threshold(kb: KnowledgeBase, pack: str, condition: Condition) -> tuple[float, str | None]:
    if condition.threshold_parameter is not None:
        param = kb.parameter(f"{pack}.{condition.threshold_parameter}")
        return float(kb.value(f"{pack}.{condition.threshold_parameter}")), param.unit
    assert condition.threshold is not None  # guaranteed by Condition's validator
    return condition.threshold, condition.unit


def _with_note(text: str, condition: Condition) -> str:
    return f"{text} ({condition.evidence_note})" if condition.evidence_note else text


# findings


def _read_findings(
    case: Case,
    kb: KnowledgeBase,
    pack: str,
    condition: Condition,
    start: dt.date | None,
    end: dt.date,
    want_seen: bool = False,
) -> _Reading:
    hits: list[_Hit] = []
    unjudged: list[str] = []
    assert condition.finding is not None
    found = [
        f
        for f in findings_named(case, condition.finding)
        if f.date <= end and (start is None or f.date >= start)
    ]
    for finding in found:
        if condition.compare == "present":
            verdict: bool | None = True
        else:
            verdict = _finding_verdict(kb, pack, condition, finding)
        if verdict is False:
            continue
        text = _finding_text(kb, finding)
        if verdict is None:
            limit, unit = _threshold(kb, pack, condition)
            unjudged.append(f"{text}: no value to compare with {fmt_plain(limit)} "
                            f"{_unit_word(unit)}")
        elif verdict:
            evidence = _with_note(text, condition)
            source = Provenance("finding", finding.name, finding.date, evidence)
            hits.append(_Hit(finding.date, evidence, finding.attributed_to, source))
    judged = len(unjudged) < len(found)
    seen = tuple(_finding_text(kb, f) for f in found) if want_seen else ()
    return _Reading(tuple(hits), tuple(unjudged), bool(found), judged, seen)


def _finding_verdict(
    kb: KnowledgeBase, pack: str, condition: Condition, finding: Finding
) -> bool | None:
    limit, unit = _threshold(kb, pack, condition)
    measured = _finding_value(finding, unit)
    if measured is None:
        return None
    if condition.compare == "above":
        return measured > limit
    return measured >= limit


def _finding_value(finding: Finding, unit: str | None) -> float | None:
    quantity = finding.value
    if quantity is None:
        return None
    if unit is None or unit.startswith("{") or unit == "1":
        return quantity.value if quantity.unit == "1" else None
    try:
        return round(quantity.to(unit), 9)
    except UnitProblem:
        return None


def _unit_word(unit: str | None) -> str:
    if unit is None or unit == "1":
        return ""
    return unit.strip("{}")


def _finding_text(kb: KnowledgeBase, finding: Finding) -> str:
    shown = finding.name
    if finding.value is not None:
        shown += f" {_quantity_text(kb, finding)}"
    return f"{shown} on {finding.date.isoformat()}"


def _quantity_text(kb: KnowledgeBase, finding: Finding) -> str:
    quantity = finding.value
    assert quantity is not None
    if quantity.unit != "1":
        return fmt_quantity(quantity.value, quantity.unit)
    unit = None
    for term in kb.table("findings", "findings", FindingTerm):
        if term.id == finding.name:
            unit = term.value_unit
    return f"{fmt_plain(quantity.value)} {_unit_word(unit)}".rstrip()


# CLASI examinations


def _read_clasi(
    case: Case,
    kb: KnowledgeBase,
    condition: Condition,
    start: dt.date | None,
    end: dt.date,
) -> _Reading:
    """Examinations in the window whose item named by `condition` scores above 0."""
    item = condition.clasi
    assert item is not None
    exams = [e for e in case.clasi if e.date <= end and (start is None or e.date >= start)]
    hits: list[_Hit] = []
    for exam in sorted(exams, key=lambda e: e.date):
        shown = _clasi_item_text(kb, exam, item)
        if shown is None:
            continue
        evidence = _with_note(f"CLASI examination on {exam.date.isoformat()}: {shown}", condition)
        source = Provenance("clasi", item, exam.date, evidence)
        hits.append(_Hit(exam.date, evidence, None, source))
    # An examination scoring the item 0 records its absence: recorded, but nothing to report
    # as unused.
    seen = tuple(h.evidence for h in hits)
    return _Reading(tuple(hits), (), bool(exams), bool(exams), seen)


def _clasi_item_text(kb: KnowledgeBase, exam: ClasiExam, item: str) -> str | None:
    """`erythema 3 (Nose (incl. malar area)), 1 (Arms)` or `mucous membrane lesions 1`; None
    when the item scores 0 everywhere."""
    label = _clasi_item_label(kb, item)
    if item in CLASI_REGION_ITEMS:
        names = {r.id: r.label for r in kb.table("clasi", "regions", ClasiRegion)}
        scored = [
            f"{getattr(score, item)} ({names.get(region, region)})"
            for region, score in exam.regions
            if getattr(score, item) > 0
        ]
        return f"{label} " + ", ".join(scored) if scored else None
    value = getattr(exam, item)
    return f"{label} {value}" if value > 0 else None


def _clasi_item_label(kb: KnowledgeBase, item: str) -> str:
    for row in kb.table("clasi", "items", ClasiItem):
        if row.id == item:
            return row.label.split(" (")[0].lower()
    return item.replace("_", " ")


# labs


def _read_labs(
    case: Case,
    kb: KnowledgeBase,
    pack: str,
    condition: Condition,
    start: dt.date | None,
    end: dt.date,
    want_seen: bool = False,
) -> _Reading:
    assert condition.lab is not None
    found = labs.results(case, condition.lab, start=start, end=end)
    hits: list[_Hit] = []
    unjudged: list[str] = []
    for result in found:
        verdict = _lab_verdict(kb, pack, condition, result)
        if verdict is False:
            continue
        text = _lab_text(result, condition)
        if verdict is None:
            unjudged.append(f"{text}: {_why_unjudged(kb, pack, condition)}")
        elif verdict:
            evidence = _with_note(text, condition)
            source = Provenance("lab", result.test, result.date, evidence)
            hits.append(_Hit(result.date, evidence, result.attributed_to, source))
    judged = len(unjudged) < len(found)
    seen = tuple(_lab_text(r, condition) for r in found) if want_seen else ()
    return _Reading(tuple(hits), tuple(unjudged), bool(found), judged, seen)


def _lab_verdict(
    kb: KnowledgeBase, pack: str, condition: Condition, result: LabResult
) -> bool | None:
    compare = condition.compare
    if compare == "low":
        return labs.is_low(result)
    if compare == "high":
        return labs.is_high(result)
    if compare == "titre_at_least":
        limit, _ = _threshold(kb, pack, condition)
        if result.titre is not None:
            return result.titre.denominator >= limit
        return labs.is_high(result)
    if compare == "threshold":
        assert condition.lab_threshold is not None
        row = labs.threshold(kb, condition.lab_threshold)
        return labs.compare(result, row.comparator, row.value, row.unit)
    limit, unit = _threshold(kb, pack, condition)
    assert unit is not None
    comparator = {"below": "<", "above": ">", "at_least": ">="}[compare]
    return labs.compare(result, comparator, limit, unit)


def _why_unjudged(kb: KnowledgeBase, pack: str, condition: Condition) -> str:
    compare = condition.compare
    if compare == "low":
        return "no lower reference limit or result word, so 'low' cannot be judged"
    if compare == "high":
        return "no upper reference limit or result word, so 'high' cannot be judged"
    if compare == "titre_at_least":
        limit, _ = _threshold(kb, pack, condition)
        return f"no titre, range or result word to compare with 1:{fmt_plain(limit)}"
    if compare == "threshold":
        assert condition.lab_threshold is not None
        row = labs.threshold(kb, condition.lab_threshold)
        return f"no number to compare with {row.comparator} {fmt_quantity(row.value, row.unit)}"
    limit, unit = _threshold(kb, pack, condition)
    return f"no number to compare with {fmt_quantity(limit, unit)}"


def _lab_text(result: LabResult, condition: Condition) -> str:
    if result.value is not None:
        shown = fmt_quantity(result.value, result.unit)
        if condition.compare == "low" and result.lower is not None:
            shown += f" (lab lower limit {fmt_plain(result.lower)})"
        elif condition.compare in ("high", "titre_at_least") and result.upper is not None:
            shown += f" (lab upper limit {fmt_plain(result.upper)})"
    elif result.titre is not None:
        shown = str(result.titre)
    else:
        shown = result.result or "recorded"
    return f"{result.test} {shown} on {result.date.isoformat()}"


# --- SLEDAI-2K --------------------------------------------------------------------------------


def unmapped_cle_notes(case: Case, rules: tuple[CleSubtypeRule, ...], instrument: str) -> list[str]:
    """Notes for the case's CLE subtypes that an instrument's subtype table does not count."""
    by_subtype = {r.subtype: r for r in rules}
    notes: list[str] = []
    for entry in case.cle:
        rule = by_subtype.get(entry.subtype)
        if rule is None:
            notes.append(f"CLE subtype {entry.subtype} is not in the {instrument} subtype table.")
        elif rule.criterion is None:
            notes.append(f"CLE subtype {entry.subtype} counts for no criterion: {rule.note}")
    return notes
