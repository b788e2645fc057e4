"""The safety gate: each hard stop, the label warnings, CLE signals and the checklist."""

from __future__ import annotations

import datetime as dt

import pytest

from clepath.domain.case import Case, Patient, TherapyCourse
from clepath.domain.dates import PartialDate
from clepath.dosing import catalogue
from clepath.dosing.plan import PlanOptions, plan_ivig
from clepath.dosing.regimen import RegimenOverrides, build_regimen
from clepath.dosing.safety import RULES, Alert, SafetyInputs, patient_alerts, risk_profile
from clepath.dosing.weight import dosing_weight
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.knowledge.models.ivig import SafetyRule
from tests.dosing.factories import case, patient, request


def _codes(
    kb: KnowledgeBase, c: Case, inputs: SafetyInputs | None = None, **options: object
) -> dict[str, Alert]:
    plan = plan_ivig(c, kb, inputs=inputs, options=PlanOptions(**options))  # type: ignore[arg-type]
    return {a.code: a for a in plan.alerts}


def _blocked(kb: KnowledgeBase, c: Case, **options: object) -> bool:
    return plan_ivig(c, kb, options=PlanOptions(**options)).blocked  # type: ignore[arg-type]


class TestRulesAreData:
    def test_every_trigger_has_a_pack_rule_and_back(self, kb: KnowledgeBase) -> None:
        """The planner's rule ids and the pack's safety_rules rows are the same set."""
        pack = {r.id for r in kb.table("ivig", "safety_rules", SafetyRule)}

        assert set(RULES) == pack


class TestHardStops:
    def test_iga_deficiency_with_anti_iga_antibodies(self, kb: KnowledgeBase) -> None:
        """IgA deficiency with anti-IgA antibodies blocks the plan."""
        c = case(patient(conditions=("iga_deficiency", "anti_iga_antibodies")))

        assert "block" == _codes(kb, c)["iga_anti_iga"].severity

    def test_iga_deficiency_from_labs(self, kb: KnowledgeBase) -> None:
        """A low IgA and a positive anti-IgA passed in from the labs also block."""
        c = case(patient())
        alerts = _codes(kb, c, SafetyInputs(iga_deficient=True, anti_iga_positive=True))

        assert "iga_anti_iga" in alerts

    def test_hereditary_fructose_intolerance_with_sorbitol(self, kb: KnowledgeBase) -> None:
        """HFI blocks Flebogamma (sorbitol) but not Privigen."""
        c = case(patient(conditions=("hereditary_fructose_intolerance",)))

        assert (True, False) == (
            _blocked(kb, c, product="flebogamma 10%"), _blocked(kb, c, product="privigen")
        )

    def test_gammaplex_5_sorbitol_by_class_reasoning(self, kb: KnowledgeBase) -> None:
        """Gammaplex 5 % contains sorbitol: HFI blocks it too."""
        c = case(patient(conditions=("hereditary_fructose_intolerance",)))

        assert "hfi_sorbitol" in _codes(kb, c, product="gammaplex 5%")

    def test_hyperprolinaemia_with_proline(self, kb: KnowledgeBase) -> None:
        """Hyperprolinaemia blocks Privigen (L-proline) but not Octagam."""
        c = case(patient(conditions=("hyperprolinaemia",)))

        assert (True, False) == (
            _blocked(kb, c, product="privigen"), _blocked(kb, c, product="octagam 10%")
        )

    def test_sucrose_product_with_renal_risk(self, kb: KnowledgeBase) -> None:
        """A sucrose-containing product is blocked when the patient is at renal risk."""
        sucrose = catalogue.product(kb, "privigen").model_copy(
            update={"id": "legacy", "label": "Legacy IVIG", "excipients": ("sucrose",),
                    "sucrose_free": False}
        )
        c = case(patient(conditions=("diabetes",)))
        risks = risk_profile(c, SafetyInputs(), kb, None)
        alerts = patient_alerts(c, SafetyInputs(), kb, risks=risks, product=sucrose,
                                weight=dosing_weight(c.patient, kb),
                                regimen=build_regimen(kb, c.ivig_request))

        assert "block" == {a.code: a for a in alerts}["sucrose_renal"].severity

    def test_no_hard_stop_for_an_ordinary_patient(self, kb: KnowledgeBase) -> None:
        """A patient with no contraindication is not blocked."""
        assert not _blocked(kb, case(patient()), product="privigen")

    def test_hfi_without_a_product_names_the_products_to_avoid(self, kb: KnowledgeBase) -> None:
        """With no product chosen, HFI warns against the sorbitol products by name."""
        alert = _codes(kb, case(patient(conditions=("hereditary_fructose_intolerance",))))[
            "excipient_avoid"
        ]

        assert "Flebogamma 10 % DIF" in alert.message and "Gammaplex 5 %" in alert.message


