"""Dosing weight: Devine IBW, the dose-determining weight and each policy's edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.dosing.weight import (
    body_mass_index,
    dose_determining_weight,
    dosing_weight,
    height_in_inches,
    ideal_body_weight,
)
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from tests.dosing.factories import ivig_kb, patient


class TestFormulas:
    def test_female_160_cm_80_kg_matches_the_worked_check(self, kb: KnowledgeBase) -> None:
        """Female 160 cm, 80 kg: IBW 52.38 kg, BMI 31.25, DDW 63.43 kg (ivig.md §1.7)."""
        w = dosing_weight(patient(sex="female", height_cm=160, weight_kg=80), kb)

        assert (52.38, 31.25, 63.43) == (round(w.ibw_kg, 2), round(w.bmi, 2), round(w.kg, 2))

    def test_male_175_cm_100_kg_matches_the_worked_check(self, kb: KnowledgeBase) -> None:
        """Male 175 cm, 100 kg: IBW 70.46 kg and DDW 82.28 kg."""
        w = dosing_weight(patient(sex="male", height_cm=175, weight_kg=100), kb)

        assert (70.46, 82.28) == (round(w.ibw_kg, 2), round(w.kg, 2))

    def test_factor_0_3_gives_60_67_kg(self) -> None:
        """With the adjustment factor set to 0.3 the 160 cm / 80 kg woman doses on 60.67 kg."""
        w = dosing_weight(patient(height_cm=160, weight_kg=80), ivig_kb(adjustment_factor=0.3))

        assert 60.67 == round(w.kg, 2)

    def test_factor_outside_0_3_to_0_5_is_refused(self) -> None:
        """An adjustment factor of 0.6 is outside the documented 0.3-0.5 range."""
        from clepath.errors import KnowledgeError

        with pytest.raises(KnowledgeError):
            ivig_kb(adjustment_factor=0.6)

    def test_nba_inch_factor(self, kb: KnowledgeBase) -> None:
        """160 cm is 62.99 inches with the NBA's 0.393701."""
        assert 62.9922 == round(height_in_inches(160, kb), 4)

    def test_devine_at_60_inches_is_the_base_weight(self, kb: KnowledgeBase) -> None:
        """At exactly 60 inches a man's IBW is 50 kg and a woman's 45.5 kg."""
        cm = 60 / 0.393701

        assert (50.0, 45.5) == (
            round(ideal_body_weight("male", cm, kb), 6),
            round(ideal_body_weight("female", cm, kb), 6),
        )

    def test_ddw_and_bmi_helpers(self) -> None:
        """DDW = IBW + 0.4 x (actual - IBW); BMI = kg / m2."""
        assert (64.0, 25.0) == (
            dose_determining_weight(60, 70, 0.4), round(body_mass_index(64, 160), 9)
        )

    @given(
        sex=st.sampled_from(["female", "male"]),
        height=st.floats(152.4, 210),
        weight=st.floats(40, 250),
        policy=st.sampled_from(["UK_DDW", "US_120", "AU_2026", "ONTARIO", "ACTUAL"]),
    )
    def test_dosing_weight_never_exceeds_actual_weight(
        self, sex: str, height: float, weight: float, policy: str
    ) -> None:
        """Outside pregnancy the dosing weight lies between min(actual, IBW) and actual."""
        w = dosing_weight(patient(sex=sex, height_cm=height, weight_kg=weight), ivig_kb(), policy)

        assert min(weight, w.ibw_kg) - 1e-9 <= w.kg <= weight + 1e-9


