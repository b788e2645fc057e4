"""Import of EHR- and Synthea-shaped data: RxNorm drugs, tablet counts, topical forms, IVIG
namings, medicationReference, CLE codes of each code system, and a report without silence."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.errors import CaseError
from clepath.fhir.importer import bundle_to_case_data, import_bundle
from clepath.fhir.medication import recogniser
from clepath.fhir.validate import validate_bundle
from clepath.knowledge.base import KnowledgeBase
from tests.fhir.ehr_fixtures import (
    ICD10,
    ICD10_CM,
    SNOMED,
    condition,
    medication,
    medication_administration,
    medication_dispense,
    medication_request,
    synthea_bundle,
    weight,
)

AS_OF = dt.date(2024, 3, 15)
HCQ_SCD = ("979092", "Hydroxychloroquine Sulfate 200 MG Oral Tablet")


def _therapy(kb: KnowledgeBase, *resources: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    result = bundle_to_case_data(synthea_bundle(*resources), kb, as_of=AS_OF)
    return result.data["therapies"][0], result.report


class TestDrugsFromEhrData:
    def test_rxnorm_only_hcq_two_tablets_is_400_mg(self, kb: KnowledgeBase) -> None:
        """HCQ coded only by RxNorm SCD 979092, 2 tablets a day with no unit: 400 mg a day."""
        therapy, report = _therapy(kb, medication_request("mr-1", code=HCQ_SCD, tablets=2))

        assert {"drug": "hydroxychloroquine", "dose": "400 mg", "frequency": "daily",
                "route": "oral"}.items() <= therapy.items()
        assert any(i.reason == "dose 400 mg = 2 unit(s) x 200 mg (Hydroxychloroquine Sulfate "
                   "200 MG Oral Tablet)" for i in report.of_kind("inferred"))

    def test_hydrocortisone_cream_is_a_topical_corticosteroid(self, kb: KnowledgeBase) -> None:
        """RxNorm 106258 Hydrocortisone 10 MG/ML Topical Cream is a topical corticosteroid."""
        therapy, report = _therapy(kb, medication_request(
            "mr-2", code=("106258", "Hydrocortisone 10 MG/ML Topical Cream"), tablets=None))

        assert ("topical corticosteroid", "topical") == (therapy["drug"], therapy["route"])
        assert any("recorded as 'topical corticosteroid'" in i.reason for i in report.issues)

    def test_hydrocortisone_cream_is_not_systemic_glucocorticoid(self, kb: KnowledgeBase
                                                                  ) -> None:
        """An imported hydrocortisone cream adds nothing to the prednisone-equivalent dose."""
        case, _ = import_bundle(synthea_bundle(medication_request(
            "mr-3", text="Hydrocortisone 10 MG/ML Topical Cream", tablets=1)), kb, as_of=AS_OF)

        assert ["topical corticosteroid"] == [c.drug for c in case.therapies]
        assert "topical" == case.therapies[0].route

    def test_tacrolimus_ointment_is_topical_tacrolimus(self, kb: KnowledgeBase) -> None:
        """'tacrolimus 1 MG/ML Topical Ointment' is topical tacrolimus, not systemic."""
        therapy, _ = _therapy(kb, medication_request(
            "mr-4", text="tacrolimus 1 MG/ML Topical Ointment", tablets=None))

        assert ("topical tacrolimus", "topical") == (therapy["drug"], therapy["route"])

    @pytest.mark.parametrize("name", [
        "Immune Globulin (Human) 10 % Intravenous Solution",
        "Immune Globulin, Human 100 MG/ML Injectable Solution [Privigen]",
        "Gammagard Liquid 10 %",
        "PRIVIGEN 10 % IV SOLN",
    ])
    def test_every_ivig_naming_is_ivig(self, kb: KnowledgeBase, name: str) -> None:
        """RxNorm's generic IVIG names and brand names all read as intravenous immunoglobulin."""
        found = recogniser(kb).concept({"text": name})

        assert found is not None and "intravenous immunoglobulin" == found.drug

    def test_subcutaneous_immune_globulin_is_not_ivig(self, kb: KnowledgeBase) -> None:
        """'Immune Globulin (Human) 20 % Subcutaneous Solution' is not IVIG."""
        assert recogniser(kb).concept(
            {"text": "Immune Globulin (Human) 20 % Subcutaneous Solution"}) is None

    def test_ivig_volume_times_concentration_is_grams(self, kb: KnowledgeBase) -> None:
        """300 mL of a 10 % IVIG solution is a 30 g dose."""
        therapy, _ = _therapy(kb, medication_request(
            "mr-5", text="Immune Globulin (Human) 10 % Intravenous Solution", tablets=300,
            unit="mL"))

        assert "30 g" == therapy["dose"]

    def test_contained_medication_reference(self, kb: KnowledgeBase) -> None:
        """Epic-style contained Medication 'hydroxychloroquine (PLAQUENIL) 200 MG tablet',
        3 tablets: hydroxychloroquine 600 mg."""
        med = medication("med1", "hydroxychloroquine (PLAQUENIL) 200 MG tablet", form="tablet")
        therapy, _ = _therapy(kb, medication_request("mr-6", reference="#med1", contained=med,
                                                     tablets=3))

        assert ("hydroxychloroquine", "600 mg") == (therapy["drug"], therapy["dose"])

    def test_external_medication_in_the_bundle(self, kb: KnowledgeBase) -> None:
        """A Medication elsewhere in the Bundle (by urn:uuid) with an ingredient strength of
        2.5 mg per tablet, 6 tablets: methotrexate 15 mg; the Medication is accounted for."""
        med = medication("med-mtx", "METHOTREXATE 2.5 MG PO TABS", strength_mg=2.5)
        result = bundle_to_case_data(synthea_bundle(
            med, medication_request("mr-7", reference="urn:uuid:med-mtx", tablets=6)), kb,
            as_of=AS_OF)

        assert ("methotrexate", "15 mg") == (result.data["therapies"][0]["drug"],
                                              result.data["therapies"][0]["dose"])
        outcome = next(r for r in result.report.resources if r.where == "Medication/med-mtx")
        assert ("imported", "the drug of MedicationRequest/mr-7") == (outcome.outcome,
                                                                       outcome.reason)

    def test_unreadable_reference_is_reported(self, kb: KnowledgeBase) -> None:
        """A reference to a Medication that is not in the data: unmapped, with the reason."""
        result = bundle_to_case_data(synthea_bundle(
            medication_request("mr-8", reference="Medication/elsewhere", tablets=1)), kb,
            as_of=AS_OF)

        assert "therapies" not in result.data
        [issue] = result.report.of_kind("unmapped")
        assert "Medication/elsewhere is neither contained, in the data, nor readable" in (
            issue.reason)

    def test_no_dose_derivable_is_reported_for_that_therapy(self, kb: KnowledgeBase) -> None:
        """'Methotrexate' without strength, 3 of something: no dose, and the report says so."""
        therapy, report = _therapy(kb, medication_request("mr-9", text="Methotrexate",
                                                          tablets=3))

        assert "dose" not in therapy
        [issue] = [i for i in report.issues if i.where == "MedicationRequest/mr-9.dose"]
        assert "no dose derived: dose 3 without a unit and no strength per unit is known" in (
            issue.reason)


