"""Case -> FHIR R4 Bundle: every fact in the right resource, with the right codes and units."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import given
from hypothesis import strategies as st

from clepath.casefile import load_case
from clepath.fhir import terminology as t
from clepath.fhir.export import case_to_bundle, frequency_timing
from clepath.fhir.validate import validate_bundle
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.vocabulary import Frequency
from tests.conftest import SCLE_CASE, SEED_CASE
from tests.fhir.factory import small_case


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _codes(concept: dict[str, Any], system: str) -> list[str]:
    return [c["code"] for c in concept.get("coding", []) if c["system"] == system]


def _by_local(bundle: dict[str, Any], kind: str, system: str, code: str) -> dict[str, Any]:
    for resource in _resources(bundle, kind):
        if code in _codes(resource.get("code") or resource.get("medicationCodeableConcept")
                          or {}, t.local_system(system)):
            return resource
    raise AssertionError(f"no {kind} with {system}|{code}")


@pytest.fixture(scope="module")
def scle(kb: KnowledgeBase) -> dict[str, Any]:
    """Example 2 (the fully recorded SCLE patient) as a Bundle."""
    return case_to_bundle(load_case(SCLE_CASE, kb), kb).bundle


@pytest.fixture(scope="module")
def seed(kb: KnowledgeBase) -> dict[str, Any]:
    """Example 1 (the published case) as a Bundle."""
    return case_to_bundle(load_case(SEED_CASE, kb), kb).bundle


class TestValidity:
    @pytest.mark.parametrize("path", [SEED_CASE, SCLE_CASE], ids=["example-1", "example-2"])
    def test_examples_validate_with_r4b_and_our_checks(self, kb: KnowledgeBase, path: Any
                                                       ) -> None:
        """Both case-format examples export to Bundles the R4B models and our checks accept."""
        bundle = case_to_bundle(load_case(path, kb), kb).bundle

        Bundle.model_validate(bundle)
        assert [] == validate_bundle(bundle, kb)

    def test_export_is_deterministic(self, kb: KnowledgeBase) -> None:
        """The same case always gives the same Bundle (name-based ids)."""
        case = load_case(SCLE_CASE, kb)

        first = json.dumps(case_to_bundle(case, kb).bundle, sort_keys=True)

        assert first == json.dumps(case_to_bundle(case, kb).bundle, sort_keys=True)


class TestPatient:
    def test_weight_and_height_use_the_vital_sign_loinc_codes(self, scle: dict[str, Any]
                                                              ) -> None:
        """176 lb is sent as exactly 79.83225712 kg under LOINC 29463-7 (never the float noise
        79.83225712000001) and 5 ft 3 in as 160.02 cm under 8302-2."""
        vitals = {_codes(o["code"], t.LOINC)[0]: o["valueQuantity"]
                  for o in _resources(scle, "Observation") if _codes(o["code"], t.LOINC)
                  and o["category"][0]["coding"][0]["code"] == "vital-signs"}

        assert (79.83225712, "kg") == (vitals["29463-7"]["value"], vitals["29463-7"]["code"])
        assert (160.02, "cm") == (vitals["8302-2"]["value"], vitals["8302-2"]["code"])

    def test_no_float_noise_in_any_quantity(self, scle: dict[str, Any]) -> None:
        """No value of the Bundle carries conversion noise (at most 8 decimals; the dosing weight
        at the 2 decimals the pages show)."""
        text = json.dumps(scle)
        import re

        noisy = re.findall(r'"value": -?\d+\.\d{9,}', text)
        assert [] == noisy

    def test_age_without_birth_date_is_an_extension(self, seed: dict[str, Any]) -> None:
        """Example 1 gives only the age (47): it travels as the age-at-assessment extension."""
        patient = _resources(seed, "Patient")[0]

        assert "birthDate" not in patient
        assert 47 == patient["extension"][0]["valueAge"]["value"]


class TestConditions:
    def test_scle_carries_icd10_and_snomed(self, scle: dict[str, Any]) -> None:
        """SCLE_ANNULAR is coded L93.1 (ICD-10) and 239891002 (SNOMED CT), sites as bodySite."""
        condition = _by_local(scle, "Condition", "cle-subtype", "SCLE_ANNULAR")

        assert ["L93.1"] == _codes(condition["code"], t.ICD10)
        assert ["239891002"] == _codes(condition["code"], t.SNOMED)
        assert 5 == len(condition["bodySite"]) and "2021-09" == condition["onsetDateTime"]

    def test_convention_codes_are_not_sent_as_confirmed(self, kb: KnowledgeBase) -> None:
        """ACLE's M32.9 is a coding convention (tag U): left out and reported as local only."""
        from clepath.domain.case import CleEntry

        result = case_to_bundle(small_case(cle=(CleEntry("ACLE_LOCALIZED"),)), kb,
                                include_scores=False)
        condition = _by_local(result.bundle, "Condition", "cle-subtype", "ACLE_LOCALIZED")

        assert [] == _codes(condition["code"], t.ICD10)
        assert ["95332009"] == _codes(condition["code"], t.SNOMED)
        assert any("M32.9" in i.reason for i in result.report.of_kind("local_only"))