class TestWarnings:
    def test_estrogen_use_is_a_thrombosis_risk_and_caps_the_rate(self, kb: KnowledgeBase) -> None:
        """Estrogen use raises the thrombosis warning and caps the infusion rate."""
        plan = plan_ivig(case(patient(conditions=("estrogen_use",))), kb,
                         options=PlanOptions(product="privigen"))
        codes = {a.code for a in plan.alerts}

        assert {"thrombosis_risk", "rate_capped"} <= codes
        assert 3.3 == plan.infusion.cap_mg_kg_min  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("pt", "inputs", "factor"),
        [
            (patient(age_years=70), SafetyInputs(), "age over 65 (70)"),
            (patient(conditions=("diabetes",)), SafetyInputs(), "diabetes mellitus"),
            (patient(), SafetyInputs(egfr=45, egfr_date=dt.date(2024, 3, 1)), "eGFR 45"),
            (patient(conditions=("volume_depletion",)), SafetyInputs(), "volume depletion"),
        ],
    )
    def test_renal_risk_factors(
        self, kb: KnowledgeBase, pt: Patient, inputs: SafetyInputs, factor: str
    ) -> None:
        """Age over 65, diabetes, eGFR below 60 and volume depletion raise the renal warning."""
        assert factor in _codes(kb, case(pt), inputs)["renal_risk"].message

    def test_egfr_60_is_not_renal_insufficiency(self, kb: KnowledgeBase) -> None:
        """eGFR exactly 60 is not below the threshold."""
        assert "renal_risk" not in _codes(kb, case(patient()), SafetyInputs(egfr=60))

    def test_ongoing_nephrotoxic_drug_is_a_renal_risk(self, kb: KnowledgeBase) -> None:
        """Oral tacrolimus ongoing at as_of counts; topical tacrolimus does not."""
        oral = TherapyCourse("tacrolimus", route="oral", start=PartialDate(2024, 1))
        topical = TherapyCourse("tacrolimus", route="topical", start=PartialDate(2024, 1))

        assert "renal_risk" in _codes(kb, case(patient(), therapies=[oral]))
        assert "renal_risk" not in _codes(kb, case(patient(), therapies=[topical]))

    def test_haemolysis_with_non_o_group_at_2_g_per_kg(self, kb: KnowledgeBase) -> None:
        """Blood group A at 2 g/kg warns of haemolysis; group O does not."""
        a = _codes(kb, case(patient(blood_group="A")))
        o = _codes(kb, case(patient(blood_group="O+")))

        assert ("haemolysis_non_o" in a, "haemolysis_non_o" in o) == (True, False)

    def test_haemolysis_not_raised_at_1_g_per_kg(self, kb: KnowledgeBase) -> None:
        """A 1 g/kg course is not the label's high dose."""
        c = case(patient(blood_group="B"), request(induction=None, maintenance=(1.0, 28, 2)))

        assert "haemolysis_non_o" not in _codes(kb, c)

    def test_aseptic_meningitis_at_2_g_per_kg_names_the_cycles(self, kb: KnowledgeBase) -> None:
        """Three 2 g/kg cycles give one aseptic meningitis warning naming cycles 1-3."""
        alert = _codes(kb, case(patient()), preset="ky 2015")["aseptic_meningitis"]

        assert ((1, 2, 3), "Cycles 1-3") == (alert.courses, alert.message[:10])

    def test_maltose_product_warns_about_glucose_meters(self, kb: KnowledgeBase) -> None:
        """Octagam contains maltose: glucose-meter warning, stronger wording for a diabetic."""
        alert = _codes(kb, case(patient(conditions=("diabetes",))), product="octagam")[
            "maltose_glucose_meter"
        ]

        assert "the patient has diabetes" in alert.message

    def test_more_than_1_g_per_kg_a_day(self, kb: KnowledgeBase) -> None:
        """2 g/kg in one maintenance day is above 1 g/kg a day."""
        c = case(patient(), request(induction=None, maintenance=(2.0, 28, 1)))
        plan = plan_ivig(c, kb, options=PlanOptions(regimen=RegimenOverrides(
            maintenance_days=1)))

        assert "high_daily_dose" in {a.code for a in plan.alerts}

    def test_interval_under_3_weeks(self, kb: KnowledgeBase) -> None:
        """Maintenance every 14 days is shorter than any labelled interval."""
        c = case(patient(), request(induction=None, maintenance=(1.0, 14, 2)))

        assert "short_interval" in _codes(kb, c)

    def test_iga_deficiency_prefers_low_iga_products(self, kb: KnowledgeBase) -> None:
        """IgA deficiency without antibodies warns and names the lowest-IgA product first."""
        alert = _codes(kb, case(patient(conditions=("iga_deficiency",))))["iga_deficiency"]

        assert alert.message.index("Gammaplex 10 %") < alert.message.index("Privigen")

    def test_cle_signals_are_always_shown(self, kb: KnowledgeBase) -> None:
        """The Ky 2015 flare rate and the IVIG-induced CLE signal appear on every plan."""
        codes = _codes(kb, case(patient()))

        assert "18.8 %" in codes["cle_flare"].message and "ivig_induced_cle" in codes

    def test_missing_height_warns_that_weight_was_not_adjusted(self, kb: KnowledgeBase) -> None:
        """No height: the plan uses actual weight and says it could not adjust."""
        assert "dosing_weight_unadjusted" in _codes(kb, case(patient(height_cm=None)))


