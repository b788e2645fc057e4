"""Bad input gets a clear error naming the field, the value and the accepted form."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clepath.casefile import parse_case, read_case_data
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE


def _base() -> dict[str, Any]:
    data = read_case_data(SCLE_CASE.read_text())
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def _problems(kb: KnowledgeBase, data: Any) -> list[FieldProblem]:
    with pytest.raises(CaseError) as info:
        parse_case(data, kb)
    return info.value.problems


def _one(kb: KnowledgeBase, data: Any, field: str) -> FieldProblem:
    found = [p for p in _problems(kb, data) if p.field == field]
    assert found, f"no problem reported for {field}"
    return found[0]


class TestQuantities:
    def test_bare_weight_is_refused(self, kb: KnowledgeBase) -> None:
        """A weight without a unit is an error naming the field and the accepted form."""
        data = _base()
        data["patient"]["weight"] = 80

        problem = _one(kb, data, "patient.weight")

        assert "without a unit" in problem.message and "kg" in problem.accepted

    def test_weight_in_wrong_dimension_is_refused(self, kb: KnowledgeBase) -> None:
        """A weight in centimetres is not a weight."""
        data = _base()
        data["patient"]["weight"] = "80 cm"

        assert "not convertible" in _one(kb, data, "patient.weight").message

    def test_lab_value_without_unit_is_refused(self, kb: KnowledgeBase) -> None:
        """A WBC of 1300 with no unit is not read as anything."""
        data = _base()
        data["labs"].append({"test": "wbc", "date": "2024-03-12", "value": 1300})

        problem = _one(kb, data, f"labs[{len(data['labs']) - 1}].value")

        assert 1300 == problem.value

    def test_white_cells_in_international_units_are_refused(self, kb: KnowledgeBase) -> None:
        """A WBC of 5 IU/mL is refused at its value, naming the unit, never read as a count
        (pint alone counts an international unit as dimensionless)."""
        data = _base()
        data["labs"].append({"test": "wbc", "date": "2024-03-12", "value": 5, "unit": "IU/mL"})

        problem = _one(kb, data, f"labs[{len(data['labs']) - 1}].value")

        assert (5, "has a unit (IU/mL) not convertible to 10*9/L") == (
            problem.value, problem.message,
        )

    def test_creatinine_in_mg_per_dl_is_converted(self, kb: KnowledgeBase) -> None:
        """0.77 mg/dL creatinine becomes 68.1 umol/L through its molar mass."""
        data = _base()
        data["labs"] = [{"test": "creatinine", "date": "2024-03-12", "value": "0.77 mg/dL"}]

        case = parse_case(data, kb)

        assert pytest.approx(68.07, abs=0.05) == case.labs[0].value


class TestVocabulary:
    def test_misspelt_drug_suggests_the_nearest(self, kb: KnowledgeBase) -> None:
        """`hydroxychloroquin` is unknown, and hydroxychloroquine is suggested."""
        data = _base()
        data["therapies"][0]["drug"] = "hydroxychloroquin"

        problem = _one(kb, data, "therapies[0].drug")

        assert "hydroxychloroquine" in problem.suggestions

    def test_brand_names_are_synonyms(self, kb: KnowledgeBase) -> None:
        """Plaquenil is hydroxychloroquine."""
        data = _base()
        data["therapies"][0]["drug"] = "Plaquenil"

        assert "hydroxychloroquine" == parse_case(data, kb).therapies[0].drug

    def test_unknown_region(self, kb: KnowledgeBase) -> None:
        """An unknown CLASI region is reported with suggestions."""
        data = _base()
        data["clasi"][0]["regions"]["chesst"] = {"erythema": 1}

        problem = _one(kb, data, "clasi[0].regions.chesst")

        assert "chest" in problem.suggestions

    def test_unknown_top_level_key(self, kb: KnowledgeBase) -> None:
        """A misspelt section is reported with the nearest known one."""
        data = _base()
        data["therapy"] = data.pop("therapies")

        assert ("therapies",) == _one(kb, data, "therapy").suggestions


class TestRules:
    def test_clasi_out_of_range(self, kb: KnowledgeBase) -> None:
        """Erythema 4 is outside 0-3."""
        data = _base()
        data["clasi"][1]["regions"]["chest"] = {"erythema": 4}

        problems = _problems(kb, data)

        assert any(p.field.startswith("clasi[1].regions.chest") for p in problems)

    def test_stop_before_start(self, kb: KnowledgeBase) -> None:
        """A course cannot stop before it starts."""
        data = _base()
        data["therapies"][2]["stop"] = "2023-01-01"

        assert "before start" in _one(kb, data, "therapies[2].stop").message

    def test_every_problem_is_reported_at_once(self, kb: KnowledgeBase) -> None:
        """Three independent mistakes give three problems."""
        data = _base()
        data["as_of"] = "tomorrow"
        data["patient"]["sex"] = "unknown"
        data["labs"][0]["result"] = "maybe"

        fields = {p.field for p in _problems(kb, data)}

        assert {"as_of", "patient.sex", "labs[0].result"} <= fields

    def test_yaml_titre_is_not_read_as_a_sexagesimal_number(self, kb: KnowledgeBase) -> None:
        """YAML 1.1 would read 1:40 as 100; clepath keeps it a titre."""
        text = SCLE_CASE.read_text().replace("value: 1:640", "value: 1:40")

        case = parse_case(read_case_data(text), kb)

        ana = next(r for r in case.labs if r.test == "ana")
        assert ana.titre is not None and 40 == ana.titre.denominator

    def test_not_a_mapping(self, kb: KnowledgeBase) -> None:
        """A list at the top level is refused."""
        assert _problems(kb, [1, 2, 3])

    def test_invalid_yaml_names_the_line(self) -> None:
        """Broken YAML is a CaseError with its line, not a parser traceback."""
        with pytest.raises(CaseError) as info:
            read_case_data("id: x\n  bad: [\n")

        assert "line" in str(info.value.problems[0].value)
