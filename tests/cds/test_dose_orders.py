"""CDS order hooks reach the same dose check as the assessment (issue 9): daily methotrexate
and a dose above the maximum get a card."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clepath.casefile import load_case
from clepath.fhir.cds import harness as h
from clepath.fhir.cds.cards import response_problems
from clepath.fhir.cds.hooks import HookResult, run_hook
from clepath.fhir.cds.model import parse_hook_request
from clepath.fhir.cds.prefetch import classify_all
from clepath.fhir.cds.services import ORDERS, PREFETCH
from clepath.fhir.export import case_to_bundle
from clepath.fhir.importer import collect_resources
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SEED_CASE

AS_OF = dt.date(2019, 6, 1)


@pytest.fixture(scope="module")
def seed_resources(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Example 1 as an EHR would hold it."""
    return collect_resources(case_to_bundle(load_case(SEED_CASE, kb), kb,
                                            include_ivig=False).bundle)


def _run(kb: KnowledgeBase, resources: list[dict[str, Any]], hook: str,
         orders: list[dict[str, Any]]) -> HookResult:
    context = {"userId": "Practitioner/1", "patientId": "seed"}
    body = h.request_body(hook, patient_id="seed", draft_orders=orders,
                          prefetch=h.prefetch_for(resources, context, today=AS_OF))
    request = parse_hook_request(body, {hook})
    result = run_hook(ORDERS, request, classify_all(request.prefetch, list(PREFETCH)), kb,
                      today=AS_OF)
    assert [] == response_problems(result.response)
    return result


def _cards(result: HookResult, rule: str) -> list[dict[str, Any]]:
    return [c for c in result.response["cards"] if result.rules[c["uuid"]] == rule]


class TestDoseOrderCards:
    @pytest.mark.parametrize("hook", ["order-select", "order-sign"])
    def test_daily_methotrexate_order_is_critical(
            self, kb: KnowledgeBase, seed_resources: list[dict[str, Any]], hook: str) -> None:
        """Methotrexate 15 mg once daily: a critical card naming the weekly-only schedule."""
        result = _run(kb, seed_resources, hook, [h.draft_order("methotrexate", 15, "mg")])

        cards = _cards(result, "dose_limits")

        assert 1 == len(cards)
        assert "critical" == cards[0]["indicator"]
        assert cards[0]["summary"].startswith("Methotrexate once daily is not an allowed")
        assert "once weekly" in cards[0]["detail"]

    def test_weekly_methotrexate_order_has_no_card(
            self, kb: KnowledgeBase, seed_resources: list[dict[str, Any]]) -> None:
        """Methotrexate 15 mg every 7 days: no dose card."""
        result = _run(kb, seed_resources, "order-sign",
                      [h.draft_order("methotrexate", 15, "mg", every_days=7)])

        assert [] == _cards(result, "dose_limits")

    def test_apremilast_above_maximum(
            self, kb: KnowledgeBase, seed_resources: list[dict[str, Any]]) -> None:
        """Apremilast 300 mg twice daily is 600 mg/day, above 60 mg/day: a warning card."""
        result = _run(kb, seed_resources, "order-sign",
                      [h.draft_order("apremilast", 300, "mg", per_day=2)])

        cards = _cards(result, "dose_limits")

        assert ["warning"] == [c["indicator"] for c in cards]
        assert "600 mg/day" in cards[0]["summary"] and "60 mg/day" in cards[0]["summary"]
