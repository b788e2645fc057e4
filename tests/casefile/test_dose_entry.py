"""Doses in case files: an obvious unit slip is refused, a lesser excess is accepted (issue 9)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.casefile import parse_case, read_case_data
from clepath.engine.assess import assess
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE


def _with(*therapies: dict[str, Any], weight: str | None = None) -> dict[str, Any]:
    data = read_case_data(SCLE_CASE.read_text())
    assert isinstance(data, dict)
    data = copy.deepcopy(data)
    data["therapies"] = list(therapies)
    if weight is not None:
        data["patient"]["weight"] = weight
    return data


def _mtx(dose: str, frequency: str = "weekly") -> dict[str, Any]:
    return {"drug": "MTX", "dose": dose, "frequency": frequency, "start": "2023-01-01",
            "stop": "2023-09-01", "outcome": "failed"}


class TestUnitSlip:
    def test_30_g_weekly_methotrexate_is_refused_naming_the_field(
        self, kb: KnowledgeBase
    ) -> None:
        """Methotrexate 30 g weekly (1000 x 30 mg/week) is refused at therapies[0].dose."""
        with pytest.raises(CaseError) as info:
            parse_case(_with(_mtx("30 g")), kb)

        problem = next(p for p in info.value.problems if p.field == "therapies[0].dose")
        assert "30 g" == problem.value
        assert "unit slip" in problem.message and "30 mg/week" in problem.message
        assert "30 mg/week" in problem.accepted
        assert ("30 mg",) == problem.suggestions

    def test_15000_mg_weekly_is_accepted_and_alerted(self, kb: KnowledgeBase) -> None:
        """Methotrexate 15,000 mg weekly (500 x the maximum) parses; the assessment alerts."""
        case = parse_case(_with(_mtx("15000 mg")), kb)

        codes = [a.code for a in assess(case, kb).alerts]

        assert 15000 == case.therapies[0].dose_mg
        assert "dose_above_maximum" in codes

    def test_daily_methotrexate_is_accepted_and_alerted_critical(
        self, kb: KnowledgeBase
    ) -> None:
        """Methotrexate 15 mg once daily parses; the assessment's schedule alert is critical."""
        case = parse_case(_with(_mtx("15 mg", "once daily")), kb)

        alert = next(
            a for a in assess(case, kb).alerts if a.code == "dose_frequency_not_allowed"
        )

        assert "critical" == alert.severity

    def test_plaquenil_and_hydroxychloroquine_overlap(self, kb: KnowledgeBase) -> None:
        """HCQ 400 mg/day + Plaquenil 400 mg/day for 70 kg: duplicate and 11.43 mg/kg."""
        case = parse_case(_with(
            {"drug": "hydroxychloroquine", "dose": "400 mg", "frequency": "daily",
             "start": "2023-06-01", "outcome": "ongoing"},
            {"drug": "Plaquenil", "dose": "400 mg", "frequency": "daily",
             "start": "2023-09-01", "outcome": "ongoing"},
            weight="70 kg",
        ), kb)

        alerts = {a.code: a.message for a in assess(case, kb).alerts}

        assert "duplicate_therapy" in alerts
        assert "800 mg/day is 11.43 mg/kg" in alerts["hcq_dose_above_5_mg_per_kg"]

    @given(mg=st.floats(min_value=0.1, max_value=29_999.0))
    def test_below_the_slip_threshold_never_refused(self, kb: KnowledgeBase, mg: float) -> (
        None
    ):
        """Any methotrexate weekly dose below 30,000 mg is accepted by the parser."""
        case = parse_case(_with(_mtx(f"{mg:.3f} mg")), kb)

        assert case.therapies[0].dose_mg == pytest.approx(round(mg, 3))
