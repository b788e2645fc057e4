"""The SLICC 2012 classification criteria for SLE (Petri et al., Arthritis Rheum 2012).

Seventeen numbered criteria, 11 clinical and 6 immunologic, cumulative (at least once up to the
assessment date, not necessarily together); each numbered criterion counts once however many of
its forms are present. Classified with 4 or more criteria including at least one clinical and
one immunologic, or by biopsy-proven lupus nephritis with ANA or anti-dsDNA. A positive direct
Coombs test does not count when haemolytic anaemia is present. Observations recorded with
`attributed_to` (another cause) are not counted. Criteria and the CLE subtype mapping live in
the `slicc_2012` pack.
"""

from __future__ import annotations

from dataclasses import dataclass

from clepath.domain.case import Case
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.findings import CleSubtypeRule
from clepath.knowledge.models.slicc_2012 import SliccCriterionRow, SliccNephritisRoute
from clepath.scores._criteria import check_routes, cle_matches, unmapped_cle_notes

__all__ = ["SliccCriterion", "SliccResult", "classify"]

PACK = "slicc_2012"


@dataclass(frozen=True)
class SliccCriterion:
    """A numbered criterion met (numbered within its kind, as in the paper) and its evidence."""

    number: int
    kind: str  # clinical | immunologic
    label: str
    evidence: str


@dataclass(frozen=True)
class SliccResult:
    """The classification: criteria met, counts by kind, the nephritis route and the verdict."""

    criteria: tuple[SliccCriterion, ...]
    clinical_count: int
    immunologic_count: int
    nephritis_route: bool
    classified: bool
    missing: tuple[str, ...]  # criterion ids with no data recorded
    notes: tuple[str, ...]


def classify(case: Case, kb: KnowledgeBase) -> SliccResult:
    """Apply the SLICC 2012 criteria to everything recorded up to `case.as_of`."""
    rules = kb.table(PACK, "cle_subtypes", CleSubtypeRule)
    rows = kb.table(PACK, "criteria", SliccCriterionRow)
    met: dict[str, tuple[SliccCriterionRow, str]] = {}
    missing: list[str] = []
    notes: list[str] = []
    for row in rows:
        check = check_routes(case, kb, PACK, row.routes, end=case.as_of)
        pieces = [check.evidence] if check.met and check.evidence else []
        for entry, rule in cle_matches(case, rules, row.id):
            since = f" since {entry.since}" if entry.since is not None else ""
            pieces.append(f"CLE {entry.subtype}{since}")
            if rule.unconfirmed:
                notes.append(f"{entry.subtype}: {rule.note} (unconfirmed mapping)")
        if pieces:
            met[row.id] = (row, "; ".join(pieces))
            continue
        notes.extend(f"{row.id} not counted: {why}" for why in (*check.attributed, *check.unjudged))
        if not check.recorded and not cle_matches(case, rules, row.id):
            missing.append(row.id)
    _apply_exclusions(met, notes)
    notes.extend(unmapped_cle_notes(case, rules, "SLICC"))
    notes.extend(f"{row.id}: {row.note_when_met}" for row, _ in met.values() if row.note_when_met)
    criteria = tuple(
        SliccCriterion(row.number, row.kind, row.label, evidence) for row, evidence in met.values()
    )
    clinical = sum(1 for c in criteria if c.kind == "clinical")
    immunologic = sum(1 for c in criteria if c.kind == "immunologic")
    nephritis = _nephritis_route(case, kb, met, notes)
    by_count = (
        clinical + immunologic >= int(kb.value(f"{PACK}.minimum_criteria"))
        and clinical >= int(kb.value(f"{PACK}.minimum_clinical"))
        and immunologic >= int(kb.value(f"{PACK}.minimum_immunologic"))
    )
    if not by_count and not nephritis:
        notes.append(_shortfall(kb, clinical, immunologic))
    if kb.is_default_unconfirmed(f"{PACK}.ana_positive_titre") and _ana_by_bare_titre(case):
        notes.append(
            "ana: a titre without the lab's range is read as positive from 1:"
            f"{kb.value(f'{PACK}.ana_positive_titre')} (configurable default, unconfirmed)."
        )
    return SliccResult(
        criteria=criteria,
        clinical_count=clinical,
        immunologic_count=immunologic,
        nephritis_route=nephritis,
        classified=by_count or nephritis,
        missing=tuple(missing),
        notes=tuple(dict.fromkeys(notes)),
    )


def _ana_by_bare_titre(case: Case) -> bool:
    """True when an ANA result gives only a titre (no range, no result word) by as_of."""
    return any(
        r.test == "ana"
        and r.date <= case.as_of
        and r.titre is not None
        and r.result is None
        and r.upper is None
        for r in case.labs
    )


def _apply_exclusions(met: dict[str, tuple[SliccCriterionRow, str]], notes: list[str]) -> None:
    """Drop a criterion that does not count alongside another one met (the Coombs rule)."""
    for criterion_id, (row, evidence) in list(met.items()):
        voided_by = [other for other in row.not_counted_with if other in met]
        if voided_by:
            del met[criterion_id]
            names = ", ".join(met[v][0].label.lower() for v in voided_by)
            notes.append(f"{criterion_id} not counted: {evidence} is explained by {names}.")


def _nephritis_route(
    case: Case,
    kb: KnowledgeBase,
    met: dict[str, tuple[SliccCriterionRow, str]],
    notes: list[str],
) -> bool:
    route = kb.table(PACK, "nephritis_route", SliccNephritisRoute)[0]
    biopsy = check_routes(case, kb, PACK, [(c,) for c in route.biopsy], end=case.as_of)
    if not biopsy.met:
        notes.extend(f"nephritis route: {why}" for why in biopsy.attributed)
        return False
    serology = [met[c][1] for c in route.with_criteria if c in met]
    if not serology:
        notes.append(
            f"Biopsy-proven lupus nephritis ({biopsy.evidence}) without ANA or anti-dsDNA "
            "recorded as positive: the nephritis route is not met."
        )
        return False
    notes.append(f"Classified by the nephritis route: {biopsy.evidence} with {serology[0]}.")
    return True


def _shortfall(kb: KnowledgeBase, clinical: int, immunologic: int) -> str:
    need = int(kb.value(f"{PACK}.minimum_criteria"))
    return (
        f"{clinical + immunologic} criteria ({clinical} clinical, {immunologic} immunologic): "
        f"{need} or more are needed, with at least one clinical and one immunologic."
    )
