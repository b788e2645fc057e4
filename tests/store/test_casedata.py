"""A stored case written back as a case file reads back as the same case."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import yaml
from hypothesis import given
from hypothesis import strategies as st

from clepath.casefile import parse_case, read_case_data
from clepath.domain import LabResult
from clepath.knowledge.base import KnowledgeBase
from clepath.store import case_to_data
from clepath.store.casedata import lab_entry
from tests.store._factory import built_case, scle_case, seed_case, ten_years


class TestCaseToData:
    def test_examples_round_trip(self, kb: KnowledgeBase) -> None:
        """The bundled examples, the 10-year record and a built case all parse back unchanged."""
        cases = [seed_case(kb), scle_case(kb), ten_years(kb), built_case()]

        assert cases == [parse_case(case_to_data(c), kb) for c in cases]

    def test_yaml_text_round_trip(self, kb: KnowledgeBase) -> None:
        """Dumped as YAML and read by the case-file reader, the ANA titre stays 1:640."""
        case = scle_case(kb)
        text = yaml.safe_dump(case_to_data(case), sort_keys=False)

        again = parse_case(read_case_data(text), kb)

        assert (case, "1:640") == (again, next(lab.original for lab in again.labs if lab.titre))

    def test_json_round_trip(self, kb: KnowledgeBase) -> None:
        """With dates as text, the data survives JSON and parses to the same case."""
        case = built_case()

        text = json.dumps(case_to_data(case, dates_as_text=True))

        assert case == parse_case(json.loads(text), kb)

    def test_lab_keeps_the_text_given(self, kb: KnowledgeBase) -> None:
        """A WBC entered as 1300 /mm3 is written back as entered (1.3 x10^9/L stored)."""
        lab = seed_case(kb).labs[0]

        assert ("1300 /mm3", 1.3) == (lab_entry(lab)["value"], round(lab.value or 0, 9))

    @given(st.floats(min_value=0.3, max_value=400, allow_nan=False), st.integers(1, 900))
    def test_any_weight_and_wbc_survive(
        self, kb: KnowledgeBase, weight: float, wbc_tenths: int
    ) -> None:
        """Whatever the float, the weight and a lab value come back bit for bit."""
        base = built_case()
        lab = LabResult("wbc", dt.date(2024, 5, 1), wbc_tenths / 10.3, "10*9/L")
        case = replace(base, patient=replace(base.patient, weight_kg=weight), labs=(lab,))

        again = parse_case(case_to_data(case), kb)

        assert (weight, lab.value) == (again.patient.weight_kg, again.labs[0].value)