class TestUkPolicy:
    def test_default_policy_is_uk_ddw(self, kb: KnowledgeBase) -> None:
        """With no policy named the pack's default, UK_DDW, applies."""
        assert "UK_DDW" == dosing_weight(patient(), kb).policy

    def test_seed_patient_doses_on_actual_weight(self, kb: KnowledgeBase) -> None:
        """60 kg at 158 cm (BMI 24.0, 118.6 % of IBW) fires no UK trigger: actual weight."""
        w = dosing_weight(patient(weight_kg=60, height_cm=158, age_years=47), kb)

        assert (60.0, "actual", "ivig.policies.UK_DDW.no_trigger") == (w.kg, w.basis, w.rule)

    def test_percent_of_ibw_alone_triggers(self, kb: KnowledgeBase) -> None:
        """165 cm, 125 % of IBW, BMI 26: adjusted for the percentage, not the BMI."""
        ibw = ideal_body_weight("female", 165, kb)
        w = dosing_weight(patient(height_cm=165, weight_kg=1.25 * ibw), kb)

        assert ("dose_determining", 1) == (w.basis, len(w.triggers))
        assert w.triggers[0].startswith("actual weight 125.0% of IBW")

    def test_obese_patient_names_both_triggers(self, kb: KnowledgeBase) -> None:
        """160 cm / 80 kg fires the BMI and the percentage triggers, and both are reported."""
        w = dosing_weight(patient(height_cm=160, weight_kg=80), kb)

        assert ("BMI 31.25 > 30 kg/m²", "actual weight 152.7% of IBW > 120%") == w.triggers

    def test_exactly_120_percent_of_ibw_does_not_trigger(self, kb: KnowledgeBase) -> None:
        """The UK trigger is "more than 20 % over IBW": exactly 120 % stays on actual weight."""
        ibw = ideal_body_weight("female", 170, kb)
        w = dosing_weight(patient(height_cm=170, weight_kg=1.2 * ibw), kb)

        assert "actual" == w.basis

    def test_age_17_uses_actual_weight(self, kb: KnowledgeBase) -> None:
        """Under 18 the dose-determining weight is not used."""
        w = dosing_weight(patient(height_cm=160, weight_kg=80, age_years=17), kb)

        assert ("actual", "ivig.policies.UK_DDW.age_under_minimum") == (w.basis, w.rule)

    def test_height_151_cm_uses_actual_weight(self, kb: KnowledgeBase) -> None:
        """Below 152 cm actual weight is used however heavy the patient."""
        w = dosing_weight(patient(height_cm=151.9, weight_kg=90), kb)

        assert ("actual", 90.0) == (w.basis, w.kg)

    def test_height_152_cm_is_adjusted(self, kb: KnowledgeBase) -> None:
        """At 152 cm the formula applies."""
        assert "dose_determining" == dosing_weight(patient(height_cm=152, weight_kg=90), kb).basis

    def test_pregnancy_uses_actual_weight(self, kb: KnowledgeBase) -> None:
        """A pregnant patient doses on actual weight under UK_DDW."""
        w = dosing_weight(patient(height_cm=160, weight_kg=80, pregnant=True), kb)

        assert ("actual", 80.0) == (w.basis, w.kg)

    def test_missing_height_falls_back_to_actual_weight(self, kb: KnowledgeBase) -> None:
        """Without a height IBW cannot be computed: actual weight, and the gap is named."""
        w = dosing_weight(patient(height_cm=None, weight_kg=100), kb)

        assert ("actual", ("height",), None) == (w.basis, w.missing, w.ibw_kg)

    def test_missing_weight_is_an_error(self, kb: KnowledgeBase) -> None:
        """No weight, no dose: the input error names patient.weight."""
        with pytest.raises(CaseError) as info:
            dosing_weight(patient(weight_kg=None), kb)

        assert ["patient.weight"] == [p.field for p in info.value.problems]

    def test_unknown_policy_lists_the_known_ones(self, kb: KnowledgeBase) -> None:
        """An unknown policy name is a CaseError with suggestions."""
        with pytest.raises(CaseError) as info:
            dosing_weight(patient(), kb, "UK_DWD")

        assert "UK_DDW" in info.value.problems[0].suggestions


class TestUs120Policy:
    def test_119_percent_of_ibw_stays_actual(self, kb: KnowledgeBase) -> None:
        """Up to 120 % of IBW the order set doses on actual weight."""
        ibw = ideal_body_weight("female", 153, kb)
        w = dosing_weight(patient(height_cm=153, weight_kg=1.19 * ibw), kb, "US_120")

        assert "actual" == w.basis

    def test_above_120_percent_is_adjusted(self, kb: KnowledgeBase) -> None:
        """Above 120 % of IBW the dose-determining weight is used."""
        w = dosing_weight(patient(sex="male", height_cm=175, weight_kg=100), kb, "US_120")

        assert (82.28, "ivig.policies.US_120.triggered") == (round(w.kg, 2), w.rule)


