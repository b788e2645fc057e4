"""Similar published cases shown with an assessment: at most three, each with its reasons.

The clinical core never sees this list (the engine does not import `clepath.ingest`); the report
and web layers add it beside the options as a reading aid, not as evidence of effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clepath.domain.case import Case
from clepath.ingest.similar import SimilarCase, similar_cases
from clepath.knowledge.base import KnowledgeBase

__all__ = ["SHOWN", "SIMILAR_NOTE", "assessment_similar", "similar_to_json"]

SHOWN = 3
SIMILAR_NOTE = (
    "Published case reports that resemble this patient (subtype, failed drugs, rescue agent): "
    "a reading aid, not evidence that a treatment works for this patient."
)


def assessment_similar(case: Case, kb: KnowledgeBase) -> list[SimilarCase]:
    """The top similar published cases for `case` with a positive score, best first."""
    return [s for s in similar_cases(case, kb, limit=SHOWN) if s.score > 0]


def similar_to_json(found: Sequence[SimilarCase]) -> list[dict[str, Any]]:
    """The `similar_cases` array of the assessment JSON."""
    return [
        {
            "report_id": s.report_id,
            "citation": s.citation,
            "score": s.score,
            "reasons": list(s.reasons),
            "subtype": s.subtype,
            "prior_therapy": s.prior_therapy,
            "regimen": s.regimen,
            "response": s.response,
            "outcome": s.outcome,
        }
        for s in found
    ]
