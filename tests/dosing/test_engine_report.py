"""The IVIG plan for whole case files: engine, JSON (against its schema), terminal, iCalendar."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from io import StringIO

import jsonschema
import pytest
from icalendar import Calendar
from rich.console import Console

from clepath.casefile import load_case
from clepath.engine.ivig import IvigPlanReport, plan_for_case
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.report.ivig import ivig_to_ics, ivig_to_json, render_ivig
from tests.conftest import SCLE_CASE, SEED_CASE


@pytest.fixture(scope="module")
def full_kb() -> KnowledgeBase:
    """Every knowledge pack (the planner's context needs labs, clasi and drugs)."""
    return load_knowledge()


@pytest.fixture(scope="module")
def schema() -> dict:  # type: ignore[type-arg]
    """The published JSON Schema of `clepath ivig --json`."""
    text = resources.files("clepath.schemas").joinpath("ivig.schema.json").read_text("utf-8")
    return json.loads(text)


def _report(kb: KnowledgeBase, path, **options) -> IvigPlanReport:  # type: ignore[no-untyped-def]
    return plan_for_case(load_case(path, kb), kb, **options)


class TestEngine:
    def test_pack_loads_with_every_other_pack(self, full_kb: KnowledgeBase) -> None:
        """The ivig pack loads through load_knowledge() and feeds its three vocabularies."""
        resolved = (
            full_kb.vocabulary("ivig_product").resolve("Kiovig"),
            full_kb.vocabulary("ivig_policy").resolve("BloodSTAR"),
            full_kb.vocabulary("ivig_regimen").resolve("Singh 2020"),
        )

        assert ("gammagard_liquid", "AU_2026", "cle_motivating_case") == resolved

    def test_seed_case_file_plan(self, full_kb: KnowledgeBase) -> None:
        """The seed case file: 60 kg actual, 120 g induction, then four courses of 60 g."""
        plan = _report(full_kb, SEED_CASE).plan

        assert (60.0, [120.0, 60.0, 60.0, 60.0, 60.0]) == (
            plan.dosing_weight.kg, [c.total_grams for c in plan.courses]
        )

    def test_demo_case_file_plan(self, full_kb: KnowledgeBase) -> None:
        """The demo case file: DDW about 63.4 kg, 125 g as 25 g a day of 20 + 5 g Privigen."""
        report = _report(full_kb, SCLE_CASE)
        plan = report.plan
        codes = {a.code for a in plan.alerts}

        assert (63.4, 125.0) == (round(plan.dosing_weight.kg, 1), plan.courses[0].total_grams)
        assert {"thrombosis_risk", "haemolysis_non_o"} <= codes
        assert report.egfr is not None and report.inputs.egfr == report.egfr.value

    def test_clasi_history_reaches_the_review(self, full_kb: KnowledgeBase) -> None:
        """The demo's CLASI exam of 2024-03-15 is the baseline of the review."""
        review = _report(full_kb, SCLE_CASE).plan.review

        assert dt.date(2024, 3, 15) == review.baseline.date  # type: ignore[union-attr]

    def test_guideline_stance_and_versions_are_carried(self, full_kb: KnowledgeBase) -> None:
        """The report carries the guideline stances on IVIG and every pack's version."""
        report = _report(full_kb, SEED_CASE)

        assert report.guideline_stances
        assert full_kb.versions() == report.knowledge

    def test_options_override_the_case(self, full_kb: KnowledgeBase) -> None:
        """--preset ky 2015 and --product on the seed: three 120 g courses in Octagam vials."""
        plan = _report(full_kb, SEED_CASE, preset="ky 2015", product="octagam 10%").plan

        assert ([120.0] * 3, "octagam_10") == (
            [c.total_grams for c in plan.courses], plan.product.id  # type: ignore[union-attr]
        )


class TestJson:
    @pytest.mark.parametrize("path", [SEED_CASE, SCLE_CASE])
    def test_output_validates_against_the_schema(
        self, full_kb: KnowledgeBase, schema: dict, path  # type: ignore[no-untyped-def,type-arg]
    ) -> None:
        """Both example plans validate against schemas/ivig.schema.json."""
        out = json.loads(json.dumps(ivig_to_json(_report(full_kb, path))))

        jsonschema.validate(out, schema)

    def test_blocked_plan_validates_and_says_so(
        self, full_kb: KnowledgeBase, schema: dict  # type: ignore[type-arg]
    ) -> None:
        """A plan beyond six cycles validates, with blocked true and blocked courses marked."""
        out = ivig_to_json(_report(full_kb, SEED_CASE, maintenance_cycles=7))

        jsonschema.validate(out, schema)
        assert (True, [False] * 6 + [True] * 2) == (
            out["blocked"], [c["blocked"] for c in out["courses"]]
        )

    def test_required_shape(self, full_kb: KnowledgeBase) -> None:
        """dosing_weight, blocked, alerts and courses carry the fields the issue names."""
        out = ivig_to_json(_report(full_kb, SCLE_CASE))
        day = out["courses"][0]["days"][0]

        assert {"kg", "basis", "policy", "reason"} <= set(out["dosing_weight"])
        assert ("dose_determining", False) == (out["dosing_weight"]["basis"], out["blocked"])
        assert {"code", "severity", "message"} <= set(out["alerts"][0])
        assert (25.0, [{"size_g": 20.0, "count": 1}, {"size_g": 5.0, "count": 1}], 178) == (
            day["grams"], day["vials"], day["minutes"]
        )

    def test_courses_are_in_date_order(self, full_kb: KnowledgeBase) -> None:
        """Courses are listed by start date."""
        starts = [c["start"] for c in ivig_to_json(_report(full_kb, SEED_CASE))["courses"]]

        assert sorted(starts) == starts

    def test_every_cited_source_is_resolved(self, full_kb: KnowledgeBase) -> None:
        """Every source id cited by a row appears with its citation in `sources`."""
        out = ivig_to_json(_report(full_kb, SCLE_CASE))
        cited = {s["id"] for s in out["sources"]}

        assert set(out["dosing_weight"]["sources"]) <= cited
        assert all(set(a["sources"]) <= cited for a in out["alerts"])


class TestTerminal:
    def test_report_prints_weight_grams_and_vials(self, full_kb: KnowledgeBase) -> None:
        """The terminal report shows the DDW, the daily grams and the vials."""
        buffer = StringIO()
        render_ivig(_report(full_kb, SCLE_CASE), Console(file=buffer, width=140))
        text = buffer.getvalue()

        assert "63.37 kg (dose-determining)" in text
        assert "1 × 20 g + 1 × 5 g" in text
        assert "ivig@" in text


class TestIcs:
    def test_one_event_per_infusion_day(self, full_kb: KnowledgeBase) -> None:
        """The seed plan has 9 infusion days: 5 induction and 4 maintenance."""
        calendar = Calendar.from_ical(ivig_to_ics(_report(full_kb, SEED_CASE)))
        events = calendar.walk("VEVENT")

        assert 9 == len(events)
        assert dt.date(2019, 6, 3) == events[0].decoded("dtstart")

    def test_events_carry_grams_vials_and_minutes(self, full_kb: KnowledgeBase) -> None:
        """An event of the demo plan names 25 g, its vials and the minutes."""
        event = Calendar.from_ical(ivig_to_ics(_report(full_kb, SCLE_CASE))).walk("VEVENT")[0]
        text = str(event.get("description"))

        assert "25 g" in str(event.get("summary"))
        assert "1 × 20 g + 1 × 5 g" in text and "About 178 minutes" in text

    def test_output_is_deterministic(self, full_kb: KnowledgeBase) -> None:
        """Two exports of the same plan are byte-identical, UIDs included."""
        first = ivig_to_ics(_report(full_kb, SCLE_CASE))
        second = ivig_to_ics(_report(full_kb, SCLE_CASE))

        assert first == second


class TestOutsideCleRegimens:
    """The SJS/TEN presets (issue 12 item 4): the primary studies' grams, labelled outside CLE."""

    def test_yang_2009_at_60_kg_is_120_g_as_24_g_a_day_for_5_days(
        self, full_kb: KnowledgeBase
    ) -> None:
        """Yang 2009's 0.4 g/kg a day for 5 days at 60 kg: one course of 120 g, 24 g a day."""
        plan = _report(full_kb, SEED_CASE, preset="sjs_ten_yang_2009").plan

        assert (60.0, [("induction", 120.0)], [24.0] * 5) == (
            plan.dosing_weight.kg,
            [(c.kind, c.total_grams) for c in plan.courses],
            [d.grams for d in plan.courses[0].infusion_days],
        )

    def test_trent_2003_at_60_kg_is_240_g_as_60_g_a_day_for_4_days(
        self, full_kb: KnowledgeBase
    ) -> None:
        """Trent 2003's 1 g/kg a day for 4 days at 60 kg: one course of 240 g, 60 g a day."""
        plan = _report(full_kb, SEED_CASE, preset="trent 2003").plan

        assert ([240.0], [60.0] * 4) == (
            [c.total_grams for c in plan.courses],
            [d.grams for d in plan.courses[0].infusion_days],
        )

    def test_terminal_and_json_say_outside_cle(
        self, full_kb: KnowledgeBase, schema: dict  # type: ignore[type-arg]
    ) -> None:
        """The terminal names the regimen and 'Outside CLE: reported in SJS/TEN'; JSON validates."""
        report = _report(full_kb, SEED_CASE, preset="yang 2009")
        buffer = StringIO()
        render_ivig(report, Console(file=buffer, width=160))
        out = json.loads(json.dumps(ivig_to_json(report)))

        jsonschema.validate(out, schema)
        assert "Regimen: Yang 2009, SJS/TEN" in buffer.getvalue()
        assert "Outside CLE: reported in SJS/TEN, for reference only." in buffer.getvalue()
        assert ("SJS/TEN", ["yang2009", "yang2009_cjd"]) == (
            out["regimen"]["preset_indication"], out["regimen"]["sources"])

    def test_cle_preset_has_no_indication(self, full_kb: KnowledgeBase) -> None:
        """The seed's own regimen is CLE: no indication, no outside-CLE line."""
        report = _report(full_kb, SEED_CASE, preset="cle_motivating_case")
        buffer = StringIO()
        render_ivig(report, Console(file=buffer, width=160))

        assert (None, False) == (
            ivig_to_json(report)["regimen"]["preset_indication"],
            "Outside CLE" in buffer.getvalue(),
        )
