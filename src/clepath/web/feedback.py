"""CDS Hooks feedback kept in the database: the `FeedbackSink` the CDS router writes to.

`clepath.web.cds` checks each feedback item (`clepath.fhir.cds.feedback.parse_feedback`) and
hands it here; each is stored in its own transaction (`clepath.store.feedback`), and the
accept and override rates are counted from what is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from clepath.fhir.cds.feedback import rates as feedback_rates
from clepath.store import CdsFeedback, Store

__all__ = ["DatabaseFeedbackSink", "feedback_item", "feedback_record"]


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def feedback_record(service_id: str, item: dict[str, Any]) -> CdsFeedback:
    """One checked feedback item (CDS Hooks JSON) as the store's record."""
    suggestions = item.get("acceptedSuggestions") or []
    return CdsFeedback(
        service_id=service_id,
        card_id=str(item["card"]),
        outcome=str(item["outcome"]),
        outcome_at=_time(item.get("outcomeTimestamp")),
        override_reason=item.get("overrideReason"),
        accepted_suggestions=tuple(str(s["id"]) for s in suggestions if "id" in s),
        rule=item.get("rule"),
    )


def feedback_item(record: CdsFeedback) -> dict[str, Any]:
    """A stored record back as a CDS Hooks feedback item (for the rates)."""
    item: dict[str, Any] = {"card": record.card_id, "outcome": record.outcome}
    if record.outcome_at is not None:
        item["outcomeTimestamp"] = record.outcome_at.isoformat().replace("+00:00", "Z")
    if record.accepted_suggestions:
        item["acceptedSuggestions"] = [{"id": s} for s in record.accepted_suggestions]
    if record.override_reason:
        item["overrideReason"] = record.override_reason
    if record.rule:
        item["rule"] = record.rule
    return item


class DatabaseFeedbackSink:
    """Stores CDS feedback through the app's store; counts rates from the stored rows.

    `open_store` gives a new unit of work (the web app's `AppState.store`, or a Store over the
    database of `clepath cds serve`).
    """

    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open_store = open_store

    def record(self, service_id: str, feedback: dict[str, Any]) -> None:
        """Store one checked feedback item (its own transaction)."""
        with self._open_store() as store:
            store.feedback.record(feedback_record(service_id, feedback))
            store.commit()

    def rates(self) -> dict[str, Any]:
        """Accept and override rates, overall, per service and per card rule."""
        with self._open_store() as store:
            records = store.feedback.items()
        result: dict[str, Any] = feedback_rates([(r.service_id, feedback_item(r)) for r in records])
        return result
