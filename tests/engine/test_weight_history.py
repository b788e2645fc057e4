"""Dated weight and height history (issue 12 item 3): the dosing weight is the latest weight
measured on or before the plan's start; the assessment's, the latest on or before as_of."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from clepath.casefile import parse_case, read_case_data
from clepath.domain.body import body_value, case_on, latest_on_or_before
from clepath.domain.case import Case, Measurement, Patient
from clepath.domain.future import future_dates
from clepath.engine.assess import assess
from clepath.engine.ivig import plan_for_case
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.report.assessment_json import assessment_to_json
from clepath.report.ivig import ivig_to_ics, ivig_to_json, render_ivig
from clepath.store.casedata import case_to_data
from tests.conftest import SEED_CASE


def _seed() -> dict[str, Any]:
    data = read_case_data(SEED_CASE.read_text())
    assert isinstance(data, dict)
    return data


def _history(*items: dict[str, Any], weight: bool = False) -> dict[str, Any]:
    """The seed case with dated measurements in place of its undated weight (unless kept)."""
    data = copy.deepcopy(_seed())
    if not weight:
        del data["patient"]["weight"]
    data["measurements"] = list(items)
    return data


TWO_WEIGHTS = (
    {"name": "weight", "date": "2019-05-28", "value": "60 kg"},
    {"name": "weight", "date": "2019-07-01", "value": "70 kg"},  # after the plan start
)


class TestDosingWeightFromHistory:
    def test_weight_after_the_plan_start_is_not_used(self, kb: KnowledgeBase) -> None:
        """2019 weights of 60 kg and, after the 3 June start, 70 kg: the plan doses on 60 kg
        (120 g induction, 4 × 60 g maintenance)."""
        case = parse_case(_history(*TWO_WEIGHTS), kb)
        plan = plan_for_case(case, kb).plan

        assert (60.0, dt.date(2019, 5, 28), 120.0, [60.0] * 4) == (
            plan.dosing_weight.kg,
            plan.dosing_weight.weight_date,
            plan.courses[0].total_grams,
            [c.total_grams for c in plan.courses[1:]],
        )

    def test_the_later_weight_is_named_as_not_used(self, kb: KnowledgeBase) -> None:
        """The plan says that 70.0 kg of 2019-07-01 is after the plan start and not used."""
        case = parse_case(_history(*TWO_WEIGHTS), kb)
        weight = plan_for_case(case, kb).plan.dosing_weight

        assert (
            "weight 70.0 kg on 2019-07-01 is after the plan start (2019-06-03): not used",
        ) == weight.not_used

    def test_latest_before_the_start_wins_over_an_older_one(self, kb: KnowledgeBase) -> None:
        """Weights of 80 kg (2018) and 60 kg (2019-05-28): the 2019 weight gives 120 g."""
        case = parse_case(_history(
            {"name": "weight", "date": "2018-01-10", "value": "80 kg"},
            {"name": "weight", "date": "2019-05-28", "value": "60 kg"},
        ), kb)

        assert 120.0 == plan_for_case(case, kb).plan.courses[0].total_grams

    def test_pounds_in_the_history_are_converted(self, kb: KnowledgeBase) -> None:
        """A history entry of 176 lb is 79.8 kg (never read as 176 kg)."""
        case = parse_case(_history({"name": "weight", "date": "2019-05-28", "value": "176 lb"}),
                          kb)

        assert "79.8 kg on 2019-05-28" == plan_for_case(case, kb).plan.dosing_weight.measured

    def test_height_is_chosen_the_same_way(self, kb: KnowledgeBase) -> None:
        """A height of 158 cm (2019-05-28) and 165 cm after the start: 158 cm is used."""
        data = _history(
            {"name": "weight", "date": "2019-05-28", "value": "60 kg"},
            {"name": "height", "date": "2019-05-28", "value": "158 cm"},
            {"name": "height", "date": "2019-08-01", "value": "165 cm"},
        )
        del data["patient"]["height"]
        weight = plan_for_case(parse_case(data, kb), kb).plan.dosing_weight

        assert (158.0, dt.date(2019, 5, 28)) == (weight.height_cm, weight.height_date)

    def test_only_later_weights_is_refused_naming_them(self, kb: KnowledgeBase) -> None:
        """With every weight after the start, no plan is made and the problem names the first
        later weight and the start date."""
        case = parse_case(_history(TWO_WEIGHTS[1]), kb)

        with pytest.raises(CaseError) as caught:
            plan_for_case(case, kb)

        problem = caught.value.problems[0]
        assert ("measurements", "weight 70.0 kg on 2019-07-01") == (problem.field, problem.value)
        assert "2019-06-03" in problem.message

    def test_undated_weight_keeps_todays_behaviour(self, kb: KnowledgeBase) -> None:
        """The seed's undated 60 kg: 120 g and no date shown."""
        plan = plan_for_case(parse_case(_seed(), kb), kb).plan

        assert (120.0, None, "60.0 kg") == (
            plan.courses[0].total_grams, plan.dosing_weight.weight_date,
            plan.dosing_weight.measured,
        )

    def test_dated_weight_is_used_before_an_undated_one(self, kb: KnowledgeBase) -> None:
        """An undated 80 kg beside a dated 60 kg (2019-05-28): 60 kg, and the undated value is
        said to be set aside."""
        data = _history({"name": "weight", "date": "2019-05-28", "value": "60 kg"}, weight=True)
        data["patient"]["weight"] = "80 kg"
        weight = plan_for_case(parse_case(data, kb), kb).plan.dosing_weight

        assert 60.0 == weight.kg
        assert any("undated weight 80.0 kg not used" in n for n in weight.not_used)