class TestDiagnosesByEachCodeSystem:
    @pytest.mark.parametrize(("coding", "subtype"), [
        ((SNOMED, "200938002", "Discoid lupus erythematosus (disorder)"), "DLE_LOCALIZED"),
        ((ICD10_CM, "L93.0", "Discoid lupus erythematosus"), "DLE_LOCALIZED"),
        ((ICD10, "L93.0", "Discoid lupus erythematosus"), "DLE_LOCALIZED"),
        ((SNOMED, "79291003", "Discoid lupus erythematosus of eyelid (disorder)"),
         "DLE_LOCALIZED"),
        ((ICD10, "L93.1", "Subacute cutaneous lupus erythematosus"), "SCLE_ANNULAR"),
        ((ICD10_CM, "L931", "Subacute cutaneous lupus erythematosus"), "SCLE_ANNULAR"),
        ((SNOMED, "200941006", "Lupus erythematosus tumidus (disorder)"), "LE_TUMIDUS"),
        ((SNOMED, "238928005", "Chilblain lupus erythematosus (disorder)"), "CHILBLAIN_LE"),
    ])
    def test_code_gives_one_subtype(self, kb: KnowledgeBase, coding: tuple[str, str, str],
                                    subtype: str) -> None:
        """Each CLE code names one clepath subtype, with the inference stated."""
        result = bundle_to_case_data(synthea_bundle(condition("c1", coding)), kb, as_of=AS_OF)

        assert subtype == result.data["cle"][0]["subtype"]
        assert result.report.of_kind("inferred")[0].reason.startswith(
            f"CLE subtype {subtype} read from")

    def test_l93_2_is_ambiguous_not_profundus(self, kb: KnowledgeBase) -> None:
        """L93.2 covers profundus, tumid and chilblain LE: unspecified, reported ambiguous."""
        result = bundle_to_case_data(synthea_bundle(condition(
            "c2", (ICD10_CM, "L93.2", "Other local lupus erythematosus"))), kb, as_of=AS_OF)

        assert "unspecified" == result.data["cle"][0]["subtype"]
        [issue] = result.report.of_kind("ambiguous")
        assert "LUPUS_PANNICULITIS_PROFUNDUS, LE_TUMIDUS, CHILBLAIN_LE" in issue.reason

    def test_lupus_erythematosus_is_kept_as_unspecified_cle(self, kb: KnowledgeBase) -> None:
        """Synthea's 200936003 (lupus erythematosus) becomes unspecified CLE, reported."""
        result = bundle_to_case_data(synthea_bundle(condition(
            "c3", (SNOMED, "200936003", "Lupus erythematosus (disorder)"))), kb, as_of=AS_OF)

        assert [{"subtype": "unspecified", "since": "2021-06-02"}] == result.data["cle"]
        assert "does not say cutaneous or systemic" in result.report.of_kind(
            "ambiguous")[0].reason

    def test_sle_code_is_reported_not_read(self, kb: KnowledgeBase) -> None:
        """ICD-10-CM M32.14 is SLE: not a CLE subtype, reported as unmapped."""
        result = bundle_to_case_data(synthea_bundle(condition(
            "c4", (ICD10_CM, "M32.14", "Glomerular disease in SLE"))), kb, as_of=AS_OF)

        assert "cle" not in result.data
        assert "classifies SLE itself" in result.report.of_kind("unmapped")[0].reason


