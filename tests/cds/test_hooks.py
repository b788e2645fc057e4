"""Each hook through the router: what the card says, its indicator, its suggestion."""

from __future__ import annotations

import copy
from typing import Any

from clepath.fhir import terminology as t
from clepath.fhir.cds import harness as h
from clepath.fhir.cds.cards import response_problems
from tests.cds.conftest import ORDERS, PATIENT, SUMMARY, Harness


def _cards(response: Any) -> list[dict[str, Any]]:
    assert 200 == response.status_code, response.text
    assert [] == response_problems(response.json())
    return response.json()["cards"]


def _one(response: Any) -> dict[str, Any]:
    cards = _cards(response)
    assert 1 == len(cards), [c["summary"] for c in cards]
    return cards[0]


def _topic(card: dict[str, Any]) -> str:
    return card["source"]["topic"]["code"]


def _update_grams(card: dict[str, Any]) -> list[float]:
    resource = card["suggestions"][0]["actions"][0]["resource"]
    return [d["doseAndRate"][0]["doseQuantity"]["value"] for d in resource["dosageInstruction"]]


class TestPatientView:
    def test_summary_card(self, cds: Harness) -> None:
        """Example 2: CLASI-A 12 (moderate, 3 better), refractory, chloroquine next; a link."""
        card = _one(cds.post(SUMMARY, cds.body("patient-view")))

        assert card["summary"].startswith("CLASI-A 12 (moderate, 3 better than at baseline);")
        assert "; refractory; next: chloroquine" in card["summary"]
        assert ("warning", f"https://clepath.example.org/p/{PATIENT}") == (
            card["indicator"], card["links"][0]["url"])
        assert "SLEDAI-2K 12 (high)" in card["detail"]

    def test_no_cle_means_no_cards(self, cds: Harness) -> None:
        """A patient without cutaneous lupus on the problem list gets {"cards": []}."""
        body = cds.body("patient-view")
        body["prefetch"]["conditions"] = h.searchset([])

        response = cds.post(SUMMARY, body)

        assert {"cards": []} == response.json()

    def test_spec_example_request(self, cds: Harness) -> None:
        """The spec's patient-view example (patientToGreet, fhirServer) is answered: the spec
        patient has no CLE, so no cards; its unknown prefetch key is ignored."""
        body = {
            "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "fhirServer": cds.server.fhir_base,
            "hook": "patient-view",
            "fhirAuthorization": {"access_token": "some-opaque-fhir-access-token",
                                  "token_type": "Bearer", "expires_in": 300,
                                  "scope": "user/Patient.read user/Observation.read",
                                  "subject": "cds-service4"},
            "context": {"userId": "Practitioner/example", "patientId": "1288992",
                        "encounterId": "89284"},
            "prefetch": {"patientToGreet": {"resourceType": "Patient", "gender": "male",
                                            "birthDate": "1925-12-23", "id": "1288992",
                                            "active": True}},
        }
        cds.server.resources = [{"resourceType": "Patient", "id": "1288992", "gender": "male",
                                 "birthDate": "1925-12-23"}]

        assert {"cards": []} == cds.post(SUMMARY, body).json()