class TestOutputsStateTheWeightAndItsDate:
    @pytest.fixture
    def report(self, kb: KnowledgeBase) -> Any:
        """The IVIG plan of the seed with the two 2019 weights."""
        return plan_for_case(parse_case(_history(*TWO_WEIGHTS), kb), kb)

    def test_terminal_plan(self, report: Any) -> None:
        """The terminal plan shows "60.0 kg on 2019-05-28" and the unused later weight."""
        console = Console(record=True, width=200)
        render_ivig(report, console)
        text = console.export_text()

        assert "60.0 kg on 2019-05-28" in text
        assert "70.0 kg on 2019-07-01 is after the plan start" in text

    def test_json_plan(self, report: Any) -> None:
        """The JSON plan carries the weight's date and the sentence people read."""
        w = json.loads(json.dumps(ivig_to_json(report), default=str))["dosing_weight"]

        assert ("2019-05-28", "60.0 kg on 2019-05-28") == (w["weight_date"],
                                                           w["weight_measured"])

    def test_ics_events(self, report: Any) -> None:
        """Each .ics event names the weight and its date (lines unfolded)."""
        ics = ivig_to_ics(report).decode().replace("\r\n ", "")

        assert "weight 60.0 kg on 2019-05-28" in ics.replace("\\n", "\n").replace("\\;", ";")


class TestAssessment:
    def test_assessment_uses_latest_on_or_before_as_of(self, kb: KnowledgeBase) -> None:
        """As of 2019-06-01 the patient block holds 60 kg of 2019-05-28 and notes the later
        70 kg as not used."""
        a = assess(parse_case(_history(*TWO_WEIGHTS), kb), kb)

        assert (60.0, dt.date(2019, 5, 28)) == (a.patient["weight_kg"], a.patient["weight_date"])
        assert ["weight 70.0 kg on 2019-07-01 is after the as-of date (2019-06-01): not used"] == (
            a.patient["measurement_notes"]
        )

    def test_assessment_json_states_the_date(self, kb: KnowledgeBase) -> None:
        """The assessment JSON writes the weight's date as ISO text."""
        out = json.loads(json.dumps(
            assessment_to_json(assess(parse_case(_history(*TWO_WEIGHTS), kb), kb)), default=str))

        assert ("2019-05-28", 60.0) == (out["patient"]["weight_date"],
                                        out["patient"]["weight_kg"])


