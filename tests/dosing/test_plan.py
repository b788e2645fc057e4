"""Whole plans: the issue's two examples and properties of every course's grams."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from clepath.domain.case import Measurement
from clepath.dosing import catalogue
from clepath.dosing.plan import PlanOptions, plan_ivig
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from tests.dosing.factories import case, demo_case, ivig_kb, patient, request, seed_case

PRODUCTS = [None, *sorted(p.id for p in catalogue.products(ivig_kb()))]


class TestSeedExample:
    def test_seed_doses_on_actual_weight(self, kb: KnowledgeBase) -> None:
        """Female, 60 kg, 158 cm: actual weight, 60 kg."""
        w = plan_ivig(seed_case(), kb).dosing_weight

        assert ("actual", 60.0) == (w.basis, w.kg)

    def test_seed_induction_is_120_g_over_5_days(self, kb: KnowledgeBase) -> None:
        """The induction is 120 g over 5 days (24 g a day), from 3 June 2019."""
        induction = plan_ivig(seed_case(), kb).courses[0]

        assert ("induction", 120.0, [24.0] * 5, dt.date(2019, 6, 3)) == (
            induction.kind,
            induction.total_grams,
            [d.grams for d in induction.infusion_days],
            induction.start,
        )

    def test_seed_then_four_maintenance_courses_of_60_g(self, kb: KnowledgeBase) -> None:
        """Four maintenance courses of 60 g follow, four weeks apart."""
        maintenance = plan_ivig(seed_case(), kb).courses[1:]

        assert [("maintenance", 60.0)] * 4 == [(c.kind, c.total_grams) for c in maintenance]

    def test_seed_is_not_blocked_and_has_no_vials(self, kb: KnowledgeBase) -> None:
        """The seed plan is in grams (no product) and has no hard stop."""
        plan = plan_ivig(seed_case(), kb)

        assert (False, None, ()) == (plan.blocked, plan.product, plan.courses[0].infusion_days[0]
                                     .vials)


class TestDemoExample:
    def test_dose_determining_weight_about_63_4_kg(self, kb: KnowledgeBase) -> None:
        """176 lb, 5 ft 3 in: dose-determining weight 63.37 kg (about 63.4)."""
        w = plan_ivig(demo_case(), kb).dosing_weight

        assert ("dose_determining", 63.4) == (w.basis, round(w.kg, 1))

    def test_induction_125_g_as_25_g_a_day_of_20_plus_5_g_vials(self, kb: KnowledgeBase) -> None:
        """125 g induction: 25 g a day, each day one 20 g and one 5 g Privigen vial."""
        course = plan_ivig(demo_case(), kb).courses[0]

        assert (125.0, {(25.0, ((20.0, 1), (5.0, 1)))}) == (
            course.total_grams,
            {(d.grams, tuple((v.size_g, v.count) for v in d.vials)) for d in course.infusion_days},
        )

    def test_estrogen_and_blood_group_a_raise_warnings(self, kb: KnowledgeBase) -> None:
        """Estrogen use (thrombosis) and blood group A at 2 g/kg (haemolysis) are warnings."""
        alerts = {a.code: a.severity for a in plan_ivig(demo_case(), kb).alerts}

        assert ("warning", "warning") == (alerts["thrombosis_risk"], alerts["haemolysis_non_o"])

    def test_infusion_is_capped_and_timed(self, kb: KnowledgeBase) -> None:
        """At risk, Privigen is capped at 3.3 mg/kg/min: 25 g takes about 178 minutes."""
        plan = plan_ivig(demo_case(), kb)

        assert (3.3, 178) == (
            plan.infusion.cap_mg_kg_min,  # type: ignore[union-attr]
            round(plan.courses[0].infusion_days[0].minutes),  # type: ignore[arg-type]
        )


class TestOptions:
    def test_start_date_defaults_to_as_of_with_a_note(self, kb: KnowledgeBase) -> None:
        """Without a start date the plan starts on as_of and says so."""
        plan = plan_ivig(case(patient(), request(start=None)), kb)

        assert (plan.as_of, True) == (
            plan.start, "start_date_assumed" in {a.code for a in plan.alerts}
        )

    def test_rounding_step_option(self, kb: KnowledgeBase) -> None:
        """A 1 g step gives 127 g for the 160 cm / 80 kg woman's 126.86 g induction."""
        c = case(patient(height_cm=160, weight_kg=80), request())
        plan = plan_ivig(c, kb, options=PlanOptions(rounding_step_g=1))

        assert 127.0 == plan.courses[0].total_grams

    def test_160_cm_80_kg_gets_125_g_and_65_g(self, kb: KnowledgeBase) -> None:
        """ivig.md check: induction 125 g (25 g x 5), maintenance 65 g."""
        c = case(patient(height_cm=160, weight_kg=80), request(maintenance=(1.0, 28, 1)))
        courses = plan_ivig(c, kb).courses

        assert (125.0, [25.0] * 5, 65.0) == (
            courses[0].total_grams, [d.grams for d in courses[0].infusion_days],
            courses[1].total_grams,
        )


