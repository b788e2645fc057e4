"""Our checks of FHIR JSON beyond the R4B models: bindings, invariants, profiles, references."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clepath.casefile import load_case
from clepath.fhir import terminology as t
from clepath.fhir.export import case_to_bundle
from clepath.fhir.validate import r4b_errors, validate_bundle
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE


@pytest.fixture(scope="module")
def bundle(kb: KnowledgeBase) -> dict[str, Any]:
    """Example 2 exported (valid)."""
    return case_to_bundle(load_case(SCLE_CASE, kb), kb).bundle


def _first(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def _rules(bundle: dict[str, Any], kb: KnowledgeBase | None = None) -> set[str]:
    return {i.rule for i in validate_bundle(bundle, kb)}


class TestOwnChecks:
    def test_unknown_observation_status_is_a_binding_error(self, bundle: dict[str, Any]) -> None:
        """R4B accepts status 'foo'; our required-binding check does not."""
        broken = copy.deepcopy(bundle)
        _first(broken, "Observation")["status"] = "foo"

        assert [] == r4b_errors(_first(broken, "Observation"))
        assert "binding" in _rules(broken)

    def test_value_with_data_absent_reason_breaks_obs_6(self, bundle: dict[str, Any]) -> None:
        """A value and a dataAbsentReason together break obs-6."""
        broken = copy.deepcopy(bundle)
        _first(broken, "Observation")["dataAbsentReason"] = {"text": "unknown"}

        assert "obs-6" in _rules(broken)

    def test_vital_sign_without_loinc(self, bundle: dict[str, Any]) -> None:
        """A vital-signs Observation needs a LOINC code."""
        broken = copy.deepcopy(bundle)
        weight = _first(broken, "Observation")
        weight["code"] = {"text": "weight"}

        assert "vitalsigns" in _rules(broken)

    def test_invalid_ucum_and_quantity_without_system(self, bundle: dict[str, Any]) -> None:
        """'kgg' is no UCUM code; a Quantity code without a system breaks qty-3."""
        broken = copy.deepcopy(bundle)
        _first(broken, "Observation")["valueQuantity"]["code"] = "kgg"
        second = [e["resource"] for e in broken["entry"]
                  if e["resource"]["resourceType"] == "Observation"][1]
        del second["valueQuantity"]["system"]

        assert {"ucum", "qty-3"} <= _rules(broken)

    def test_problem_list_condition_without_clinical_status(self, bundle: dict[str, Any]
                                                            ) -> None:
        """A problem-list Condition without clinicalStatus breaks con-3."""
        broken = copy.deepcopy(bundle)
        del _first(broken, "Condition")["clinicalStatus"]

        assert "con-3" in _rules(broken)

    def test_duplicate_full_url_and_dangling_reference(self, bundle: dict[str, Any]) -> None:
        """Two entries with one fullUrl break bdl-7; a urn:uuid nobody has does not resolve."""
        broken = copy.deepcopy(bundle)
        broken["entry"][1]["fullUrl"] = broken["entry"][0]["fullUrl"]
        _first(broken, "Condition")["subject"] = {"reference": "urn:uuid:0000"}

        assert {"bdl-7", "reference"} <= _rules(broken)

    def test_unknown_local_code(self, bundle: dict[str, Any], kb: KnowledgeBase) -> None:
        """A clepath drug code that is not in the drug vocabulary is caught with a kb."""
        broken = copy.deepcopy(bundle)
        statement = _first(broken, "MedicationStatement")
        statement["medicationCodeableConcept"]["coding"][0]["code"] = "unobtainium"

        assert "local-code" in _rules(broken, kb)

    def test_r4b_rejects_unknown_elements(self) -> None:
        """The R4B model refuses an element R4 does not have."""
        obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
               "bogus": 1}

        assert ["bogus"] == [i.where for i in r4b_errors(obs)]

    def test_r4_medication_request_shape_is_accepted_by_r4b(self) -> None:
        """medicationCodeableConcept (R4) validates with R4B; the default R5 model refuses it."""
        from fhir.resources.medicationrequest import MedicationRequest as R5
        from pydantic import ValidationError

        request = {"resourceType": "MedicationRequest", "status": "draft", "intent": "order",
                   "medicationCodeableConcept": {"text": "hydroxychloroquine"},
                   "subject": {"reference": "Patient/p"}}

        assert [] == r4b_errors(request)
        with pytest.raises(ValidationError):
            R5.model_validate(request)

    def test_extension_with_value_and_extensions(self, bundle: dict[str, Any]) -> None:
        """An extension with both a value and sub-extensions breaks ext-1."""
        broken = copy.deepcopy(bundle)
        plan = _first(broken, "CarePlan")
        plan["extension"][0]["valueString"] = "x"

        assert "ext-1" in _rules(broken)

    def test_exported_local_codes_are_known(self, bundle: dict[str, Any], kb: KnowledgeBase
                                            ) -> None:
        """Every clepath-local code in the export is a term of its vocabulary."""
        assert "local-code" not in _rules(bundle, kb)
        assert t.local_system("drug").startswith("https://clepath.org/fhir/CodeSystem/")
