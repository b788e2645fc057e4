"""The hooks as plain functions (no server): Example 1, the published case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clepath.casefile import load_case
from clepath.fhir.cds import harness as h
from clepath.fhir.cds.cards import response_problems
from clepath.fhir.cds.hooks import HookResult, run_hook
from clepath.fhir.cds.model import parse_hook_request
from clepath.fhir.cds.prefetch import DataUnavailable, classify_all
from clepath.fhir.cds.services import ORDERS, PATIENT_VIEW, PREFETCH
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
         orders: list[dict[str, Any]] = (), **partial: Any) -> HookResult:  # type: ignore[assignment]
    context = {"userId": "Practitioner/1", "patientId": "seed"}
    body = h.request_body(hook, patient_id="seed", draft_orders=orders,
                          prefetch=h.prefetch_for(resources, context, today=AS_OF, **partial))
    request = parse_hook_request(body, {hook})
    service = PATIENT_VIEW if hook == "patient-view" else ORDERS
    result = run_hook(service, request, classify_all(request.prefetch, list(PREFETCH)), kb,
                      today=AS_OF)
    assert [] == response_problems(result.response)
    return result


class TestPureHooks:
    def test_seed_patient_view(self, kb: KnowledgeBase, seed_resources: list[dict[str, Any]]
                               ) -> None:
        """Example 1: no CLASI recorded, SLEDAI-2K 7, refractory (antimalarial plus
        immunosuppressant failed): a warning card, rule cle_summary."""
        result = _run(kb, seed_resources, "patient-view")
        card = result.response["cards"][0]

        assert card["summary"].startswith("CLASI not recorded; refractory; next: chloroquine")
        assert "SLEDAI-2K 7 (moderate)" in card["detail"]
        assert {card["uuid"]: "cle_summary"} == result.rules

    def test_seed_ivig_as_published_is_not_questioned(
            self, kb: KnowledgeBase, seed_resources: list[dict[str, Any]]) -> None:
        """24 g a day for 5 days is 2 g/kg of 60 kg: no dose card; order-sign lists IgA and
        renal function as not recorded."""
        result = _run(kb, seed_resources, "order-sign",
                      [h.draft_order("IVIG", 24, "g", days=5, start=dt.date(2019, 6, 3))])
        rules = set(result.rules.values())

        assert "ivig_dose_mismatch" not in rules and "ivig_safety" in rules
        safety = next(c for c in result.response["cards"]
                      if result.rules[c["uuid"]] == "ivig_safety")
        assert "IgA status, Renal function, Blood group" in safety["summary"]

    def test_deflazacort_order_above_target(self, kb: KnowledgeBase,
                                            seed_resources: list[dict[str, Any]]) -> None:
        """Deflazacort 18 mg daily (ratio 1.2) is 15 mg/day prednisone-equivalent: above."""
        result = _run(kb, seed_resources, "order-select",
                      [h.draft_order("deflazacort", 18, "mg")])

        assert "15 mg/day prednisone-equivalent" in result.response["cards"][0]["summary"]

    def test_missing_patient_raises_data_unavailable(
            self, kb: KnowledgeBase, seed_resources: list[dict[str, Any]]) -> None:
        """Without the patient and no server, the pure function raises DataUnavailable."""
        with pytest.raises(DataUnavailable):
            _run(kb, seed_resources, "patient-view", drop=["patient"])


def _with_weights(resources: list[dict[str, Any]], *weights: tuple[str, float]
                  ) -> list[dict[str, Any]]:
    """The resources with the undated weight replaced by dated body-weight Observations."""
    kept = [r for r in resources
            if not (r.get("resourceType") == "Observation"
                    and any(c.get("code") == "29463-7" for c in r["code"].get("coding", [])))]
    return kept + [
        {"resourceType": "Observation", "id": f"w-{day}", "status": "final",
         "subject": {"reference": "Patient/seed"},
         "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
         "effectiveDateTime": day, "valueQuantity": {
             "value": kg, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
        for day, kg in weights
    ]


class TestWeightHistoryInOrders:
    def test_weight_after_the_order_start_is_not_used(
            self, kb: KnowledgeBase, seed_resources: list[dict[str, Any]]) -> None:
        """60 kg on 2019-05-28 and 90 kg on 2019-07-01: the IVIG order starting 2019-06-03
        (24 g × 5 = 2 g/kg of 60 kg) is checked against 60 kg, so no dose-mismatch card."""
        resources = _with_weights(seed_resources, ("2019-05-28", 60), ("2019-07-01", 90))
        result = _run(kb, resources, "order-sign",
                      [h.draft_order("IVIG", 24, "g", days=5, start=dt.date(2019, 6, 3))])

        assert "ivig_dose_mismatch" not in set(result.rules.values())
        assert "ivig_cannot_plan" not in set(result.rules.values())

    def test_hcq_order_uses_the_weight_before_it(
            self, kb: KnowledgeBase, seed_resources: list[dict[str, Any]]) -> None:
        """Hydroxychloroquine 400 mg a day with 60 kg on 2019-05-28 (6.67 mg/kg) and 100 kg
        later: the above-5-mg/kg card names 60 kg."""
        resources = _with_weights(seed_resources, ("2019-05-28", 60), ("2019-07-01", 100))
        result = _run(kb, resources, "order-select",
                      [h.draft_order("hydroxychloroquine", 400, "mg")])
        cards = [c for c in result.response["cards"]
                 if result.rules[c["uuid"]] == "hcq_above_max"]

        assert 1 == len(cards)
        assert "6.67 mg/kg" in cards[0]["summary"] + cards[0]["detail"]
