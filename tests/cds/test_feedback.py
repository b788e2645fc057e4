"""Feedback: stored per card and rule, so accept and override rates can be reported."""

from __future__ import annotations

from typing import Any

import pytest

from clepath.fhir.cds import harness as h
from clepath.fhir.cds.feedback import parse_feedback, rates
from clepath.fhir.cds.model import RequestProblem
from tests.cds.conftest import ORDERS, SUMMARY, Harness

WHEN = "2024-03-15T10:05:31Z"


def _hcq_card(cds: Harness) -> dict[str, Any]:
    order = h.draft_order("hydroxychloroquine", 400, "mg")
    return cds.post(ORDERS, cds.body("order-select", orders=[order])).json()["cards"][0]


class TestFeedbackEndpoint:
    def test_accepted_and_overridden_rates_per_rule(self, cds: Harness) -> None:
        """One HCQ card accepted, one summary card overridden: 50 % each, counted per rule."""
        hcq = _hcq_card(cds)
        summary = cds.post(SUMMARY, cds.body("patient-view")).json()["cards"][0]

        accepted = cds.post(ORDERS, {"feedback": [{
            "card": hcq["uuid"], "outcome": "accepted", "outcomeTimestamp": WHEN,
            "acceptedSuggestions": [{"id": hcq["suggestions"][0]["uuid"]}]}]}, feedback=True)
        overridden = cds.post(SUMMARY, {"feedback": [{
            "card": summary["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
            "overrideReason": {"reason": summary["overrideReasons"][1],
                               "userComment": "weighed today"}}]}, feedback=True)
        report = cds.sink.rates()

        assert (200, 200) == (accepted.status_code, overridden.status_code)
        assert (0.5, 0.5) == (report["all"]["accept_rate"], report["all"]["override_rate"])
        assert 1.0 == report["rules"]["hcq_above_max"]["accept_rate"]
        assert {"data-outdated": 1} == report["rules"]["cle_summary"]["override_reasons"]

    def test_token_for_the_service_url_is_accepted(self, cds: Harness) -> None:
        """Feedback may carry a token whose aud is the service URL itself."""
        hcq = _hcq_card(cds)
        body = {"feedback": [{"card": hcq["uuid"], "outcome": "overridden",
                              "outcomeTimestamp": WHEN}]}

        response = cds.post(ORDERS, body, feedback=True, token=cds.signer.token(cds.url(ORDERS)))

        assert 200 == response.status_code

    def test_invalid_feedback_is_400(self, cds: Harness) -> None:
        """Accepted without acceptedSuggestions breaks cds-fb-2: 400, nothing stored."""
        body = {"feedback": [{"card": "x", "outcome": "accepted", "outcomeTimestamp": WHEN}]}

        response = cds.post(ORDERS, body, feedback=True)

        assert (400, []) == (response.status_code, cds.sink.items)


class TestParse:
    @pytest.mark.parametrize(("item", "rule"), [
        ({"card": "c", "outcome": "ignored", "outcomeTimestamp": WHEN}, "cds-fb-1"),
        ({"card": "c", "outcome": "accepted", "outcomeTimestamp": WHEN}, "cds-fb-2"),
        ({"card": "c", "outcome": "overridden", "outcomeTimestamp": WHEN,
          "overrideReason": {}}, "cds-fb-3"),
        ({"card": "c", "outcome": "overridden"}, "outcomeTimestamp"),
        ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "2024-03-15T10:05"},
         "time zone"),
    ])
    def test_rules(self, item: dict[str, Any], rule: str) -> None:
        """Each feedback rule is enforced with its name in the message."""
        with pytest.raises(RequestProblem, match=rule):
            parse_feedback({"feedback": [item]})

    def test_rates_over_repeated_reports(self) -> None:
        """The same card reported twice counts twice as feedback but once as a card."""
        item = {"card": "c", "outcome": "overridden", "outcomeTimestamp": WHEN}

        summary = rates([("s", item), ("s", item)])["all"]

        assert (2, 1, 1.0) == (summary["total"], summary["cards"], summary["override_rate"])