class TestHydroxychloroquine:
    def test_above_five_mg_per_kg_suggests_an_update(self, cds: Harness) -> None:
        """HCQ 400 mg daily at 79.8 kg is 5.01 mg/kg: warning, update to 300 mg recommended."""
        order = h.draft_order("Plaquenil 200 mg tablets", 400, "mg", order_id="hcq-1")
        card = _one(cds.post(ORDERS, cds.body("order-select", orders=[order])))
        action = card["suggestions"][0]["actions"][0]

        assert ("hcq_above_max", "warning") == (_topic(card), card["indicator"])
        assert "5.01 mg/kg" in card["summary"]
        assert ("update", 300.0) == (
            action["type"],
            action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"])
        assert "hcq-1" == action["resource"]["id"]
        assert card["selectionBehavior"] == "at-most-one"

    def test_within_maximum_says_nothing(self, cds: Harness) -> None:
        """HCQ 300 mg daily (3.76 mg/kg) is within the maximum: no card."""
        order = h.draft_order("hydroxychloroquine", 300, "mg")

        assert [] == _cards(cds.post(ORDERS, cds.body("order-select", orders=[order])))

    def test_no_weight_says_so(self, cds: Harness) -> None:
        """Without a recorded weight the mg/kg is not judged, and the card says so."""
        order = h.draft_order("hydroxychloroquine", 400, "mg")
        body = cds.body("order-select", orders=[order], null=["vitals"])

        card = _one(cds.post(ORDERS, body))

        assert ("hcq_weight_missing", "info") == (_topic(card), card["indicator"])

    def test_only_selected_orders_at_order_select(self, cds: Harness) -> None:
        """order-select checks the newly selected order, not the rest of the session."""
        hcq = h.draft_order("hydroxychloroquine", 400, "mg", order_id="hcq")
        pred = h.draft_order("prednisolone", 20, "mg", order_id="pred")
        body = cds.body("order-select", orders=[hcq, pred])
        body["context"]["selections"] = ["MedicationRequest/pred"]

        card = _one(cds.post(ORDERS, body))

        assert "gc_above_target" == _topic(card)


class TestGlucocorticoid:
    def test_above_maintenance_target(self, cds: Harness) -> None:
        """Prednisolone 20 mg replacing 10 mg daily: 20 mg/day, above EULAR's 5 mg/day."""
        order = h.draft_order("prednisolone", 20, "mg")

        card = _one(cds.post(ORDERS, cds.body("order-sign", orders=[order])))

        assert ("gc_above_target", "warning") == (_topic(card), card["indicator"])
        assert "20 mg/day prednisone-equivalent" in card["summary"]
        assert "suggestions" not in card and card["overrideReasons"][0]["display"]

    def test_at_target(self, cds: Harness) -> None:
        """Prednisolone 5 mg daily meets EULAR (<= 5) but not ACR (< 5): still a card."""
        order = h.draft_order("prednisolone", 5, "mg")

        card = _one(cds.post(ORDERS, cds.body("order-sign", orders=[order])))

        assert "ACR 2025 < 5 mg/day" in card["detail"]


class TestIvig:
    def test_actual_weight_order_gets_dosing_weight_grams(self, cds: Harness) -> None:
        """32 g x 5 days = 160 g is 2 g/kg of actual weight; the UK policy's dosing weight
        (63.4 kg) gives 125 g: update to 25 g a day."""
        order = h.draft_order("IVIG", 32, "g", days=5, order_id="ivig")

        cards = _cards(cds.post(ORDERS, cds.body("order-select", orders=[order])))
        dose = next(c for c in cards if _topic(c) == "ivig_dose_mismatch")

        assert [25.0] * 5 == _update_grams(dose)
        assert "matches 2 g/kg of the actual weight (79.8 kg)" in dose["detail"]
        assert "ivig_safety" not in [_topic(c) for c in cards]

    def test_sjs_ten_dose_is_not_a_cle_regimen_dose(self, cds: Harness) -> None:
        """80 g x 4 days = 4 g/kg of actual weight (Trent 2003, TEN) matches no CLE regimen:
        the card lists only the CLE doses 0.4, 1 and 2 g/kg."""
        order = h.draft_order("IVIG", 80, "g", days=4)

        cards = _cards(cds.post(ORDERS, cds.body("order-select", orders=[order])))
        card = next(c for c in cards if _topic(c) in ("ivig_no_regimen", "ivig_dose_mismatch"))

        assert "ivig_no_regimen" == _topic(card)
        assert "Regimen doses in the IVIG pack: 0.4 g/kg, 1 g/kg, 2 g/kg per course." in (
            card["detail"])

    def test_order_sign_adds_the_safety_checks(self, cds: Harness) -> None:
        """At order-sign the boxed-warning risks (thrombosis with estrogen use) are listed."""
        order = h.draft_order("IVIG", 25, "g", days=5)

        cards = _cards(cds.post(ORDERS, cds.body("order-sign", orders=[order])))
        safety = next(c for c in cards if _topic(c) == "ivig_safety")

        assert "ivig_dose_mismatch" not in [_topic(c) for c in cards]
        assert "Thrombosis risk" in safety["detail"] and safety["indicator"] == "warning"

    def test_hard_stop_is_critical_with_removal(self, cds: Harness) -> None:
        """IgA deficiency with anti-IgA antibodies: a critical card suggesting removal."""
        def lab(test: str, **value: Any) -> dict[str, Any]:
            return {"resourceType": "Observation", "id": f"x-{test}", "status": "final",
                    "category": [{"coding": [t.coding(t.OBSERVATION_CATEGORY, "laboratory")]}],
                    "code": {"coding": [t.coding(t.local_system("lab-test"), test)]},
                    "effectiveDateTime": "2024-03-12", **value}

        body = cds.body("order-sign", orders=[h.draft_order("IVIG", 25, "g", days=5)])
        labs = body["prefetch"]["labs"]["entry"]
        labs[:] = [e for e in labs if "iga" not in str(e["resource"]["code"])]
        labs.append({"resource": lab("iga", valueQuantity=t.quantity(0.05, "g/L"))})
        labs.append({"resource": lab("anti_iga", interpretation=[
            {"coding": [t.coding(t.INTERPRETATION, "POS")]}])})

        cards = _cards(cds.post(ORDERS, body))
        stop = next(c for c in cards if _topic(c) == "ivig_hard_stop")

        assert "critical" == stop["indicator"]
        assert {"type": "delete", "resourceId": "MedicationRequest/draft-IVIG"} == {
            k: v for k, v in stop["suggestions"][0]["actions"][0].items() if k != "description"}

    def test_dose_matching_no_regimen(self, cds: Harness) -> None:
        """70 g over 2 days matches no listed regimen dose on either weight: a warning."""
        order = h.draft_order("IVIG", 35, "g", days=2)

        cards = _cards(cds.post(ORDERS, cds.body("order-select", orders=[order])))

        assert ["ivig_no_regimen"] == [_topic(c) for c in cards]


class TestNothingToSay:
    def test_spec_order_select_example(self, cds: Harness) -> None:
        """The spec's R4 order-select example (a diet and amoxicillin) gets {"cards": []}."""
        amoxicillin = h.draft_order("amoxicillin", 5, "mL", order_id="smart-MedicationRequest-103",
                                    text="Amoxicillin 120 MG/ML / clavulanate potassium 8.58 "
                                         "MG/ML Oral Suspension")
        amoxicillin["dosageInstruction"][0]["doseAndRate"] = copy.deepcopy(
            amoxicillin["dosageInstruction"][0]["doseAndRate"][0])  # an object, as in the spec
        diet = {"resourceType": "NutritionOrder", "id": "pureeddiet-simple", "status": "draft",
                "patient": {"reference": "Patient/1288992"}, "dateTime": "2014-09-17"}
        body = cds.body("order-select", orders=[diet, amoxicillin])
        del body["context"]["draftOrders"]["type"]  # the spec example has no Bundle.type

        assert {"cards": []} == cds.post(ORDERS, body).json()