class TestLabs:
    def test_wbc_has_loinc_and_ucum(self, seed: dict[str, Any]) -> None:
        """1300 /mm3 is sent as 1.3 10*9/L under LOINC 6690-2."""
        wbc = _by_local(seed, "Observation", "lab-test", "wbc")

        assert ["6690-2"] == _codes(wbc["code"], t.LOINC)
        assert (1.3, "10*9/L", t.UCUM) == (round(wbc["valueQuantity"]["value"], 6),
                                           wbc["valueQuantity"]["code"],
                                           wbc["valueQuantity"]["system"])

    def test_method_specific_loinc_is_reported_not_guessed(self, kb: KnowledgeBase) -> None:
        """anti-dsDNA has two method-specific LOINC codes: none is sent, the report says why."""
        from clepath.casefile import load_case as load

        result = case_to_bundle(load(SCLE_CASE, kb), kb)
        dsdna = _by_local(result.bundle, "Observation", "lab-test", "anti_dsdna")

        assert [] == _codes(dsdna["code"], t.LOINC)
        assert any(i.code == "anti_dsdna" and "method" in i.reason
                   for i in result.report.of_kind("local_only"))

    def test_titre_range_and_result_word(self, kb: KnowledgeBase) -> None:
        """ANA 1:160 is a Ratio; C3 keeps its 0.9-1.8 g/L range; positive is v3 POS."""
        bundle = case_to_bundle(small_case(), kb, include_scores=False).bundle
        ana = _by_local(bundle, "Observation", "lab-test", "ana")
        c3 = _by_local(bundle, "Observation", "lab-test", "c3")
        ro = _by_local(bundle, "Observation", "lab-test", "anti_ro")

        assert 160 == ana["valueRatio"]["denominator"]["value"]
        assert (0.9, 1.8) == (c3["referenceRange"][0]["low"]["value"],
                              c3["referenceRange"][0]["high"]["value"])
        assert "POS" == ro["interpretation"][0]["coding"][0]["code"]


