"""Similar published cases for a patient: the evidence pack's IVIG reports, ranked with reasons.

A report is similar when it shares the patient's CLE subtype (or its Gilliam group), the drugs
that failed before (read from the report's prior-therapy text with the drug vocabulary) and the
rescue agent (every report in the pack is of IVIG; the patient counts as IVIG-rescued when the
case requests IVIG or records a course of it). Each match states its reasons; the ranking is a
reading aid, not a measure of evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clepath.domain.case import Case
from clepath.ingest.mentions import _vocab_mentions
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.classification import CleSubtype
from clepath.knowledge.models.evidence import IvigReport

__all__ = ["SimilarCase", "similar_cases"]

IVIG = "intravenous immunoglobulin"
_FAILED = frozenset({"failed", "intolerant", "partial"})
_GROUP_WORDS = re.compile(r"\b(ACLE|SCLE|CCLE|DLE)\b|\b(subacute|discoid)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SimilarCase:
    """One published report, how similar it is and why."""

    report_id: str
    citation: str
    score: float
    reasons: tuple[str, ...]
    subtype: str
    prior_therapy: str
    regimen: str
    response: str
    outcome: str


def _groups(kb: KnowledgeBase) -> dict[str, str]:
    return {r.id: r.gilliam_group for r in kb.table("classification", "subtypes", CleSubtype)}


def _report_subtypes(kb: KnowledgeBase, text: str) -> tuple[set[str], set[str]]:
    """Subtype ids named in a report's subtype text, and their Gilliam groups."""
    groups = _groups(kb)
    ids = {m.value for m in _vocab_mentions(kb, "cle_subtype", text, 0, len(text), "subtype")}
    ids.discard("unspecified")
    found = {groups[i] for i in ids if i in groups}
    for m in _GROUP_WORDS.finditer(text):
        word = (m.group(1) or m.group(2)).upper()
        if word in ("DLE", "DISCOID"):
            found.add(groups.get("DLE_LOCALIZED", "CCLE"))
        elif word == "SUBACUTE":
            found.add("SCLE")
        else:
            found.add(word)
    return ids, found


def similar_cases(case: Case, kb: KnowledgeBase, limit: int = 5) -> list[SimilarCase]:
    """The evidence pack's IVIG reports most similar to `case`, best first, with reasons."""
    groups = _groups(kb)
    patient_ids = {e.subtype for e in case.cle if e.subtype != "unspecified"}
    patient_groups = {groups[i] for i in patient_ids if i in groups}
    failed = {c.drug for c in case.therapies if c.outcome in _FAILED and c.drug != IVIG}
    rescue = case.ivig_request is not None or any(c.drug == IVIG for c in case.therapies)
    label = kb.vocabulary("drug").labels
    out: list[SimilarCase] = []
    for report in kb.table("evidence", "ivig_reports", IvigReport):
        reasons: list[str] = []
        score = 0.0
        ids, report_groups = _report_subtypes(kb, report.subtype)
        same = patient_ids & ids
        if same:
            score += 2
            reasons.append("same subtype: " + ", ".join(sorted(same)))
        elif patient_groups & report_groups:
            score += 1
            reasons.append(
                "same subtype group: " + ", ".join(sorted(patient_groups & report_groups))
            )
        text = report.prior_therapy
        prior = {m.value for m in _vocab_mentions(kb, "drug", text, 0, len(text), "drug")}
        shared = failed & prior
        if shared:
            score += 2 * len(shared) / len(failed | prior)
            reasons.append(
                f"{len(shared)} of the patient's {len(failed)} failed drugs also tried: "
                + ", ".join(sorted(label.get(d, d) for d in shared))
            )
        if rescue:
            score += 1
            reasons.append("same rescue agent: IVIG")
        if not reasons:
            continue
        out.append(
            SimilarCase(
                report.id, report.citation, round(score, 3), tuple(reasons), report.subtype,
                report.prior_therapy, report.regimen_text, report.response, report.outcome,
            )
        )  # fmt: skip
    out.sort(key=lambda s: (-s.score, s.report_id))
    return out[:limit]
