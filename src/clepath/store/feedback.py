"""CDS Hooks feedback: whether a clinician accepted or overrode a card, and why.

The CDS Hooks router (`clepath.web.cds`) hands each feedback item to `FeedbackRepository.record`;
rows keep the service id, the card's uuid, the outcome (`accepted` or `overridden`), the
override reason as sent (a coding and an optional comment) and the times.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clepath.errors import CaseError, FieldProblem
from clepath.store.records import CdsFeedback
from clepath.store.tables import CdsFeedbackRow

__all__ = ["FeedbackRepository", "OUTCOMES"]

OUTCOMES = ("accepted", "overridden")


class FeedbackRepository:
    """CDS feedback over one database session (the caller commits)."""

    def __init__(self, session: Session) -> None:
        self._db = session

    def record(self, item: CdsFeedback) -> int:
        """Store one feedback item; returns its id.

        Raises:
            CaseError: when the outcome is neither accepted nor overridden.
        """
        if item.outcome not in OUTCOMES:
            raise CaseError(
                FieldProblem(
                    "outcome", item.outcome, "is not a feedback outcome", "accepted or overridden"
                )
            )
        row = CdsFeedbackRow(
            service_id=item.service_id,
            card_id=item.card_id,
            outcome=item.outcome,
            outcome_at=item.outcome_at,
            override_reason=item.override_reason,
            accepted_suggestions=list(item.accepted_suggestions),
            rule=item.rule,
        )
        self._db.add(row)
        self._db.flush()
        return row.id

    def items(self, service_id: str | None = None) -> list[CdsFeedback]:
        """Stored feedback, oldest first (one service's when `service_id` is given)."""
        query = select(CdsFeedbackRow).order_by(CdsFeedbackRow.id)
        if service_id is not None:
            query = query.where(CdsFeedbackRow.service_id == service_id)
        return [
            CdsFeedback(
                service_id=r.service_id,
                card_id=r.card_id,
                outcome=r.outcome,
                outcome_at=r.outcome_at,
                override_reason=r.override_reason,
                accepted_suggestions=tuple(r.accepted_suggestions or ()),
                rule=r.rule,
            )
            for r in self._db.scalars(query)
        ]
