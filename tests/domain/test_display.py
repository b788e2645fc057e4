"""The one number formatter: precision per kind, no lost zeros, units written for people."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.domain.display import (
    KINDS,
    fmt,
    fmt_number,
    fmt_plain,
    fmt_quantity,
    fmt_titre,
    fmt_value,
    unit_label,
)

WHOLE = [100, 170, 250, 600, 90, 1000, 10, 20, 420, 1000000]


@pytest.mark.parametrize("value", WHOLE)
@pytest.mark.parametrize("decimals", [0, 1, 2])
@pytest.mark.parametrize("trim", [False, True])
def test_whole_numbers_keep_their_zeros(value: int, decimals: int, trim: bool) -> None:
    """A whole number written at any precision starts with all its digits (600 never reads 6)."""
    text = fmt_number(float(value), decimals, trim=trim)
    assert text.split(".")[0] == str(value)
    assert fmt_number(float(value), decimals, trim=trim, grouping=True).split(".")[0] == (
        f"{value:,}")


def test_named_values() -> None:
    """The issue's numbers are written as a pharmacist reads them."""
    assert fmt(600.0, "ml") == "600 mL"
    assert fmt(250.0, "ml") == "250 mL"
    assert fmt(60.0, "ivig_g") == "60 g"
    assert fmt(32.5, "ivig_g") == "32.5 g"
    assert fmt(100.0, "mg_per_ml") == "100 mg/mL"
    assert fmt(170.0, "cm") == "170 cm"
    assert fmt(90.0, "egfr") == "90 mL/min/1.73 m²"
    assert fmt(420.0, "mg") == "420 mg"
    assert fmt(70.0, "kg") == "70.0 kg"
    assert fmt(5.0, "mg_per_kg") == "5.00 mg/kg"
    assert fmt(0.5, "g_per_kg") == "0.5 g/kg"
    assert fmt(10.0, "g") == "10 g"
    assert fmt(45.0, "percent") == "45%"
    assert fmt(15000, "mg") == "15,000 mg"
    assert fmt(1000.0, "ml") == "1,000 mL"


def test_half_up_from_the_written_number() -> None:
    """2.675 rounds as written (up to 2.68), not as its binary float (2.67)."""
    assert fmt_number(2.675, 2) == "2.68"
    assert fmt_number(0.5, 0) == "1"
    assert fmt_number(-0.004, 2) == "0.00"


def test_no_exponent() -> None:
    """A pack value of a million is written in full, never 1e+06."""
    assert fmt_plain(1e6) == "1,000,000"
    assert fmt_plain(2.5) == "2.5"
    assert fmt_plain(100.0) == "100"
    assert fmt_plain(0.0001) == "0.0001"


def test_missing_value_says_so() -> None:
    """A missing value reads 'not recorded', never 'None' or 0."""
    assert fmt(None, "kg") == "not recorded"
    assert fmt_value(None, "cm", missing="-") == "-"


def test_units_for_people() -> None:
    """UCUM codes are written as people read them."""
    assert unit_label("10*9/L") == "×10⁹/L"
    assert unit_label("Cel") == "°C"
    assert unit_label("mL/min/{1.73_m2}") == "mL/min/1.73 m²"
    assert unit_label("/mm3") == "/mm³"
    assert unit_label("{1.73_m2}") == "1.73 m²"
    assert fmt_quantity(3.2, "10*9/L") == "3.2 ×10⁹/L"
    assert fmt_quantity(38.6, "Cel") == "38.6 °C"
    assert fmt_titre(160) == "1:160"


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=4),
    st.booleans(),
)
def test_round_trip(x: float, decimals: int, trim: bool) -> None:
    """The written number reads back as the value rounded to the kind's decimals."""
    text = fmt_number(x, decimals, trim=trim)
    assert "e" not in text.lower() and "," not in text  # data: never grouped
    # within half a unit of the last place of x (half-up may differ from round()'s half-even
    # by one unit exactly at a tie)
    assert abs(float(text) - x) <= 0.5 * 10.0**-decimals + 1e-9 * max(1.0, abs(x))
    assert math.isclose(float(text), round(x, decimals), abs_tol=10.0**-decimals * 1.0001)
    if not trim:
        assert len(text.split(".")[1]) == decimals if decimals else "." not in text


@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(sorted(KINDS)))
def test_integers_never_lose_digits(n: int, kind: str) -> None:
    """Every whole number, in every kind, keeps every digit before the point."""
    text = fmt_value(n, kind)
    assert text.split(".")[0] == f"{n:,}"
    assert Decimal(text.replace(",", "")) == Decimal(n)


@given(st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False))
def test_plain_is_exact(d: Decimal) -> None:
    """fmt_plain writes the exact value, so it reads back equal."""
    assert Decimal(fmt_plain(d).replace(",", "")) == d


def test_conversion_drops_float_noise_only() -> None:
    """176 lb converts to exactly 79.83225712 kg and 1300 /mm3 to 1.3 ×10⁹/L; the largest
    finite float is never rounded to infinity."""
    import sys

    from clepath.domain.units import convert

    assert convert(176, "[lb_av]", "kg") == 79.83225712
    assert convert(1300, "/mm3", "10*9/L") == 1.3
    for value in (sys.float_info.max / 1000, 1.7976931348623e305, 1.797693134862316e305):
        if math.isfinite(value * 1000):
            assert math.isfinite(convert(value, "kg", "g"))


@given(st.integers(-70, 70), st.integers(1, 70))
def test_score_change_says_lower_or_higher_never_a_sign(points: int, baseline: int) -> None:
    """A CLASI change reads "N points lower/higher", with the unsigned percent, never "+N"."""
    from clepath.domain.display import fmt_score_change

    text = fmt_score_change(points, 100 * points / baseline, str(baseline))

    assert "+" not in text and "-" not in text
    if points > 0:
        assert text.startswith(f"{points} points lower")
    elif points < 0:
        assert text.startswith(f"{-points} points higher")
    else:
        assert text == f"unchanged from the baseline {baseline}"