class TestSurveys:
    def test_clasi_items_and_totals(self, scle: dict[str, Any]) -> None:
        """The 2024-03-15 CLASI has CLASI-A 12 and CLASI-D 1 as components, items beside."""
        clasi = [o for o in _resources(scle, "Observation")
                 if _codes(o["code"], t.local_system("instrument")) == ["clasi"]
                 and o["effectiveDateTime"] == "2024-03-15"][0]
        values = {_codes(c["code"], t.local_system("clasi-item"))[0]:
                  c.get("valueInteger", c.get("valueBoolean")) for c in clasi["component"]}

        assert (12, 1, 2, 1) == (values["activity"], values["damage"],
                                 values["v_neck.erythema"], values["recent_hair_loss"])
        assert "survey" == clasi["category"][0]["coding"][0]["code"]

    def test_sledai_and_eular_acr(self, scle: dict[str, Any]) -> None:
        """SLEDAI-2K 12 and EULAR/ACR 2019 22 points, classified, 6 points musculoskeletal."""
        sledai = _by_local(scle, "Observation", "instrument", "sledai-2k")
        eular = _by_local(scle, "Observation", "instrument", "eular-acr-2019")
        parts = {c["code"]["coding"][0]["code"]: c.get("valueInteger", c.get("valueBoolean"))
                 for c in eular["component"]}

        assert (12, 22) == (sledai["valueQuantity"]["value"], eular["valueQuantity"]["value"])
        assert (True, 6) == (parts["classified"], parts["musculoskeletal"])

    def test_unknown_entry_criterion_is_data_absent(self, seed: dict[str, Any]) -> None:
        """No ANA in Example 1: the entry criterion is `unknown`, never false."""
        eular = _by_local(seed, "Observation", "instrument", "eular-acr-2019")
        entry = eular["component"][0]

        assert "valueBoolean" not in entry
        assert "unknown" == entry["dataAbsentReason"]["coding"][0]["code"]


class TestTherapies:
    def test_methotrexate_course(self, scle: dict[str, Any]) -> None:
        """Methotrexate 15 mg weekly sc, 2023-06-15 to 2023-11-20, failed: status stopped."""
        mtx = _by_local(scle, "MedicationStatement", "drug", "methotrexate")
        dosage = mtx["dosage"][0]

        assert ("stopped", "failed") == (mtx["status"], mtx["statusReason"][0]["coding"][0]["code"])
        assert {"start": "2023-06-15", "end": "2023-11-20"} == mtx["effectivePeriod"]
        assert ({"frequency": 1, "period": 1, "periodUnit": "wk"}, 15.0) == (
            dosage["timing"]["repeat"], dosage["doseAndRate"][0]["doseQuantity"]["value"])


class TestIvig:
    def test_seed_course_plan(self, seed: dict[str, Any]) -> None:
        """Example 1: 2 g/kg of 60 kg over 5 days is 24 g a day; then 60 g every 4 weeks x4."""
        plan = _resources(seed, "CarePlan")[0]
        requests = _resources(seed, "MedicationRequest")
        grams = [[d["doseAndRate"][0]["doseQuantity"]["value"] for d in r["dosageInstruction"]]
                 for r in requests]

        assert [[24.0] * 5, [60.0], [60.0], [60.0], [60.0]] == grams
        assert 5 == len(plan["activity"]) and "2019-06-03" == plan["period"]["start"]

    def test_request_travels_in_the_care_plan(self, scle: dict[str, Any]) -> None:
        """Example 2's request (2 g/kg over 5 days, Privigen, UK_DDW) is the CarePlan extension."""
        ext = _resources(scle, "CarePlan")[0]["extension"][0]["extension"]
        parts = {e["url"]: e for e in ext}

        assert 2.0 == parts["induction-dose"]["valueQuantity"]["value"]
        assert ("privigen", "UK_DDW") == (parts["product"]["valueCoding"]["code"],
                                          parts["policy"]["valueCoding"]["code"])


class TestFrequencyTiming:
    @given(st.sampled_from(["daily", "twice_daily", "three_times_daily", "four_times_daily",
                            "every_other_day", "weekly", "twice_weekly", "every_2_weeks",
                            "every_4_weeks", "monthly"]))
    def test_every_vocabulary_frequency_has_a_timing(self, frequency: str) -> None:
        """Each frequency of the vocabulary has a Timing.repeat giving back its doses a week."""
        from clepath.knowledge.loader import load_knowledge

        kb = load_knowledge()
        rate = next(f.doses_per_week for f in kb.table("vocabulary", "frequencies", Frequency)
                    if f.id == frequency)
        repeat = frequency_timing(rate)
        days = {"d": 1, "wk": 7, "mo": 30.436875}[repeat["periodUnit"]]  # type: ignore[index]

        assert repeat is not None
        assert rate == pytest.approx(repeat["frequency"] * 7 / (repeat["period"] * days),
                                     rel=0.02)
