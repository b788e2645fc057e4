"""Prefetch: tokens, absent/null/OperationOutcome values, FHIR fallback, 412."""

from __future__ import annotations

import datetime as dt

import pytest

from clepath.fhir.cds import harness as h
from clepath.fhir.cds.prefetch import DataUnavailable, TokenProblem, classify, render, resolved
from clepath.fhir.cds.services import PREFETCH, discovery
from tests.cds.conftest import ORDERS, SUMMARY, Harness

CONTEXT = {"userId": "PractitionerRole/123", "patientId": "1288992", "encounterId": "89284",
           "draftOrders": {"resourceType": "Bundle"}}
TODAY = dt.date(2024, 9, 13)


class TestTokens:
    def test_context_field(self) -> None:
        """{{context.patientId}} is filled from the context."""
        assert "Patient/1288992" == render("Patient/{{context.patientId}}", CONTEXT, today=TODAY)

    def test_user_token(self) -> None:
        """{{userPractitionerRoleId}} is the id part of a PractitionerRole userId."""
        assert "PractitionerRole?_id=123" == render(
            "PractitionerRole?_id={{userPractitionerRoleId}}", CONTEXT, today=TODAY)

    def test_relative_date_of_the_3_0_ballot(self) -> None:
        """{{today() - 90 days}} on 2024-09-13 is 2024-06-15, as in the spec's example."""
        assert "date=gt2024-06-15" == render("date=gt{{today() - 90 days}}", CONTEXT,
                                             today=TODAY)

    def test_nested_context_path_refused(self) -> None:
        """{{context.draftOrders}} is not a simple field (nested paths are invalid in 2.0)."""
        with pytest.raises(TokenProblem):
            render("X?id={{context.draftOrders}}", CONTEXT, today=TODAY)

    def test_our_templates_use_only_2_0_tokens_and_r4_sort(self) -> None:
        """Every template renders from patientId alone and sorts with _sort=-date."""
        for template in discovery()["services"][0]["prefetch"].values():
            rendered = render(template, {"patientId": "p"}, today=TODAY)
            assert "{{" not in rendered and "sort:desc" not in rendered


class TestStates:
    def test_absent_null_outcome_data(self) -> None:
        """Missing key, null, OperationOutcome and a Bundle are told apart."""
        prefetch = {"a": None, "b": h.operation_outcome(), "c": h.searchset([{"resourceType":
                                                                           "Patient"}])}

        states = [classify(prefetch, k).state for k in ("x", "a", "b", "c")]

        assert ["absent", "null", "outcome", "data"] == states

    def test_next_link_means_more_to_fetch(self) -> None:
        """A paginated Bundle is data, but not yet usable."""
        page = {**h.searchset([]), "link": [{"relation": "next", "url": "https://x/p2"}]}

        value = classify({"k": page}, "k")

        assert ("data", False) == (value.state, value.usable)

    def test_required_missing_raises(self) -> None:
        """A required key that is absent makes the data unavailable (412)."""
        values = {"patient": classify({}, "patient"), "conditions": classify({"conditions":
                                                                              None}, "conditions")}

        with pytest.raises(DataUnavailable) as caught:
            resolved(values, ("patient", "conditions"))

        assert ["patient"] == caught.value.keys


class TestFallback:
    def test_dropped_key_is_read_with_the_bearer_token(self, cds: Harness) -> None:
        """Labs left out of the prefetch are read from fhirServer with the given token."""
        response = cds.post(SUMMARY, cds.body("patient-view", fallback=True, drop=["labs"]))

        reads = [r for r in cds.server.requests if r["path"].startswith("/fhir/")]
        assert 200 == response.status_code
        assert ["Bearer fhir-access-token-do-not-log"] == [r["authorization"] for r in reads]
        assert reads[0]["path"].startswith("/fhir/Observation?patient=scle-0001&category="
                                           "laboratory")

    def test_operation_outcome_is_refetched(self, cds: Harness) -> None:
        """An OperationOutcome in place of conditions is replaced by a read of the server."""
        response = cds.post(SUMMARY, cds.body("patient-view", fallback=True,
                                              outcome=["conditions"]))

        assert 1 == len(response.json()["cards"])
        assert any(r["path"].startswith("/fhir/Condition?") for r in cds.server.requests)

    def test_null_is_no_data_not_a_failure(self, cds: Harness) -> None:
        """Medications sent as null are not fetched and do not fail the call."""
        response = cds.post(SUMMARY, cds.body("patient-view", fallback=True,
                                              null=["medications", "orders"]))

        assert 200 == response.status_code
        assert not [r for r in cds.server.requests if "Medication" in r["path"]]

    def test_pagination_followed(self, cds: Harness) -> None:
        """A conditions page with a next link on the FHIR server is followed."""
        body = cds.body("patient-view", fallback=True)
        first = body["prefetch"]["conditions"]
        first["link"] = [{"relation": "next",
                          "url": f"{cds.server.fhir_base}/Condition?patient=scle-0001"}]
        first["entry"] = []

        response = cds.post(SUMMARY, body)

        assert 1 == len(response.json()["cards"])

    def test_412_without_data_or_server(self, cds: Harness) -> None:
        """Patient and conditions absent and no fhirServer: 412 with an OperationOutcome."""
        response = cds.post(SUMMARY, cds.body("patient-view", drop=["patient", "conditions"]))

        assert 412 == response.status_code
        assert "OperationOutcome" == response.json()["resourceType"]

    def test_412_when_the_server_fails(self, cds: Harness) -> None:
        """The server answers 500 for conditions: still unavailable, so 412."""
        cds.server.failing.add("Condition")

        response = cds.post(SUMMARY, cds.body("patient-view", fallback=True,
                                              drop=["conditions"]))

        assert 412 == response.status_code

    def test_ivig_needs_labs(self, cds: Harness) -> None:
        """An IVIG order without labs (its hard stops read IgA) and no server: 412."""
        order = h.draft_order("IVIG", 25, "g", days=5)

        response = cds.post(ORDERS, cds.body("order-sign", orders=[order], drop=["labs"]))

        assert 412 == response.status_code

    def test_steroid_order_does_not_need_weight(self, cds: Harness) -> None:
        """A prednisolone order without vitals is still checked (weight is not needed)."""
        order = h.draft_order("prednisolone", 20, "mg")

        response = cds.post(ORDERS, cds.body("order-sign", orders=[order], drop=["vitals"]))

        assert 200 == response.status_code and 1 == len(response.json()["cards"])

    def test_templates_are_the_ones_published(self) -> None:
        """The services publish the same templates the harness answers."""
        assert dict(PREFETCH) == discovery()["services"][1]["prefetch"]