class TestAu2026Policy:
    def test_everyone_eligible_is_adjusted(self, kb: KnowledgeBase) -> None:
        """AU_2026 adjusts a lean adult too (105 % of IBW)."""
        ibw = ideal_body_weight("female", 165, kb)
        w = dosing_weight(patient(height_cm=165, weight_kg=1.05 * ibw), kb, "AU_2026")

        assert ("dose_determining", "ivig.policies.AU_2026.always") == (w.basis, w.rule)

    def test_actual_below_ibw_uses_actual(self, kb: KnowledgeBase) -> None:
        """Actual weight below IBW (so below the adjusted weight) is used as it is."""
        w = dosing_weight(patient(height_cm=170, weight_kg=50), kb, "AU_2026")

        assert ("actual", 50.0, "ivig.policies.AU_2026.actual_below_ibw") == (
            w.basis, w.kg, w.rule
        )

    @pytest.mark.parametrize(
        ("extra", "rule"),
        [
            ({"age_years": 17}, "age_under_minimum"),
            ({"height_cm": 151}, "height_under_minimum"),
            ({"pregnant": True}, "pregnancy"),
        ],
    )
    def test_nba_exclusions(self, kb: KnowledgeBase, extra: dict, rule: str) -> None:
        """Under 18, under 152 cm and pregnancy all use actual weight (NBA exclusions)."""
        values = {"height_cm": 165, "weight_kg": 90, **extra}
        w = dosing_weight(patient(**values), kb, "AU_2026")

        assert ("actual", f"ivig.policies.AU_2026.{rule}") == (w.basis, w.rule)


class TestOntarioPolicy:
    def test_152_3_cm_uses_actual_weight(self, kb: KnowledgeBase) -> None:
        """Ontario's height threshold is 152.4 cm, stricter than 152."""
        w = dosing_weight(patient(height_cm=152.3, weight_kg=90), kb, "ONTARIO")

        assert "ivig.policies.ONTARIO.height_under_minimum" == w.rule

    def test_weight_above_45_5_kg_woman_is_adjusted(self, kb: KnowledgeBase) -> None:
        """A woman over 45.5 kg and at least 152.4 cm goes through the calculator."""
        w = dosing_weight(patient(height_cm=165, weight_kg=60), kb, "ONTARIO")

        assert "dose_determining" == w.basis

    def test_pre_pregnancy_weight_goes_into_the_calculator(self, kb: KnowledgeBase) -> None:
        """Pregnant, 90 kg now, 80 kg before, 160 cm: DDW from 80 kg is 63.43 kg."""
        pt = patient(height_cm=160, weight_kg=90, pregnant=True, pre_pregnancy_weight_kg=80)
        w = dosing_weight(pt, kb, "ONTARIO")

        assert (63.43, 80.0, 90.0) == (round(w.kg, 2), w.weight_in_kg, w.actual_kg)

    def test_pregnant_without_pre_pregnancy_weight_uses_actual(self, kb: KnowledgeBase) -> None:
        """Without a pre-pregnancy weight Ontario falls back to actual weight, and says so."""
        w = dosing_weight(patient(height_cm=160, weight_kg=90, pregnant=True), kb, "ONTARIO")

        assert ("actual", 90.0) == (w.basis, w.kg)
        assert any("pre-pregnancy weight not recorded" in n for n in w.notes)

    def test_uk_ignores_the_pre_pregnancy_weight(self, kb: KnowledgeBase) -> None:
        """UK_DDW uses actual weight in pregnancy even when a pre-pregnancy weight is given."""
        pt = patient(height_cm=160, weight_kg=90, pregnant=True, pre_pregnancy_weight_kg=80)

        assert 90.0 == dosing_weight(pt, kb, "UK_DDW").kg

    def test_a_tall_17_year_old_is_judged_by_height_and_weight(self, kb: KnowledgeBase) -> None:
        """Ontario excludes children only when they miss the height/weight criteria."""
        w = dosing_weight(patient(height_cm=170, weight_kg=90, age_years=17), kb, "ONTARIO")

        assert "dose_determining" == w.basis


class TestActualPolicy:
    def test_actual_policy_never_adjusts(self, kb: KnowledgeBase) -> None:
        """ACTUAL doses a 160 cm / 80 kg woman on 80 kg."""
        w = dosing_weight(patient(height_cm=160, weight_kg=80), kb, "actual weight")

        assert (80.0, "ivig.policies.ACTUAL.policy_actual") == (w.kg, w.rule)
