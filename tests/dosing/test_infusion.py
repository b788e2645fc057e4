"""Infusion schedules from the label rate tables (ivig.md §3 worked example)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.dosing import catalogue
from clepath.dosing.infusion import infusion_day, infusion_profile, ml_per_hour
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import InfusionRate
from tests.dosing.factories import ivig_kb

DW = 63.43


def _rate(kb: KnowledgeBase, rate_id: str) -> InfusionRate:
    return next(r for r in kb.table("ivig", "rates", InfusionRate) if r.id == rate_id)


def _minutes(kb: KnowledgeBase, product: str, grams: float, *, at_risk: bool = False,
             rate_id: str | None = None) -> float:
    row = _rate(kb, rate_id) if rate_id else None
    profile = infusion_profile(catalogue.product(kb, product), kb, DW, at_risk=at_risk, row=row)
    return infusion_day(grams, profile).minutes


class TestWorkedExample:
    def test_octagam_10_25_g_takes_about_113_minutes(self, kb: KnowledgeBase) -> None:
        """25 g of Octagam 10 % at 63.43 kg on steps 1/2/4/8 mg/kg/min takes about 113 min."""
        assert 113 == round(_minutes(kb, "octagam_10", 25, rate_id="octagam_10.citp"))

    def test_step_rates_in_ml_per_hour(self) -> None:
        """1, 2, 4 and 8 mg/kg/min of a 10 % product at 63.43 kg are 38, 76, 152 and 304 mL/h."""
        rates = [round(ml_per_hour(r, DW, 100)) for r in (1, 2, 4, 8)]

        assert [38, 76, 152, 304] == rates

    def test_octagam_65_g_takes_about_168_minutes(self, kb: KnowledgeBase) -> None:
        """65 g of Octagam 10 % up to 12 mg/kg/min takes about 168 min."""
        assert 168 == round(_minutes(kb, "octagam_10", 65, rate_id="octagam_10.citp"))

    def test_at_risk_cap_3_3_takes_about_152_minutes(self, kb: KnowledgeBase) -> None:
        """Capped at 3.3 mg/kg/min, 25 g takes about 152 min and 65 g about 343 min."""
        assert (152, 343) == (
            round(_minutes(kb, "octagam_10", 25, at_risk=True, rate_id="octagam_10.citp")),
            round(_minutes(kb, "octagam_10", 65, at_risk=True, rate_id="octagam_10.citp")),
        )

    def test_privigen_doubling_default_takes_about_141_minutes(self, kb: KnowledgeBase) -> None:
        """Privigen doubling from 0.5 mg/kg/min every 30 min (no label steps): about 141 min."""
        assert 141 == round(_minutes(kb, "privigen", 25))

    def test_octagam_default_for_cle_uses_the_dermatomyositis_ceiling(
        self, kb: KnowledgeBase
    ) -> None:
        """For CLE Octagam 10 % stops at 4 mg/kg/min (dermatomyositis): 25 g takes 136 min."""
        profile = infusion_profile(catalogue.product(kb, "octagam 10%"), kb, DW, at_risk=False)

        assert ("octagam_10.dermatomyositis", 4.0) == (
            profile.rate_id, profile.steps[-1].rate_mg_kg_min
        )
        assert 136 == round(infusion_day(25, profile).minutes)


class TestTitration:
    def test_doubling_default_stops_at_the_label_maximum(self, kb: KnowledgeBase) -> None:
        """Gammagard doubles 0.8 -> 1.6 -> 3.2 -> 6.4 and then runs at its 9 mg/kg/min maximum."""
        profile = infusion_profile(catalogue.product(kb, "gammagard"), kb, 70, at_risk=False)

        assert [0.8, 1.6, 3.2, 6.4, 9] == [s.rate_mg_kg_min for s in profile.steps]
        assert "doubling_default" == profile.steps_basis

    def test_last_step_is_open_ended(self, kb: KnowledgeBase) -> None:
        """Every step but the last has a duration; the last runs until the dose is in."""
        profile = infusion_profile(catalogue.product(kb, "privigen"), kb, 70, at_risk=False)

        assert [30, 30, 30, 30, None] == [s.minutes for s in profile.steps]

    def test_minimum_practicable_default_cap(self, kb: KnowledgeBase) -> None:
        """Privigen's label gives no at-risk number: the 3.3 mg/kg/min default applies."""
        profile = infusion_profile(catalogue.product(kb, "privigen"), kb, 70, at_risk=True)

        assert ([0.5, 1, 2, 3.3], "minimum_practicable_default") == (
            [s.rate_mg_kg_min for s in profile.steps], profile.cap_basis
        )
        assert "ivig.minimum_practicable_cap_mg_kg_min" in profile.unconfirmed

    def test_bivigam_label_cap_of_2(self, kb: KnowledgeBase) -> None:
        """Bivigam's own at-risk figure (2 mg/kg/min) is used, with its 10-minute first step."""
        profile = infusion_profile(catalogue.product(kb, "bivigam"), kb, 70, at_risk=True)

        assert [(0.5, 10), (1.3, 20), (2.0, None)] == [
            (s.rate_mg_kg_min, s.minutes) for s in profile.steps
        ]

    def test_rates_use_the_dosing_weight(self, kb: KnowledgeBase) -> None:
        """The rate weight is the one given, labelled as the dosing weight."""
        profile = infusion_profile(catalogue.product(kb, "privigen"), kb, 63.43, at_risk=False)

        assert (63.43, "dosing weight") == (profile.weight_kg, profile.weight_basis)

    @pytest.mark.parametrize("product", sorted(p.id for p in catalogue.products(ivig_kb())))
    def test_every_product_has_one_default_rate_table(
        self, kb: KnowledgeBase, product: str
    ) -> None:
        """Each product has exactly one rate table marked as the planner's default."""
        assert product == catalogue.default_rate(kb, product).product

    @given(grams=st.floats(1, 200), more=st.floats(0.5, 50), weight=st.floats(35, 150))
    def test_more_grams_take_longer_and_volume_is_conserved(
        self, grams: float, more: float, weight: float
    ) -> None:
        """Time grows with the dose, and the steps' volumes add up to the day's volume."""
        kb = ivig_kb()
        profile = infusion_profile(catalogue.product(kb, "panzyga"), kb, weight, at_risk=False)
        small, large = infusion_day(grams, profile), infusion_day(grams + more, profile)

        assert small.minutes < large.minutes
        assert abs(sum(r.volume_ml for r in small.runs) - small.volume_ml) < 1e-6
