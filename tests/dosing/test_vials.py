"""Rounding course totals to the step and dividing them into whole-vial days."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.dosing.vials import (
    VialCount,
    effective_step_g,
    pack_vials,
    round_course,
    split_days,
)
from clepath.errors import DosingError
from clepath.knowledge.models.ivig import IvigProduct
from tests.dosing.factories import ivig_kb

PRODUCT_VIALS = {p.id: p.vials_g for p in ivig_kb().table("ivig", "products", IvigProduct)}


class TestRounding:
    def test_126_9_g_rounds_to_125_g(self) -> None:
        """2 g/kg x 63.43 kg = 126.86 g is given as 125 g."""
        assert 125.0 == round_course(126.86, 5).rounded_g

    def test_63_4_g_rounds_to_65_g(self) -> None:
        """1 g/kg x 63.43 kg = 63.43 g is given as 65 g."""
        assert 65.0 == round_course(63.43, 5).rounded_g

    def test_exact_half_goes_up(self) -> None:
        """122.5 g is exactly between 120 and 125 g: nearest sends it up."""
        assert 125.0 == round_course(122.5, 5).rounded_g

    def test_down_and_up_modes(self) -> None:
        """Mode `down` gives 120 g and mode `up` 125 g for 124.9 g and 120.1 g."""
        assert (120.0, 125.0) == (
            round_course(124.9, 5, "down").rounded_g, round_course(120.1, 5, "up").rounded_g
        )

    def test_configurable_step(self) -> None:
        """A 1 g step gives 127 g for 126.86 g."""
        assert 127.0 == round_course(126.86, 1).rounded_g

    def test_step_widened_to_what_the_vials_can_make(self) -> None:
        """Asceniv comes only in 5 g vials: a 1 g step becomes 5 g."""
        assert 5.0 == effective_step_g(1, [5])

    def test_a_total_rounding_to_nothing_is_an_error(self) -> None:
        """2 g with a 5 g step would give no drug at all."""
        with pytest.raises(DosingError):
            round_course(2.0, 5)

    @given(prescribed=st.floats(5, 600), step=st.sampled_from([0.5, 1, 2, 2.5, 5, 10]))
    def test_nearest_is_within_half_a_step(self, prescribed: float, step: float) -> None:
        """The rounded total is a multiple of the step and within half a step of the dose."""
        r = round_course(prescribed, step)

        assert abs(r.rounded_g - prescribed) <= step / 2 + 1e-9
        assert abs(r.rounded_g / step - round(r.rounded_g / step)) < 1e-9


class TestSplitDays:
    def test_125_g_over_5_days_is_25_g_a_day(self) -> None:
        """125 g over 5 days is 25 g each day."""
        assert (25.0,) * 5 == split_days(125, 5, [2.5, 5, 10, 20, 40])

    def test_grams_without_a_product(self) -> None:
        """Without vials 120 g over 5 days is 24 g a day, and 125 g over 3 days sums exactly."""
        assert (24.0,) * 5 == split_days(120, 5)
        assert 125.0 == round(sum(split_days(125, 3)), 9)

    def test_uneven_split_puts_smaller_days_first(self) -> None:
        """65 g over 2 days of 5 g vials is 30 g then 35 g."""
        assert (30.0, 35.0) == split_days(65, 2, [5, 10])

    def test_unmakeable_even_split_searches_the_closest(self) -> None:
        """7 g over 2 days of Octagam 10 % (2, 5 g ...) cannot be 3 + 4: it is 2 + 5."""
        assert (2.0, 5.0) == split_days(7, 2, [2, 5, 10, 20, 30])

    def test_a_total_the_vials_cannot_make_is_an_error(self) -> None:
        """62.5 g cannot be made from 5 g vials."""
        with pytest.raises(DosingError):
            split_days(62.5, 1, [5])


class TestPackVials:
    def test_privigen_25_g_is_20_plus_5(self) -> None:
        """25 g of Privigen is one 20 g and one 5 g vial."""
        assert (VialCount(20, 1), VialCount(5, 1)) == pack_vials(25, [2.5, 5, 10, 20, 40])

    def test_privigen_65_g_is_three_vials(self) -> None:
        """65 g of Privigen is 40 + 20 + 5 g."""
        assert (VialCount(40, 1), VialCount(20, 1), VialCount(5, 1)) == pack_vials(
            65, [2.5, 5, 10, 20, 40]
        )

    def test_fewest_vials_not_greedy(self) -> None:
        """With 2 and 5 g vials, 6 g is three 2 g vials (greedy 5 g first would fail)."""
        assert (VialCount(2, 3),) == pack_vials(6, [2, 5])

    @given(
        product=st.sampled_from(sorted(PRODUCT_VIALS)),
        total=st.floats(20, 400),
        days=st.integers(1, 5),
    )
    def test_days_are_whole_vials_adding_up_to_the_total(
        self, product: str, total: float, days: int
    ) -> None:
        """Every day is whole vials, the days add up to the rounded total, evenly split."""
        vials = PRODUCT_VIALS[product]
        rounded = round_course(total, 5, vials_g=vials).rounded_g
        amounts = split_days(rounded, days, vials)
        packed = [pack_vials(a, vials) for a in amounts]

        assert abs(sum(amounts) - rounded) < 1e-9
        given_per_day = [sum(v.size_g * v.count for v in p) for p in packed]
        assert all(abs(g - a) < 1e-9 for g, a in zip(given_per_day, amounts, strict=True))
        if rounded / days >= 10:
            grain = effective_step_g(0.1, vials)
            assert max(amounts) - min(amounts) <= grain + 1e-9