class TestChecklist:
    def test_recorded_and_missing_data_are_marked(self, kb: KnowledgeBase) -> None:
        """A creatinine on record marks the renal check recorded; no blood group is named."""
        inputs = SafetyInputs(recorded_tests={"creatinine": dt.date(2024, 3, 12)})
        plan = plan_ivig(case(patient()), kb, inputs=inputs)
        status = {e.id: (e.status, e.detail) for e in plan.checklist}

        assert "recorded" == status["renal_function"][0]
        assert "blood group not recorded" in status["blood_count_group"][1]

    def test_checks_name_the_tests_in_clinical_words(self) -> None:
        """The checklist names lab tests by the labs pack's labels, never by their ids: "serum
        IgA 2024-03-12", "anti-beta2-glycoprotein I antibodies not recorded"."""
        inputs = SafetyInputs(recorded_tests={"iga": dt.date(2024, 3, 12)})
        plan = plan_ivig(case(patient()), load_knowledge(), inputs=inputs)
        detail = {e.id: e.detail for e in plan.checklist}

        assert (
            "serum IgA 2024-03-12; anti-IgA antibodies not recorded",
            "lupus anticoagulant not recorded; anticardiolipin antibodies not recorded; "
            "anti-beta2-glycoprotein I antibodies not recorded",
            [],
        ) == (
            detail["iga_status"], detail["thrombosis_review"],
            [d for d in detail.values() if "_" in d],
        )

    def test_glucose_method_only_for_maltose_products(self, kb: KnowledgeBase) -> None:
        """The glucose-method check applies to Octagam, not Privigen."""
        def status(product: str) -> str:
            plan = plan_ivig(case(patient()), kb, options=PlanOptions(product=product))
            return next(e.status for e in plan.checklist if e.id == "glucose_method")

        assert ("to do", "not applicable") == (status("octagam"), status("privigen"))
