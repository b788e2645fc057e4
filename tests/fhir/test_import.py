"""FHIR R4 -> case: round trips keep every clinical fact; unmapped codes are reported."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.casefile import load_case
from clepath.domain.body import body_value
from clepath.domain.case import Case, LabResult, Measurement
from clepath.engine.assess import assess
from clepath.errors import CaseError
from clepath.fhir import terminology as t
from clepath.fhir.export import case_to_bundle
from clepath.fhir.importer import bundle_to_case_data, import_bundle
from clepath.knowledge.base import KnowledgeBase
from clepath.report.assessment_json import assessment_to_json
from tests.conftest import SCLE_CASE, SEED_CASE
from tests.fhir.factory import (
    AS_OF,
    condition,
    lab_observation,
    medication_statement,
    small_case,
)

PATIENT = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}


def _without_display(case: Case) -> Case:
    """The case with the labs' display-only `original` text removed."""
    return dataclasses.replace(case, labs=tuple(dataclasses.replace(x, original=None)
                                                for x in case.labs))


def _round_trip(case: Case, kb: KnowledgeBase) -> Case:
    bundle = json.loads(json.dumps(case_to_bundle(case, kb).bundle))
    imported, _ = import_bundle(bundle, kb)
    return imported


class TestRoundTrip:
    @pytest.mark.parametrize("path", [SEED_CASE, SCLE_CASE], ids=["example-1", "example-2"])
    def test_examples_keep_every_fact(self, kb: KnowledgeBase, path: Any) -> None:
        """Export then import gives back the same case (all but the display text of labs)."""
        case = load_case(path, kb)

        assert _without_display(case) == _without_display(_round_trip(case, kb))

    @pytest.mark.parametrize("path", [SEED_CASE, SCLE_CASE], ids=["example-1", "example-2"])
    def test_examples_give_the_same_assessment(self, kb: KnowledgeBase, path: Any) -> None:
        """The imported case is assessed exactly as the original (scores, options, alerts)."""
        case = load_case(path, kb)

        original = assessment_to_json(assess(case, kb))

        assert original == assessment_to_json(assess(_round_trip(case, kb), kb))

    def test_titre_range_attribution_and_note(self, kb: KnowledgeBase) -> None:
        """A titre, a reference range, an attributed fever and a drug note survive."""
        case = small_case()

        back = _round_trip(case, kb)

        assert _without_display(case) == _without_display(back)
        assert ("urinary infection", 38.6) == (back.findings[0].attributed_to,
                                               back.findings[0].value.value)  # type: ignore[union-attr]

    @given(value=st.floats(min_value=5, max_value=7000, allow_nan=False),  # plausibility bounds
           day=st.dates(min_value=dt.date(2000, 1, 1), max_value=AS_OF))
    def test_any_creatinine_survives(self, value: float, day: dt.date) -> None:
        """Any plausible creatinine value and date comes back exactly (UCUM umol/L, no rounding)."""
        from clepath.knowledge.loader import load_knowledge

        kb = load_knowledge()
        case = small_case(labs=(LabResult("creatinine", day, value=value, unit="umol/L"),))

        back = _round_trip(case, kb)

        assert (value, day) == (back.labs[0].value, back.labs[0].date)


