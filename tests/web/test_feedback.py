"""CDS Hooks feedback stored in the database through the sink the CDS router writes to."""

from __future__ import annotations

from clepath.fhir.cds.feedback import parse_feedback
from clepath.web.feedback import DatabaseFeedbackSink, feedback_item, feedback_record
from tests.web.conftest import World

BODY = {"feedback": [
    {"card": "c-1", "outcome": "accepted", "outcomeTimestamp": "2026-01-05T09:30:00Z",
     "acceptedSuggestions": [{"id": "s-1"}]},
    {"card": "c-2", "outcome": "overridden", "outcomeTimestamp": "2026-01-05T09:31:00Z",
     "overrideReason": {"reason": {"code": "not-relevant", "system": "urn:x"},
                        "userComment": "seen"}},
]}


class TestDatabaseFeedbackSink:
    def test_items_are_stored_and_counted(self, world: World) -> None:
        """One accepted and one overridden card: rates 0.5 each, the reason code counted."""
        sink = DatabaseFeedbackSink(world.app.state.clepath.store)
        for item in parse_feedback(BODY):
            sink.record("clepath-refractory", {**item, "rule": "refractory"})

        rates = sink.rates()

        assert (2, 0.5, 0.5, {"not-relevant": 1}, 2) == (
            rates["all"]["total"], rates["all"]["accept_rate"], rates["all"]["override_rate"],
            rates["all"]["override_reasons"], rates["rules"]["refractory"]["total"],
        )

    def test_record_round_trip(self) -> None:
        """A checked item survives the store's record and back unchanged."""
        items = parse_feedback(BODY)

        again = [feedback_item(feedback_record("svc", item)) for item in items]

        assert items == again