class TestCaseFile:
    def test_problems_name_the_item_and_field(self, kb: KnowledgeBase) -> None:
        """A bare number, a bad date and an unknown name are each named at their field."""
        with pytest.raises(CaseError) as caught:
            parse_case(_history(
                {"name": "weight", "date": "2019-05-28", "value": "60 kg"},
                {"name": "wieght", "date": "2019-05-29", "value": "61 kg"},
                {"name": "weight", "date": "2019-02-30", "value": 176},
            ), kb)

        fields = sorted(p.field for p in caught.value.problems)
        assert ["measurements[1].name", "measurements[2].date", "measurements[2].value"] == fields

    def test_pounds_never_read_as_kilograms(self, kb: KnowledgeBase) -> None:
        """176 lb is stored as 79.83 kg."""
        case = parse_case(_history({"name": "weight", "date": "2019-05-28", "value": "176 lb"}),
                          kb)

        assert 79.83 == round(case.measurements[0].value, 2)

    def test_implausible_weight_refused(self, kb: KnowledgeBase) -> None:
        """A weight of 900 kg is outside the plausibility pack's 0.3-700 kg."""
        with pytest.raises(CaseError) as caught:
            parse_case(_history({"name": "weight", "date": "2019-05-28", "value": "900 kg"}), kb)

        assert "measurements[0].value" == caught.value.problems[0].field

    def test_future_measurement_is_found(self, kb: KnowledgeBase) -> None:
        """A weight dated 2031 is a date after today (2026-12-04), named at its field."""
        case = parse_case(_history({"name": "weight", "date": "2031-01-01", "value": "60 kg"}),
                          kb)

        found = future_dates(case, dt.date(2026, 12, 4))
        assert [("measurements[0].date", "weight")] == [(f.field, f.what) for f in found]

    def test_round_trip_through_case_data(self, kb: KnowledgeBase) -> None:
        """Writing a case back as case-file data and reading it gives the same measurements."""
        case = parse_case(_history(*TWO_WEIGHTS), kb)

        again = parse_case(case_to_data(case), kb)
        assert [(m.name, m.date, m.value) for m in case.measurements] == [
            (m.name, m.date, m.value) for m in again.measurements
        ]


_DAYS = st.dates(dt.date(2015, 1, 1), dt.date(2025, 12, 31))


@given(
    history=st.lists(st.tuples(_DAYS, st.floats(30, 200)), max_size=8),
    start=_DAYS,
)
def test_chosen_weight_is_latest_on_or_before_start(
    history: list[tuple[dt.date, float]], start: dt.date
) -> None:
    """The chosen weight is never dated after the start and is dated the latest day among
    the weights on or before it (None when there is none)."""
    measurements = tuple(Measurement("weight", d, v) for d, v in history)
    chosen = latest_on_or_before(measurements, "weight", start)
    eligible = [d for d, _ in history if d <= start]

    if not eligible:
        assert chosen is None
    else:
        assert chosen is not None
        assert chosen.date <= start
        assert chosen.date == max(eligible)


@given(history=st.lists(st.tuples(_DAYS, st.floats(30, 200)), min_size=1, max_size=8),
       day=_DAYS)
def test_case_on_reports_every_later_weight(history: list[tuple[dt.date, float]],
                                            day: dt.date) -> None:
    """Every weight after the day is listed as not used; the patient's weight is the chosen
    one with its date."""
    case = Case(id="x", as_of=day, patient=Patient(),
                measurements=tuple(Measurement("weight", d, v) for d, v in history))
    value = body_value(case, "weight", day)

    assert len(value.later) == sum(1 for d, _ in history if d > day)
    assert case_on(case, day).patient.weight_date == value.date
