"""Regimens: presets, the case's request, option overrides and the dated schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from clepath.dosing.regimen import (
    CoursePart,
    RegimenOverrides,
    build_regimen,
    schedule,
)
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from tests.dosing.factories import request

START = dt.date(2024, 4, 1)


class TestPresets:
    def test_seed_protocol(self, kb: KnowledgeBase) -> None:
        """The seed protocol: 2 g/kg over 5 days, then 1 g/kg every 4 weeks x 4."""
        r = build_regimen(kb, None, "seed")

        assert (CoursePart(2.0, 5), CoursePart(1.0, 1, 28, 4)) == (r.induction, r.maintenance)

    def test_ky_2015_is_three_monthly_courses_of_0_5_g_per_kg_a_day(
        self, kb: KnowledgeBase
    ) -> None:
        """Ky 2015: 0.5 g/kg a day for 4 days, three monthly cycles in all."""
        courses = schedule(build_regimen(kb, None, "Ky 2015"), START)

        assert [(2.0, 4)] * 3 == [(c.dose_g_per_kg, c.days) for c in courses]

    def test_goodfield_low_dose(self, kb: KnowledgeBase) -> None:
        """Goodfield 2004: 1 g/kg on 2 days, then 0.4 g/kg monthly; labelled unconfirmed."""
        r = build_regimen(kb, None, "goodfield")

        assert (CoursePart(2.0, 2), 0.4, True) == (
            r.induction, r.maintenance.dose_g_per_kg, r.preset_unconfirmed  # type: ignore[union-attr]
        )

    @pytest.mark.parametrize("name", ["2 g/kg monthly", "dermatomyositis"])
    def test_high_dose_presets_give_2_g_per_kg_every_4_weeks(
        self, kb: KnowledgeBase, name: str
    ) -> None:
        """The high-dose monthly and dermatomyositis presets give 2 g/kg every 28 days."""
        r = build_regimen(kb, None, name)

        assert (2.0, 28) == (r.maintenance.dose_g_per_kg, r.maintenance.every_days)  # type: ignore[union-attr]

    def test_preset_replaces_the_case_request(self, kb: KnowledgeBase) -> None:
        """A preset chosen on the command line replaces the regimen the case asked for."""
        r = build_regimen(kb, request(induction=(1.0, 2)), "ky 2015")

        assert (2.0, 4, "preset") == (r.induction.dose_g_per_kg, r.induction.days, r.origin)  # type: ignore[union-attr]

    def test_unknown_preset_suggests_names(self, kb: KnowledgeBase) -> None:
        """An unknown preset is a CaseError naming --preset."""
        with pytest.raises(CaseError) as info:
            build_regimen(kb, None, "goodfeld")

        assert ("--preset", "cle_goodfield_lowdose") == (
            info.value.problems[0].field, info.value.problems[0].suggestions[0]
        )


class TestRequestAndOverrides:
    def test_case_request_is_used(self, kb: KnowledgeBase) -> None:
        """The case's induction and maintenance are planned as asked."""
        r = build_regimen(kb, request(maintenance=(1.0, 28, 4)))

        assert (CoursePart(2.0, 5), 28, 4) == (
            r.induction, r.maintenance.every_days, r.maintenance.cycles  # type: ignore[union-attr]
        )

    def test_single_option_overrides_one_field(self, kb: KnowledgeBase) -> None:
        """--induction-days 4 changes only the days."""
        r = build_regimen(kb, request(), overrides=RegimenOverrides(induction_days=4))

        assert (CoursePart(2.0, 4), "case+options") == (r.induction, r.origin)

    @pytest.mark.parametrize("days", [1, 6])
    def test_induction_days_outside_2_to_5_are_refused(self, kb: KnowledgeBase, days: int) -> None:
        """Labels divide an induction over 2 to 5 days."""
        with pytest.raises(CaseError) as info:
            build_regimen(kb, request(), overrides=RegimenOverrides(induction_days=days))

        assert "ivig.induction.days" == info.value.problems[0].field

    def test_maintenance_needs_interval_and_cycles(self, kb: KnowledgeBase) -> None:
        """A maintenance dose alone lists the missing interval and cycles."""
        with pytest.raises(CaseError) as info:
            build_regimen(kb, None, overrides=RegimenOverrides(maintenance_dose_g_per_kg=1.0))

        assert {"ivig.maintenance.every", "ivig.maintenance.cycles"} == {
            p.field for p in info.value.problems
        }

    def test_nothing_asked_is_refused(self, kb: KnowledgeBase) -> None:
        """No request, preset or option: there is nothing to plan."""
        with pytest.raises(CaseError):
            build_regimen(kb, None)

    def test_maintenance_days_default_keeps_each_day_at_1_g_per_kg(
        self, kb: KnowledgeBase
    ) -> None:
        """Without days, 1 g/kg takes 1 day and 2 g/kg takes 2 days."""
        one = build_regimen(kb, request(induction=None, maintenance=(1.0, 28, 2)))
        two = build_regimen(kb, request(induction=None, maintenance=(2.0, 28, 2)))

        assert (1, 2, True) == (
            one.maintenance.days, two.maintenance.days, two.maintenance.days_assumed  # type: ignore[union-attr]
        )

    def test_induction_days_default_is_two_for_2_g_per_kg(self, kb: KnowledgeBase) -> None:
        """An induction without days is split so no day exceeds 1 g/kg: 2 days for 2 g/kg."""
        r = build_regimen(kb, request(induction=None),
                          overrides=RegimenOverrides(induction_dose_g_per_kg=2.0))

        assert CoursePart(2.0, 2, days_assumed=True) == r.induction


class TestSchedule:
    def test_seed_schedule_dates(self, kb: KnowledgeBase) -> None:
        """Induction on the start date, then maintenance every 28 days: cycles 1-5."""
        courses = schedule(build_regimen(kb, None, "seed"), dt.date(2019, 6, 3))

        assert [
            ("induction", 1, dt.date(2019, 6, 3)),
            ("maintenance", 2, dt.date(2019, 7, 1)),
            ("maintenance", 3, dt.date(2019, 7, 29)),
            ("maintenance", 4, dt.date(2019, 8, 26)),
            ("maintenance", 5, dt.date(2019, 9, 23)),
        ] == [(c.kind, c.cycle, c.start) for c in courses]

    def test_maintenance_only_starts_on_the_start_date(self, kb: KnowledgeBase) -> None:
        """Without an induction the first maintenance course is cycle 1 on the start date."""
        courses = schedule(build_regimen(kb, request(induction=None, maintenance=(1.0, 21, 2))),
                           START)

        assert [(1, START), (2, START + dt.timedelta(days=21))] == [
            (c.cycle, c.start) for c in courses
        ]