def _mixed_bundle() -> dict[str, Any]:
    bundle = synthea_bundle(
        weight(80.0),
        condition("c1", (SNOMED, "200938002", "Discoid lupus erythematosus (disorder)")),
        condition("c2", (SNOMED, "55464009", "Systemic lupus erythematosus (disorder)")),
        medication("med-unused", "aspirin 81 MG tablet"),
        medication_request("mr-1", code=HCQ_SCD, tablets=2),
        medication_request("mr-2", text="Amoxicillin 500 MG Oral Capsule", tablets=1),
        medication_request("mr-3", code=HCQ_SCD, tablets=1, status="entered-in-error"),
        medication_administration("ma-1", "2024-01-08", text="Privigen 10 % IV solution",
                                  grams=60, rate_ml_h=120),
        medication_administration("ma-2", "2024-01-09", text="Privigen 10 % IV solution",
                                  grams=60, status="not-done"),
        medication_dispense("md-1", "2024-02-20", code=HCQ_SCD, tablets=2,
                            prescription="MedicationRequest/mr-1"),
        {"resourceType": "Encounter", "id": "enc-1", "status": "finished"},
        {"resourceType": "Observation", "id": "obs-x", "status": "final",
         "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}]}},
    )
    bundle["entry"].append({"request": {"method": "DELETE", "url": "Observation/old"}})
    return bundle


class TestReportWithoutSilence:
    def test_every_input_resource_has_one_outcome(self, kb: KnowledgeBase) -> None:
        """Every resource of the Bundle (and the entry without one) appears exactly once in
        the report's resource list."""
        bundle = _mixed_bundle()
        result = bundle_to_case_data(bundle, kb, as_of=AS_OF)
        given_resources = [f"{e['resource']['resourceType']}/{e['resource']['id']}"
                           for e in bundle["entry"] if "resource" in e]

        accounted = [r.where for r in result.report.resources]
        assert sorted([*given_resources, "Bundle.entry[13]"]) == sorted(accounted)

    def test_header_counts_outcomes_and_reasons(self, kb: KnowledgeBase) -> None:
        """The header counts 14 resources by outcome and the skipped ones by reason."""
        header = bundle_to_case_data(_mixed_bundle(), kb, as_of=AS_OF).report.header()

        assert 14 == header["resources"]
        assert {"imported": 2, "inferred": 4, "skipped": 4, "unmapped": 4} == header[
            "by_outcome"]
        assert 1 == header["not_read_by_reason"][
            "status 'not-done': the administration was not given"]
        assert 1 == header["not_read_by_reason"]["a Medication no medication course refers to"]


class TestMalformedBundles:
    def test_entry_that_is_not_an_object_is_a_clear_error(self, kb: KnowledgeBase) -> None:
        """'entry': [1] names the path, the value and the accepted form."""
        with pytest.raises(CaseError) as exc:
            import_bundle({"resourceType": "Bundle", "type": "collection", "entry": [1]}, kb)

        [problem] = exc.value.problems
        assert ("Bundle.entry[0]", 1) == (problem.field, problem.value)
        assert "a JSON object" in problem.accepted

    def test_wrong_type_inside_a_resource_is_skipped_and_named(self, kb: KnowledgeBase
                                                               ) -> None:
        """A coding that is a number: that resource is skipped with the element's path."""
        bad = condition("c9", (SNOMED, "200938002", "DLE"))
        bad["code"]["coding"] = 5
        result = bundle_to_case_data(synthea_bundle(bad), kb, as_of=AS_OF)

        assert "cle" not in result.data
        assert "Condition/c9.code.coding: has the wrong type (number)" in (
            result.report.of_kind("skipped")[0].reason)

    @given(path_index=st.integers(min_value=0, max_value=10_000),
           value=st.sampled_from([1, "x", [], {}, [1], None, -5, {"a": 1}, ["x"], True]))
    def test_mutated_bundles_never_crash(self, kb: KnowledgeBase, path_index: int,
                                         value: Any) -> None:
        """Any element of an EHR Bundle replaced by a wrong value: validation lists problems,
        import gives a result or a CaseError; neither crashes."""
        bundle = copy.deepcopy(_mixed_bundle())
        paths = list(_paths(bundle))
        path = paths[path_index % len(paths)]
        node = bundle
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        assert isinstance(validate_bundle(bundle, kb), list)
        try:
            import_bundle(bundle, kb, as_of=AS_OF, strict=False)
        except CaseError:
            pass

    def test_cli_import_of_a_malformed_bundle_exits_1(self, tmp_path: Path) -> None:
        """`clepath fhir import` on {'entry': [1]}: exit 1 and the path in the message."""
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                   "entry": [1]}))
        run = subprocess.run([sys.executable, "-m", "clepath.cli.main", "fhir", "import",
                              str(bad)], capture_output=True, text=True, check=False)

        assert 1 == run.returncode
        assert "Bundle.entry[0]: is not a Bundle entry" in run.stderr.replace("\n", " ")
        assert "Traceback" not in run.stderr


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*path, i)
            yield from _paths(value, (*path, i))


def test_cli_import_prints_the_header(tmp_path: Path) -> None:
    """`clepath fhir import` of an EHR Bundle prints the resource counts and the reasons."""
    path = tmp_path / "ehr.json"
    path.write_text(json.dumps(_mixed_bundle()))
    run = subprocess.run([sys.executable, "-m", "clepath.cli.main", "fhir", "import", str(path),
                          "--as-of", "2024-03-15"], capture_output=True, text=True, check=False)
    err = " ".join(run.stderr.split())

    assert 0 == run.returncode, run.stderr
    assert "import: 14 resources: 2 imported, 4 inferred, 4 skipped, 4 unmapped" in err
    assert "1 x not read: a Medication no medication course refers to" in err
    assert "dose: 400 mg" in run.stdout
