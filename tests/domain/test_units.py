"""Quantities are read with their units and converted through UCUM, never guessed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.domain import _unit_table
from clepath.domain.units import (
    Quantity,
    UnitProblem,
    convert,
    is_convertible,
    normalise_unit,
    parse_quantity_text,
    parse_titre,
)


class TestParseQuantity:
    def test_pounds_are_converted_to_kilograms(self) -> None:
        """176 lb is 79.83 kg (the second example's weight)."""
        q = parse_quantity_text("176 lb")

        assert pytest.approx(79.832, abs=0.001) == q.to("kg")

    def test_feet_and_inches(self) -> None:
        """5 ft 3 in is 63 inches, 160.02 cm."""
        q = parse_quantity_text("5 ft 3 in")

        assert pytest.approx(160.02, abs=0.001) == q.to("cm")

    def test_cells_per_cubic_millimetre(self) -> None:
        """The seed's WBC of 1300/mm3 is 1.3 x10^9/L."""
        q = parse_quantity_text("1300 /mm3")

        assert pytest.approx(1.3) == q.to("10*9/L")

    def test_power_of_ten_unit_after_the_number(self) -> None:
        """`1.3 10*9/L` reads as 1.3 in the unit 10*9/L."""
        assert Quantity(1.3, "10*9/L") == parse_quantity_text("1.3 10*9/L")

    def test_temperature_conversion_keeps_the_offset(self) -> None:
        """38.6 degrees Celsius is 101.48 degrees Fahrenheit."""
        assert pytest.approx(101.48, abs=0.01) == convert(38.6, "Cel", "[degF]")

    def test_creatinine_units(self) -> None:
        """umol/L and mmol/L convert by a factor of 1000."""
        assert pytest.approx(0.068) == convert(68, "umol/L", "mmol/L")

    def test_a_count_unit_is_dimensionless(self) -> None:
        """`3 joints` is the count 3."""
        assert Quantity(3.0, "1") == parse_quantity_text("3 joints")

    @pytest.mark.parametrize("text", ["kg 60", "sixty kg", "60 kilos of", "", "60 furlongs"])
    def test_unreadable_quantities_are_rejected(self, text: str) -> None:
        """Text that is not a number with a UCUM unit is refused, not guessed."""
        with pytest.raises(UnitProblem):
            parse_quantity_text(text)

    def test_mass_is_not_convertible_to_length(self) -> None:
        """Dimensions are checked."""
        with pytest.raises(UnitProblem):
            convert(60, "kg", "cm")

    def test_aliases_map_to_ucum_codes(self) -> None:
        """Everyday spellings become UCUM codes."""
        assert ["[lb_av]", "10*9/L", "[iU]/mL", "Cel"] == [
            normalise_unit(u) for u in ("lbs", "x10^9/L", "IU/mL", "°C")
        ]


class TestTitre:
    def test_titre(self) -> None:
        """1:640 is a titre with denominator 640."""
        titre = parse_titre("1:640")

        assert titre is not None and 640 == titre.denominator

    def test_not_a_titre(self) -> None:
        """A ratio that does not start with 1 is not a titre."""
        assert parse_titre("2:640") is None


class TestProperties:
    @given(st.floats(min_value=0.1, max_value=500, allow_nan=False))
    def test_pound_round_trip(self, kg: float) -> None:
        """kg -> lb -> kg returns the same mass."""
        assert pytest.approx(kg, rel=1e-9) == convert(convert(kg, "kg", "[lb_av]"), "[lb_av]", "kg")

    @given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
    def test_number_survives_parsing(self, value: float) -> None:
        """The number written before a unit is the number read."""
        assert pytest.approx(value, rel=1e-12) == parse_quantity_text(f"{value!r} kg").value

    @given(st.integers(min_value=0, max_value=10**6))
    def test_per_mm3_is_a_thousandth_of_10e9_per_l(self, count: int) -> None:
        """N/mm3 equals N/1000 x10^9/L for every count."""
        assert pytest.approx(count / 1000) == convert(count, "/mm3", "10*9/L")


class TestCaseSlips:
    @pytest.mark.parametrize(
        ("text", "meant"),
        [("10 Mg", "mg"), ("10 MG", "mg"), ("2 ML", "mL"), ("60 KG", "kg"), ("1 MG/DL", "mg/dL")],
    )
    def test_a_unit_differing_only_in_case_is_refused(self, text: str, meant: str) -> None:
        """`10 Mg` is never read as 10 megagrams: it is refused and the clinical unit offered."""
        with pytest.raises(UnitProblem) as info:
            parse_quantity_text(text)

        suggested = info.value.suggestions[0]
        assert (True, True) == (suggested.endswith(f" {meant}"), "case" in str(info.value))

    @pytest.mark.parametrize(("text", "mg"), [("10 mg", 10.0), ("2 g", 2000.0), ("5 mcg", 0.005)])
    def test_clinical_spellings_still_read(self, text: str, mg: float) -> None:
        """Correctly cased units and the everyday aliases keep their meaning."""
        assert pytest.approx(mg) == parse_quantity_text(text).to("mg")

    def test_lower_case_litre_aliases_stay_accepted(self) -> None:
        """`0.8 mg/dl` is 70.7 umol/L of creatinine's mass unit (the alias is documented)."""
        assert "mg/dL" == normalise_unit("mg/dl")


class TestFeetAndInches:
    def test_fourteen_inches_is_refused_with_the_normal_form(self) -> None:
        """`5 ft 14 in` is refused and `6 ft 2 in` offered."""
        with pytest.raises(UnitProblem) as info:
            parse_quantity_text("5 ft 14 in")

        assert ("6 ft 2 in",) == info.value.suggestions

    def test_eleven_inches_reads(self) -> None:
        """5 ft 11 in is 180.34 cm."""
        assert pytest.approx(180.34) == parse_quantity_text("5 ft 11 in").to("cm")


class TestRegistry:
    def test_the_table_matches_pint(self) -> None:
        """Every precomputed unit has pint's scale, offset and dimensions (pint is the truth)."""
        from clepath.domain import units
        from clepath.domain._unit_table import TABLE

        wrong = {
            code: (entry, units.table_entry(code))
            for code, entry in TABLE.items()
            if units.table_entry(code)[2] != entry[2]
            or units.table_entry(code)[0] != pytest.approx(entry[0], rel=1e-12)
            or units.table_entry(code)[1] != pytest.approx(entry[1], rel=1e-12)
        }

        assert {} == wrong

    def test_concurrent_first_use_is_safe(self) -> None:
        """Eight threads using units beyond the table on a cold registry all succeed."""
        import threading

        from clepath.domain import units

        units._REGISTRY = None
        units._ucum_unit.cache_clear()
        units._factor.cache_clear()
        codes = ["ug/dL", "/nL", "mmol/mol", "ng/L", "ug/dL", "/nL", "mmol/mol", "ng/L"]
        results: list[object] = [None] * len(codes)
        barrier = threading.Barrier(len(codes))

        def work(i: int) -> None:
            barrier.wait()
            try:
                results[i] = (normalise_unit(codes[i]), convert(1, "ug/dL", "ug/L"))
            except Exception as exc:  # noqa: BLE001 - the failure is what the test reports
                results[i] = exc

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(codes))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert [(code, pytest.approx(10.0)) for code in codes] == results

    def test_table_units_need_no_registry(self) -> None:
        """Converting creatinine mg/dL to umol/L-scale units uses the table: 1 mg/dL = 10 mg/L."""
        from clepath.domain import units

        units._factor.cache_clear()
        before = units._REGISTRY
        units._REGISTRY = None
        try:
            value = convert(1, "mg/dL", "mg/L")
            built = units._REGISTRY is not None
        finally:
            units._REGISTRY = before

        assert (pytest.approx(10.0), False) == (value, built)