class TestUnmappedReported:
    def test_unknown_loinc_is_reported_with_its_code(self, kb: KnowledgeBase) -> None:
        """An Observation clepath has no concept for is listed with its system and code."""
        obs = lab_observation([t.coding(t.LOINC, "2276-4", "Ferritin")],
                              valueQuantity=t.quantity(54, "ug/L"))
        obs["code"]["coding"][0]["code"] = "99999-9"

        result = bundle_to_case_data([PATIENT, obs], kb, as_of=AS_OF)

        issue = result.report.unmapped[0]
        assert (t.LOINC, "99999-9") == (issue.system, issue.code)

    def test_sle_diagnosis_is_reported_not_read(self, kb: KnowledgeBase) -> None:
        """SNOMED 55464009 (SLE) is not a CLE subtype: reported, clepath classifies SLE itself."""
        result = bundle_to_case_data([PATIENT, condition([t.coding(t.SNOMED, "55464009")])], kb,
                                     as_of=AS_OF)

        assert "cle" not in result.data
        assert "classifies SLE" in result.report.unmapped[0].reason

    def test_scle_code_is_read_as_scle_with_the_inference_stated(self, kb: KnowledgeBase) -> None:
        """239891002 (SCLE) is read as annular SCLE, the unstated morphology reported."""
        result = bundle_to_case_data([PATIENT, condition([t.coding(t.SNOMED, "239891002")])],
                                     kb, as_of=AS_OF)

        assert [{"subtype": "SCLE_ANNULAR"}] == result.data["cle"]
        [issue] = result.report.of_kind("inferred")
        assert "morphology not coded" in issue.reason and "unconfirmed" in issue.reason

    def test_specific_snomed_code_maps_to_one_subtype(self, kb: KnowledgeBase) -> None:
        """403502003 (disseminated DLE) is DLE_GENERALIZED only, read as such."""
        result = bundle_to_case_data([PATIENT, condition([t.coding(t.SNOMED, "403502003")])],
                                     kb, as_of=AS_OF)

        assert "DLE_GENERALIZED" == result.data["cle"][0]["subtype"]

    def test_unknown_resource_type_is_reported(self, kb: KnowledgeBase) -> None:
        """A Procedure is not read and says so."""
        result = bundle_to_case_data([PATIENT, {"resourceType": "Procedure", "id": "x"}], kb,
                                     as_of=AS_OF)

        assert "Procedure" in result.report.unmapped[0].reason

    def test_identifying_details_are_never_read(self, kb: KnowledgeBase) -> None:
        """A name on the Patient is skipped, and the report says so."""
        named = {**PATIENT, "name": [{"family": "Doe"}]}

        result = bundle_to_case_data([named], kb, as_of=AS_OF)

        assert "Doe" not in json.dumps(result.data)
        assert any("identifying" in i.reason for i in result.report.of_kind("skipped"))


