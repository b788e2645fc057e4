"""The 2019 EULAR/ACR classification criteria for SLE (Aringer et al., Ann Rheum Dis 2019).

Entry: ANA of 1:80 or more on HEp-2 cells (or an equivalent positive test) at least once. The
weighted criteria count when they occurred at least once up to the assessment date and SLE is
their most likely explanation (an observation with `attributed_to` is not counted); within each
domain only the highest-weighted criterion met counts; at least one clinical criterion is
needed; SLE is classified at 10 points or more. The entry criterion is three-valued: None when
no ANA is recorded, in which case `classified` is None too but `total` still reports the points
that would count. Criteria, weights, domains and the CLE subtype mapping live in the
`eular_acr_2019` pack.
"""

from __future__ import annotations

from dataclasses import dataclass

from clepath.domain.case import Case
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.eular_acr_2019 import (
    EularAcrCriterionRow,
    EularAcrDomain,
    EularAcrEntry,
)
from clepath.knowledge.models.findings import CleSubtypeRule
from clepath.scores._criteria import CriterionCheck, check_routes, cle_matches, unmapped_cle_notes

__all__ = ["EularAcrCriterion", "EularAcrResult", "classify"]

PACK = "eular_acr_2019"


@dataclass(frozen=True)
class EularAcrCriterion:
    """A criterion met, its weight, its evidence and whether it is the one its domain counts."""

    domain: str
    criterion: str
    label: str
    points: int
    evidence: str
    counted: bool  # False when a higher criterion in the same domain wins


@dataclass(frozen=True)
class EularAcrResult:
    """The classification: entry criterion, points per domain, total and verdict."""

    entry_criterion: bool | None
    entry_evidence: str | None
    total: int
    classified: bool | None
    clinical_criterion_met: bool
    domains: dict[str, int]  # domain -> points counted (domains with a criterion met)
    criteria: tuple[EularAcrCriterion, ...]
    missing: tuple[str, ...]  # criterion ids (and "ana") with no data recorded
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Entry:
    value: bool | None
    evidence: str | None
    notes: tuple[str, ...]


def classify(case: Case, kb: KnowledgeBase) -> EularAcrResult:
    """Apply the 2019 EULAR/ACR criteria to everything recorded up to `case.as_of`."""
    entry = _entry(case, kb)
    kinds = {d.id: d.kind for d in kb.table(PACK, "domains", EularAcrDomain)}
    rules = kb.table(PACK, "cle_subtypes", CleSubtypeRule)
    met: list[tuple[EularAcrCriterionRow, str]] = []
    missing: list[str] = [] if _has_ana(case) else ["ana"]
    notes: list[str] = list(entry.notes)
    for row in kb.table(PACK, "criteria", EularAcrCriterionRow):
        check = check_routes(case, kb, PACK, row.routes, end=case.as_of)
        evidence = _evidence(case, rules, row, check, notes)
        if evidence is not None:
            met.append((row, evidence))
            if row.note_when_met:
                notes.append(f"{row.id}: {row.note_when_met}")
            continue
        notes.extend(f"{row.id} not counted: {why}" for why in (*check.attributed, *check.unjudged))
        if not check.recorded and not _cle_recorded(case, rules, row.id):
            missing.append(row.id)
    notes.extend(unmapped_cle_notes(case, rules, "EULAR/ACR"))
    criteria = _pick_domain_maxima(met)
    domains: dict[str, int] = {}
    for item in criteria:
        if item.counted:
            domains[item.domain] = item.points
    total = sum(domains.values())
    minimum_clinical = int(kb.value(f"{PACK}.minimum_clinical_criteria"))
    clinical = sum(1 for c in criteria if kinds[c.domain] == "clinical") >= minimum_clinical
    threshold = int(kb.value(f"{PACK}.classification_threshold"))
    classified = _verdict(entry.value, total >= threshold and clinical)
    notes.extend(_verdict_notes(entry.value, total, threshold, clinical))
    return EularAcrResult(
        entry_criterion=entry.value,
        entry_evidence=entry.evidence,
        total=total,
        classified=classified,
        clinical_criterion_met=clinical,
        domains=domains,
        criteria=criteria,
        missing=tuple(missing),
        notes=tuple(dict.fromkeys(notes)),
    )


def _has_ana(case: Case) -> bool:
    return any(r.test == "ana" and r.date <= case.as_of for r in case.labs)


def _entry(case: Case, kb: KnowledgeBase) -> _Entry:
    row = kb.table(PACK, "entry", EularAcrEntry)[0]
    check = check_routes(case, kb, PACK, [(c,) for c in row.satisfied_by], end=case.as_of)
    if check.met:
        return _Entry(True, check.evidence, ())
    if not check.recorded:
        return _Entry(
            None,
            None,
            (
                "No ANA recorded: the entry criterion (ANA of 1:80 or more at least once) cannot "
                "be checked, so classification is unknown; the total shows the points that "
                "would count.",
            ),
        )
    if check.attributed:
        return _Entry(False, None, tuple(f"ana not counted: {a}" for a in check.attributed))
    if not check.judged:
        return _Entry(
            None,
            None,
            tuple(f"ana cannot be judged: {u}" for u in check.unjudged)
            + ("The entry criterion cannot be checked, so classification is unknown.",),
        )
    return _Entry(
        False,
        None,
        ("ANA recorded but never at 1:80 or more: the entry criterion is not met.",),
    )


def _evidence(
    case: Case,
    rules: tuple[CleSubtypeRule, ...],
    row: EularAcrCriterionRow,
    check: CriterionCheck,
    notes: list[str],
) -> str | None:
    pieces = [check.evidence] if check.met and check.evidence else []
    for entry, rule in cle_matches(case, rules, row.id):
        since = f" since {entry.since}" if entry.since is not None else ""
        pieces.append(f"CLE {entry.subtype}{since}")
        if rule.unconfirmed:
            notes.append(f"{entry.subtype}: {rule.note} (unconfirmed mapping)")
    return "; ".join(pieces) if pieces else None


def _cle_recorded(case: Case, rules: tuple[CleSubtypeRule, ...], criterion: str) -> bool:
    return bool(cle_matches(case, rules, criterion))


def _pick_domain_maxima(
    met: list[tuple[EularAcrCriterionRow, str]],
) -> tuple[EularAcrCriterion, ...]:
    winners: dict[str, EularAcrCriterionRow] = {}
    for row, _ in met:
        best = winners.get(row.domain)
        if best is None or row.points > best.points:
            winners[row.domain] = row
    return tuple(
        EularAcrCriterion(
            domain=row.domain,
            criterion=row.id,
            label=row.label,
            points=row.points,
            evidence=evidence,
            counted=winners[row.domain] is row,
        )
        for row, evidence in met
    )


def _verdict(entry: bool | None, points_suffice: bool) -> bool | None:
    if entry is None:
        return None
    return entry and points_suffice


def _verdict_notes(entry: bool | None, total: int, threshold: int, clinical: bool) -> list[str]:
    notes: list[str] = []
    if not clinical:
        notes.append("No clinical criterion is met: SLE is not classified whatever the points.")
    if total < threshold:
        notes.append(f"{total} points: {threshold} or more are needed.")
    if entry is None and (not clinical or total < threshold):
        notes.append("Even with a qualifying ANA these findings would not classify SLE.")
    return notes