class TestArbitraryUnits:
    """UCUM's arbitrary units ([iU], [GPL'U], [MPL'U] ...) convert only to themselves."""

    def test_international_units_are_not_a_cell_count(self) -> None:
        """5 IU/mL for a white-cell count is refused, never read as 5e-06 ×10⁹/L."""
        with pytest.raises(UnitProblem):
            convert(5, normalise_unit("IU/mL"), "10*9/L")

    def test_igg_phospholipid_units_are_not_igm_units(self) -> None:
        """An anticardiolipin IgG value in GPL units is not convertible to IgM MPL units."""
        with pytest.raises(UnitProblem):
            convert(25, "[GPL'U]/mL", "[MPL'U]/mL")

    def test_the_same_arbitrary_unit_still_converts(self) -> None:
        """5 [IU]/mL is 5000 [iU]/L ([IU] and [iU] are one UCUM unit)."""
        assert 5000.0 == convert(5, "[IU]/mL", "[iU]/L")

    @given(
        atom=st.sampled_from(sorted(_unit_table.ARBITRARY)),
        other=st.sampled_from(["10*9/L", "/mm3", "g/L", "mg/dL", "%", "mg/mg", "/uL"]),
    )
    def test_no_arbitrary_unit_converts_to_a_plain_unit(self, atom: str, other: str) -> None:
        """No arbitrary unit per mL is convertible to a count, a mass concentration or a ratio."""
        assert not is_convertible(f"{atom}/mL", other)
        assert not is_convertible(other, f"{atom}/mL")


def test_the_arbitrary_list_is_ucum_s() -> None:
    """The generated list holds UCUM's 41 arbitrary units, [iU], [GPL'U] and [CFU] among them."""
    assert (41, True) == (
        len(_unit_table.ARBITRARY),
        {"[iU]", "[IU]", "[GPL'U]", "[MPL'U]", "[CFU]"} <= _unit_table.ARBITRARY,
    )
