"""Order checks and the summary card on EHR-shaped data: RxNorm-only and referenced drugs,
every IVIG naming, topical products, a FHIR server answering 404, the card link."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clepath.fhir.cds import harness as h
from clepath.fhir.cds.hooks import run_hook
from clepath.fhir.cds.model import parse_hook_request
from clepath.fhir.cds.orders import medication_references, read_draft_orders
from clepath.fhir.cds.prefetch import classify_all
from clepath.fhir.cds.services import PATIENT_VIEW, PREFETCH
from clepath.knowledge.base import KnowledgeBase
from clepath.web.app import patient_link
from tests.cds.conftest import ORDERS as ORDERS_URL
from tests.cds.conftest import SUMMARY, Harness

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TODAY = dt.date(2024, 3, 15)


def _rxnorm_hcq(tablets: int, *, order_id: str = "hcq-rx") -> dict[str, Any]:
    """A Synthea-like HCQ order: RxNorm SCD 979092 only, a count of tablets with no unit."""
    return {"resourceType": "MedicationRequest", "id": order_id, "status": "draft",
            "intent": "order", "subject": {"reference": "Patient/scle-0001"},
            "medicationCodeableConcept": {"coding": [{
                "system": RXNORM, "code": "979092",
                "display": "Hydroxychloroquine Sulfate 200 MG Oral Tablet"}]},
            "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1,
                                                         "periodUnit": "d"}},
                                   "doseAndRate": [{"doseQuantity": {"value": tablets}}]}]}


def _by_reference(reference: str, **extra: Any) -> dict[str, Any]:
    order = _rxnorm_hcq(3, order_id="hcq-ref")
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": reference}
    order.update(extra)
    return order


HCQ_MEDICATION = {"resourceType": "Medication", "id": "hcq-200",
                  "code": {"text": "hydroxychloroquine (PLAQUENIL) 200 MG tablet"}}


def _rules(cds: Harness, orders: list[dict[str, Any]], **body: Any) -> set[str]:
    response = cds.post(ORDERS_URL, cds.body("order-sign", orders=orders, **body))
    assert 200 == response.status_code, response.text
    return {c["source"]["topic"]["code"] for c in response.json()["cards"]}


class TestOrdersFromEhrData:
    def test_rxnorm_only_hcq_600_mg_for_80_kg_is_warned(self, cds: Harness) -> None:
        """3 tablets of RxNorm 979092 a day (600 mg) for Example 2 (176 lb, about 80 kg,
        7.5 mg/kg): the HCQ above-maximum warning card."""
        response = cds.post(ORDERS_URL, cds.body("order-sign", orders=[_rxnorm_hcq(3)]))
        [card] = [c for c in response.json()["cards"]
                  if c["source"]["topic"]["code"] == "hcq_above_max"]

        assert "warning" == card["indicator"]
        assert "600 mg" in card["summary"] or "600 mg" in card["detail"]

    def test_contained_medication_reference_is_checked(self, cds: Harness) -> None:
        """The same 600 mg order naming a contained Medication: the same warning."""
        order = _by_reference("#hcq-200", contained=[HCQ_MEDICATION])

        assert "hcq_above_max" in _rules(cds, [order])

    def test_medication_read_from_the_fhir_server(self, cds: Harness) -> None:
        """A reference to Medication/hcq-200 that only the FHIR server holds is read there."""
        cds.server.resources.append(dict(HCQ_MEDICATION))

        assert "hcq_above_max" in _rules(cds, [_by_reference("Medication/hcq-200")],
                                         fallback=True)
        assert any(r["path"].endswith("/Medication/hcq-200") for r in cds.server.requests)

    @pytest.mark.parametrize("name", [
        "Immune Globulin (Human) 10 % Intravenous Solution",
        "Immune Globulin, Human 100 MG/ML Injectable Solution [Privigen]",
        "Gammagard Liquid 10 %",
    ])
    def test_every_ivig_naming_gets_the_ivig_checks(self, cds: Harness, name: str) -> None:
        """An IVIG order named as RxNorm or a brand does: the IVIG safety card appears."""
        order = h.draft_order("IVIG", 40, "g", days=2, text=name)

        assert "ivig_safety" in _rules(cds, [order])

    def test_hydrocortisone_cream_order_is_not_a_glucocorticoid_order(self, cds: Harness
                                                                       ) -> None:
        """Hydrocortisone 10 MG/ML Topical Cream: no prednisone-equivalent card."""
        order = h.draft_order("hydrocortisone", 1, "g",
                              text="Hydrocortisone 10 MG/ML Topical Cream")

        assert not {"gc_above_target", "gc_dose_unknown"} & _rules(cds, [order])


class TestPureReading:
    def test_draft_order_dose_from_tablets(self, kb: KnowledgeBase) -> None:
        """RxNorm 979092, 3 tablets once a day: 600 mg a dose, 600 mg a day."""
        [order], unread = read_draft_orders(kb, {"resourceType": "Bundle",
                                                 "entry": [{"resource": _rxnorm_hcq(3)}]})

        assert ([], "hcq", 600.0, 600.0) == (unread, order.kind, order.dose_mg,
                                             order.daily_dose_mg)

    def test_references_to_read_from_the_server(self) -> None:
        """Only references that draftOrders does not hold are left to read."""
        bundle = {"resourceType": "Bundle", "entry": [
            {"resource": _by_reference("Medication/a")},
            {"resource": _by_reference("#contained")},
            {"resource": _by_reference("Medication/b")},
            {"resource": {"resourceType": "Medication", "id": "b"}}]}

        assert ["Medication/a"] == medication_references(bundle)


class TestServerAnswers404:
    def test_required_data_404_gives_412(self, cds: Harness) -> None:
        """Patient and conditions not prefetched and the FHIR server answers 404: 412."""
        cds.server.missing.add("*")

        response = cds.post(SUMMARY, cds.body("patient-view", fallback=True,
                                              drop=["patient", "conditions"]))

        assert 412 == response.status_code
        assert "OperationOutcome" == response.json()["resourceType"]


class TestCardLink:
    def test_no_link_without_a_web_app(self, kb: KnowledgeBase,
                                       scle_resources: list[dict[str, Any]]) -> None:
        """Without a configured web app the summary card carries no link."""
        context = {"userId": "Practitioner/1", "patientId": "scle-0001"}
        body = h.request_body("patient-view", patient_id="scle-0001",
                              prefetch=h.prefetch_for(scle_resources, context, today=TODAY))
        request = parse_hook_request(body, {"patient-view"})
        result = run_hook(PATIENT_VIEW, request, classify_all(request.prefetch, list(PREFETCH)),
                          kb, today=TODAY, patient_link=patient_link(None))

        assert "links" not in result.response["cards"][0]

    def test_link_to_the_configured_web_app(self) -> None:
        """CLEPATH_PUBLIC_URL https://cle.example.org/ links to its patient search."""
        link = patient_link("https://cle.example.org/")

        assert link is not None
        assert "https://cle.example.org/patients?q=scle%200001" == link("scle 0001")
        assert patient_link("") is None
