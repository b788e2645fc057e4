"""Values handed to parse_case by other callers (the API, the FHIR importer) that once crashed
or were misread: each is a CaseError naming its field."""

from __future__ import annotations

from typing import Any

import pytest

from clepath.casefile import parse_case, read_case_data
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase

BIG = 10**5000  # str() of it raises ValueError under Python's int-string limit
BASE: dict[str, Any] = {"clepath": 1, "id": "x", "as_of": "2021-03-02"}


def _fields(kb: KnowledgeBase, **extra: Any) -> list[str]:
    with pytest.raises(CaseError) as info:
        parse_case({**BASE, **extra}, kb)
    return [p.field for p in info.value.problems]


class TestHugeIntegers:
    def test_in_text_and_vocabulary_fields(self, kb: KnowledgeBase) -> None:
        """A 5,000-digit integer as sex, blood group, age or weight is refused per field."""
        patient = {"sex": BIG, "blood_group": BIG, "age": BIG, "weight": {"value": BIG,
                                                                         "unit": "kg"}}

        assert ["patient.sex", "patient.age", "patient.weight.value",
                "patient.blood_group"] == _fields(kb, patient=patient)

    def test_in_a_titre(self, kb: KnowledgeBase) -> None:
        """An ANA titre of 1:<5,000 digits> is not a titre."""
        labs = [{"test": "ana", "date": "2021-03-01", "value": "1:" + "9" * 5000}]

        assert ["labs[0].value"] == _fields(kb, labs=labs)


class TestOutOfBounds:
    @pytest.mark.parametrize(
        ("patient", "field"),
        [({"birth_date": "1899-12-31"}, "patient.birth_date"),
         ({"height": "290 cm"}, "patient.height"),
         ({"weight": "800 kg"}, "patient.weight"),
         ({"age": 126}, "patient.age")],
    )
    def test_patient_values(self, kb: KnowledgeBase, patient: dict[str, Any], field: str) -> None:
        """A birth before 1900, 290 cm, 800 kg or 126 years is refused at its field."""
        assert [field] == _fields(kb, patient=patient)

    def test_the_oldest_verified_age_reads(self, kb: KnowledgeBase) -> None:
        """An age of 122 (the verified maximum) is accepted: the bound is 125."""
        assert 122 == parse_case({**BASE, "patient": {"age": 122}}, kb).patient.age_years

    def test_creatinine_in_mg_per_dl_is_checked_after_conversion(
        self, kb: KnowledgeBase
    ) -> None:
        """80 mg/dL (7,072 umol/L) is above the bound; 73.8 mg/dL (the record) reads as 6,524."""
        high = [{"test": "creatinine", "date": "2021-03-01", "value": "80 mg/dL"}]
        record = [{"test": "creatinine", "date": "2021-03-01", "value": "73.8 mg/dL"}]

        assert (["labs[0].value"], 6524) == (
            _fields(kb, labs=high), round(parse_case({**BASE, "labs": record}, kb).labs[0].value)
        )

    def test_the_ivig_interval_is_at_most_a_year(self, kb: KnowledgeBase) -> None:
        """Maintenance every 1,000 weeks is refused (it would overflow the schedule)."""
        ivig = {"maintenance": {"dose": "1 g/kg", "every": "1000 wk", "cycles": 4}}

        assert ["requests.ivig.maintenance.every"] == _fields(kb, requests={"ivig": ivig})


class TestReader:
    def test_an_alias_error_does_not_print_the_expansion(self) -> None:
        """The alias problem shows `*a`, never the expanded value."""
        with pytest.raises(CaseError) as info:
            read_case_data("a: &a [" + ", ".join(["xyz"] * 50) + "]\nb: *a\n")

        assert ("b", "*a") == (info.value.problems[0].field, info.value.problems[0].value)

    def test_duplicate_keys_are_named_with_their_path(self) -> None:
        """`labs[0].value` given twice is refused with that path."""
        text = "labs:\n  - {test: wbc, value: 1300, value: 13, unit: /mm3}\n"

        with pytest.raises(CaseError) as info:
            read_case_data(text)

        assert ["labs[0].value"] == [p.field for p in info.value.problems]

    def test_dates_stay_dates(self) -> None:
        """Unquoted valid dates still read as dates and titres as text (YAML 1.2 style)."""
        import datetime as dt

        data = read_case_data("as_of: 2019-06-01\nana: 1:160\nflag: no\n")

        assert {"as_of": dt.date(2019, 6, 1), "ana": "1:160", "flag": "no"} == data


def test_huge_finite_count_is_refused_not_crashed(kb) -> None:
    """A WBC of 1.8e305 /mm3 (x1000 would overflow) is refused at its field, never a crash."""
    doc = {"clepath": 1, "id": "huge", "as_of": "2024-01-01",
           "labs": [{"test": "wbc", "date": "2023-12-01", "value": 1.797693134862316e305,
                     "unit": "/mm3"}]}
    with pytest.raises(CaseError) as caught:
        parse_case(doc, kb)
    assert [p.field for p in caught.value.problems] == ["labs[0].value"]
