"""Both examples of case-format.md load unchanged, with their units converted."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from clepath.casefile import load_case, parse_case, read_case_data
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE, SEED_CASE, SHARED


def _spec_examples() -> list[str]:
    text = (SHARED / "case-format.md").read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, re.S)


class TestBundledCopies:
    @pytest.mark.skipif(not (SHARED / "case-format.md").exists(), reason="shared spec absent")
    def test_bundled_examples_are_the_spec_examples_byte_for_byte(self) -> None:
        """The demo files are exactly the two examples of the case-format contract."""
        examples = _spec_examples()

        assert [SEED_CASE.read_text(), SCLE_CASE.read_text()] == examples

    @pytest.mark.skipif(not (SHARED / "case-format.md").exists(), reason="shared spec absent")
    def test_spec_examples_parse(self, kb: KnowledgeBase) -> None:
        """Each example in the spec parses to a case with its own id."""
        ids = [parse_case(read_case_data(block), kb).id for block in _spec_examples()]

        assert ["idoj-2020-ivig-rescue", "demo-scle-0001"] == ids


class TestSeedCase:
    def test_patient(self, kb: KnowledgeBase) -> None:
        """The seed patient: female, 47, 60 kg, 158 cm."""
        case = load_case(SEED_CASE, kb)

        p = case.patient
        assert ("female", 47, 60.0, 158.0) == (p.sex, p.age_years, p.weight_kg, p.height_cm)

    def test_leukopenia_is_read_in_canonical_units(self, kb: KnowledgeBase) -> None:
        """1300/mm3 becomes 1.3 x10^9/L."""
        case = load_case(SEED_CASE, kb)

        wbc = next(r for r in case.labs if r.test == "wbc")
        assert ("10*9/L", pytest.approx(1.3)) == (wbc.unit, wbc.value)

    def test_therapies_keep_missing_doses_and_dates(self, kb: KnowledgeBase) -> None:
        """Eight failures without dates, then deflazacort 18 mg daily and apremilast 30 mg bid."""
        case = load_case(SEED_CASE, kb)

        undated = [t.drug for t in case.therapies if t.start is None]
        deflazacort = next(t for t in case.therapies if t.drug == "deflazacort")
        assert 8 == len(undated)
        assert (18.0, 18.0) == (deflazacort.dose_mg, deflazacort.daily_dose_mg)
        assert "mycophenolate mofetil" in undated

    def test_ivig_request(self, kb: KnowledgeBase) -> None:
        """2 g/kg over 5 days, then 1 g/kg every 28 days for 4 cycles from 2019-06-03."""
        req = load_case(SEED_CASE, kb).ivig_request

        assert req is not None and req.induction is not None and req.maintenance is not None
        assert (2.0, 5) == (req.induction.dose_g_per_kg, req.induction.days)
        assert (1.0, 28, 4) == (
            req.maintenance.dose_g_per_kg,
            req.maintenance.every_days,
            req.maintenance.cycles,
        )
        assert dt.date(2019, 6, 3) == req.start


class TestScleCase:
    def test_imperial_units_are_converted(self, kb: KnowledgeBase) -> None:
        """176 lb and 5 ft 3 in become 79.83 kg and 160.02 cm; age 42 from the birth date."""
        p = load_case(SCLE_CASE, kb).patient

        assert pytest.approx(79.83, abs=0.01) == p.weight_kg
        assert pytest.approx(160.02, abs=0.01) == p.height_cm
        assert 42 == p.age_years

    def test_titre_and_lab_ranges(self, kb: KnowledgeBase) -> None:
        """ANA 1:640 is a titre; C3 keeps the lab's own range."""
        case = load_case(SCLE_CASE, kb)

        ana = next(r for r in case.labs if r.test == "ana")
        c3 = next(r for r in case.labs if r.test == "c3")
        assert ana.titre is not None and 640 == ana.titre.denominator
        assert (0.78, 0.9, 1.8) == (c3.value, c3.lower, c3.upper)

    def test_clasi_exams_sorted_by_date(self, kb: KnowledgeBase) -> None:
        """Two CLASI exams, oldest first."""
        case = load_case(SCLE_CASE, kb)

        assert [dt.date(2023, 6, 1), dt.date(2024, 3, 15)] == [e.date for e in case.clasi]

    def test_json_and_yaml_give_the_same_case(self, kb: KnowledgeBase) -> None:
        """The same data as JSON parses to the same case."""
        data = read_case_data(SCLE_CASE.read_text())
        as_json = json.dumps(data, default=str)

        assert parse_case(data, kb) == parse_case(read_case_data(as_json), kb)