class TestGramsProperty:
    @given(
        product=st.sampled_from(PRODUCTS),
        sex=st.sampled_from(["female", "male"]),
        height=st.floats(140, 205),
        weight=st.floats(40, 200),
        dose=st.sampled_from([0.4, 0.5, 1.0, 1.5, 2.0]),
        days=st.integers(2, 5),
        policy=st.sampled_from(["UK_DDW", "US_120", "AU_2026", "ONTARIO", "ACTUAL"]),
    )
    def test_given_grams_within_half_a_step_of_the_prescription(
        self, product: str | None, sex: str, height: float, weight: float, dose: float,
        days: int, policy: str,
    ) -> None:
        """Every course gives within 2.5 g of g/kg x dosing weight, in whole vials."""
        kb = ivig_kb()
        c = case(patient(sex=sex, height_cm=height, weight_kg=weight),
                 request(induction=(dose, days), maintenance=(dose / 2, 28, 2), product=product,
                         policy=policy))
        plan = plan_ivig(c, kb)

        for course in plan.courses:
            prescribed = course.dose_g_per_kg * plan.dosing_weight.kg
            assert abs(course.total_grams - prescribed) <= 2.5 + 1e-9
            for day in course.infusion_days:
                assert day.grams > 0
                if plan.product is not None:
                    assert abs(sum(v.size_g * v.count for v in day.vials) - day.grams) < 1e-9


class TestFewerDaysThanRequested:
    def test_whole_vials_that_cannot_fill_every_day_shorten_the_course(self) -> None:
        """15 g of 5 g vials over 4 days is three 5 g days with a note, never a 0 g day."""
        c = case(
            patient(sex="female", height_cm=140, weight_kg=40),
            request(induction=(0.4, 4), product="asceniv", policy="UK_DDW"),
        )

        course = plan_ivig(c, ivig_kb()).courses[0]

        assert [5.0, 5.0, 5.0] == [d.grams for d in course.infusion_days]
        assert course.notes and "3 of the 4" in course.notes[0]


class TestOutsideClePresets:
    @given(weight=st.floats(40, 150), preset=st.sampled_from(
        ["sjs_ten_yang_2009", "sjs_ten_trent_2003"]))
    def test_one_course_of_dose_times_actual_weight_in_equal_days(
        self, weight: float, preset: str
    ) -> None:
        """An SJS/TEN preset on actual weight gives one course within 2.5 g of g/kg x weight
        (2 g/kg over 5 days for Yang 2009, 4 g/kg over 4 days for Trent 2003), its days within
        0.1 g of each other and adding up to the course."""
        expected = {"sjs_ten_yang_2009": (2.0, 5), "sjs_ten_trent_2003": (4.0, 4)}[preset]
        c = case(patient(weight_kg=weight), request(policy="ACTUAL"))

        plan = plan_ivig(c, ivig_kb(), options=PlanOptions(preset=preset))
        (course,) = plan.courses
        grams = [d.grams for d in course.infusion_days]

        assert expected[1] == len(grams)
        assert max(grams) - min(grams) <= 0.1 + 1e-9
        assert abs(sum(grams) - course.total_grams) < 1e-9
        assert abs(course.total_grams - expected[0] * weight) <= 2.5 + 1e-9


_DAY = st.dates(dt.date(2022, 1, 1), dt.date(2025, 12, 31))


@given(history=st.lists(st.tuples(_DAY, st.floats(40, 150)), min_size=1, max_size=6),
       start=_DAY)
def test_plan_weight_is_the_latest_on_or_before_its_start(
    history: list[tuple[dt.date, float]], start: dt.date
) -> None:
    """For any dated weight history, the plan's actual weight is dated on or before its start
    and on the latest such day (the ACTUAL policy doses on it); with none on or before the
    start, no plan is made and the problem names `measurements`."""
    base = case(patient(weight_kg=None), request(induction=(2.0, 2), policy="ACTUAL",
                                                 start=start))
    planned = replace(base, measurements=tuple(Measurement("weight", d, w) for d, w in history))
    eligible = [d for d, _ in history if d <= start]
    if not eligible:
        try:
            plan_ivig(planned, ivig_kb())
        except CaseError as exc:
            assert "measurements" == exc.problems[0].field
            return
        raise AssertionError("a plan was made from weights all after its start")
    weight = plan_ivig(planned, ivig_kb()).dosing_weight
    latest = max(eligible)
    chosen = [w for d, w in history if d == latest][-1]

    assert weight.weight_date is not None and weight.weight_date <= start
    assert (latest, chosen) == (weight.weight_date, weight.actual_kg)