class TestExternalData:
    def test_weight_in_pounds_latest_before_as_of(self, kb: KnowledgeBase) -> None:
        """Three weights in lb are kept as dated history; the latest on or before as_of is the
        one used, in kg (176 lb = 79.83), and the 2025 one is not used."""
        def weight(lb: float, day: str) -> dict[str, Any]:
            return {"resourceType": "Observation", "id": f"w{day}", "status": "final",
                    "code": {"coding": [t.coding(t.LOINC, "29463-7")]},
                    "effectiveDateTime": day,
                    "valueQuantity": {"value": lb, "system": t.UCUM, "code": "[lb_av]"}}

        case, _ = import_bundle([PATIENT, weight(150, "2020-01-01"), weight(176, "2024-01-01"),
                                 weight(300, "2025-01-01")], kb, as_of=AS_OF, strict=False)

        used = body_value(case, "weight", case.as_of)
        assert (3, 79.83, dt.date(2024, 1, 1), 1) == (
            len(case.measurements), round(used.value or 0, 2), used.date, len(used.later)
        )

    def test_stated_weight_is_reported_not_used(self, kb: KnowledgeBase) -> None:
        """A stated weight (LOINC 3142-7) is reported as skipped, never a measurement."""
        stated = {"resourceType": "Observation", "id": "ws", "status": "final",
                  "code": {"coding": [t.coding(t.LOINC, "3142-7")]},
                  "effectiveDateTime": "2024-01-01",
                  "valueQuantity": {"value": 70, "system": t.UCUM, "code": "kg"}}

        case, report = import_bundle([PATIENT, stated], kb, as_of=AS_OF, strict=False)

        assert () == case.measurements
        assert any("stated weight" in i.reason for i in report.report.issues)

    def test_each_dated_weight_exported_with_its_date(self, kb: KnowledgeBase) -> None:
        """Two dated weights become two body-weight Observations, each with its own date, and
        come back as the same history."""
        case = dataclasses.replace(load_case(SEED_CASE, kb), measurements=(
            Measurement("weight", dt.date(2019, 5, 28), 60.0),
            Measurement("weight", dt.date(2019, 7, 1), 70.0),
        ))
        bundle = json.loads(json.dumps(case_to_bundle(case, kb).bundle))
        dated = sorted(
            (r["resource"]["effectiveDateTime"], r["resource"]["valueQuantity"]["value"])
            for r in bundle["entry"]
            if r["resource"]["resourceType"] == "Observation"
            and r["resource"]["code"]["coding"][0].get("code") == "29463-7"
            and "extension" not in r["resource"]
        )

        assert [("2019-05-28", 60.0), ("2019-07-01", 70.0)] == dated
        assert case.measurements == _round_trip(case, kb).measurements

    def test_c3_by_loinc_in_mg_per_dl(self, kb: KnowledgeBase) -> None:
        """C3 90 mg/dL (LOINC 4485-9) is read as 0.9 g/L, flagged low by the interpretation."""
        obs = lab_observation([t.coding(t.LOINC, "4485-9")],
                              valueQuantity=t.quantity(90, "mg/dL"),
                              interpretation=[{"coding": [t.coding(t.INTERPRETATION, "L")]}])

        case, _ = import_bundle([PATIENT, obs], kb, as_of=AS_OF)

        assert ("c3", 0.9, "low") == (case.labs[0].test, round(case.labs[0].value or 0, 6),
                                      case.labs[0].result)

    def test_drug_by_brand_name_and_outcome_from_status(self, kb: KnowledgeBase) -> None:
        """'Plaquenil 200 mg tablet', completed: hydroxychloroquine stopped, both inferred."""
        result = bundle_to_case_data([PATIENT, medication_statement("Plaquenil 200 mg tablet",
                                                                    status="completed")],
                                     kb, as_of=AS_OF)

        assert {"drug": "hydroxychloroquine", "outcome": "stopped",
                "route": "oral"} == result.data["therapies"][0]
        assert ["outcome 'stopped' inferred from status 'completed'",
                "drug 'hydroxychloroquine' matched by name", "route 'oral' from the dose form"
                ] == [i.reason for i in result.report.of_kind("inferred")]

    def test_entered_in_error_is_skipped(self, kb: KnowledgeBase) -> None:
        """A lab entered in error is not read, and the report says why."""
        obs = lab_observation([t.coding(t.LOINC, "6690-2")], status="entered-in-error",
                              valueQuantity=t.quantity(3.0, "10*9/L"))

        result = bundle_to_case_data([PATIENT, obs], kb, as_of=AS_OF)

        assert "labs" not in result.data
        assert "entered-in-error" in result.report.of_kind("skipped")[0].reason


class TestLenient:
    def _bad_lab(self) -> dict[str, Any]:
        return lab_observation([t.coding(t.LOINC, "6690-2")],
                               valueQuantity={"value": 3.0, "unit": "g/L", "system": t.UCUM,
                                              "code": "g/L"})

    def test_lenient_drops_and_reports(self, kb: KnowledgeBase) -> None:
        """A WBC in g/L cannot be a cell count: lenient import drops it and reports it."""
        case, result = import_bundle([PATIENT, self._bad_lab()], kb, as_of=AS_OF, strict=False)

        assert () == case.labs
        assert "Observation/" in result.report.of_kind("dropped")[0].where

    def test_strict_raises_with_the_field(self, kb: KnowledgeBase) -> None:
        """Strict import raises the case parser's error naming labs[0].value."""
        with pytest.raises(CaseError) as caught:
            import_bundle([PATIENT, self._bad_lab()], kb, as_of=AS_OF)

        assert "labs[0].value" == caught.value.problems[0].field

    def test_two_patients_refused(self, kb: KnowledgeBase) -> None:
        """A Bundle with two patients is not one case."""
        with pytest.raises(CaseError):
            import_bundle([PATIENT, {**PATIENT, "id": "q"}], kb, as_of=AS_OF)
