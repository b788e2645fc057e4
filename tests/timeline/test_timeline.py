"""The timeline's dated series: scores, laboratory values, prednisone equivalent, therapies and
IVIG infusions, on the two example cases and on small built cases."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from clepath.engine.timeline import IVIG_DRUG, Timeline, build_timeline
from clepath.knowledge.base import KnowledgeBase
from tests.timeline._factory import (
    AS_OF,
    case,
    course,
    day,
    exam,
    finding,
    ivig_request,
    lab,
)


class TestSeedTimeline:
    def test_no_clasi_points(self, seed_timeline: Timeline) -> None:
        """The seed report records no CLASI examination, so both CLASI series are empty."""
        assert () == seed_timeline.clasi_activity.points
        assert () == seed_timeline.clasi_damage.points

    def test_prednisone_equivalent_step(self, seed_timeline: Timeline) -> None:
        """Deflazacort 18 mg daily from 2019-05-04 is a step of 15 mg/day prednisone equivalent."""
        series = seed_timeline.prednisone_equivalent

        assert [(day("2019-05-04"), 15.0)] == [(p.date, p.value) for p in series.points]
        assert series.step and "mg/d" == series.unit

    def test_eight_undated_failed_courses(self, seed_timeline: Timeline) -> None:
        """The eight failed agents of the report have no dates: listed, not drawn."""
        undated = seed_timeline.undated_therapies

        assert 8 == len(undated)
        assert {"failed"} == {u.outcome for u in undated}
        assert {"dates"} == {u.missing for u in undated}
        assert {"deflazacort", "apremilast"} == {b.drug for b in seed_timeline.therapies}

    def test_planned_infusions(self, seed_timeline: Timeline) -> None:
        """Five induction infusions from 2019-06-03, then four monthly maintenance infusions."""
        marks = seed_timeline.ivig
        induction = [m for m in marks if m.course == "induction 1"]
        maintenance = [m for m in marks if m.course.startswith("maintenance")]

        assert [day("2019-06-03") + dt.timedelta(days=i) for i in range(5)] == [
            m.date for m in induction
        ]
        assert [24.0] * 5 == [m.grams for m in induction]
        assert 4 == len(maintenance)
        assert [60.0] * 4 == [m.grams for m in maintenance]
        assert {"planned"} == {m.status for m in marks}

    def test_axis_runs_to_the_last_planned_infusion(self, seed_timeline: Timeline) -> None:
        """The axis starts at the first dated item and ends at the last planned infusion."""
        assert (day("2019-05-04"), day("2019-09-23")) == (
            seed_timeline.start,
            seed_timeline.end,
        )

    def test_wbc_and_qualitative_c4(self, seed_timeline: Timeline) -> None:
        """WBC 1300/mm3 shows as 1.3 x10^9/L; the C4 reported only as low has no value."""
        assert [1.3] == list(seed_timeline.wbc.values)
        assert "10*9/L" == seed_timeline.wbc.unit
        c4 = seed_timeline.c4.points[0]
        assert (None, "low") == (c4.value, c4.flag)

    def test_every_series_carries_its_unit(self, seed_timeline: Timeline) -> None:
        """Each series names its UCUM unit."""
        units = {s.id: s.unit for s in seed_timeline.series}

        assert {
            "clasi_activity": "{score}",
            "clasi_damage": "{score}",
            "sledai_2k": "{score}",
            "wbc": "10*9/L",
            "c3": "g/L",
            "c4": "g/L",
            "prednisone_equivalent": "mg/d",
        } == units


class TestScleTimeline:
    def test_clasi_series(self, scle_timeline: Timeline) -> None:
        """The two examinations give CLASI-A 15 then 12 and CLASI-D 4 then 1."""
        assert [15, 12] == list(scle_timeline.clasi_activity.values)
        assert [4, 1] == list(scle_timeline.clasi_damage.values)

    def test_sledai_on_the_assessment_date(self, scle_timeline: Timeline) -> None:
        """SLEDAI-2K scored as of 2024-03-15 is 12."""
        points = {p.date: p.value for p in scle_timeline.sledai.points}

        assert 12 == points[day("2024-03-15")]

    def test_sledai_dates_are_dates_with_descriptor_data(self, scle_timeline: Timeline) -> None:
        """Only dates with a finding, test or CLASI examination SLEDAI-2K reads are scored (not
        the ANA date); the 2023-06-01 examination (erythema in five regions) scores rash 2."""
        dates = [p.date for p in scle_timeline.sledai.points]

        # Since sledai_2k 1.1.0 a CLASI examination scores rash from its erythema (issue 9
        # item 6), so the baseline examination of 2023-06-01 is a SLEDAI-2K date: rash 2.
        assert [day("2023-06-01"), day("2024-03-10"), day("2024-03-12"), day("2024-03-15")] == (
            dates
        )
        assert [2, 4, 8, 12] == list(scle_timeline.sledai.values)

    def test_complement_lower_limits(self, scle_timeline: Timeline) -> None:
        """C3 0.78 g/L is below the lab's 0.9; C4 0.12 g/L is above its 0.1."""
        c3, c4 = scle_timeline.c3.points[0], scle_timeline.c4.points[0]

        assert (0.78, 0.9, "low") == (c3.value, c3.lower, c3.flag)
        assert (0.12, 0.1, "normal") == (c4.value, c4.lower, c4.flag)

    def test_therapy_bars(self, scle_timeline: Timeline) -> None:
        """Methotrexate runs 2023-06-15 to 2023-11-20 (failed); HCQ runs to as_of (ongoing)."""
        bars = {b.drug: b for b in scle_timeline.therapies}

        mtx, hcq = bars["methotrexate"], bars["hydroxychloroquine"]
        assert (day("2023-06-15"), day("2023-11-20"), "failed") == (mtx.start, mtx.end, mtx.outcome)
        assert (day("2024-03-15"), True) == (hcq.end, hcq.ongoing)
        assert () == scle_timeline.undated_therapies

    def test_planned_induction(self, scle_timeline: Timeline) -> None:
        """The requested 2 g/kg over 5 days on 63.4 kg dosing weight is 5 days of 25 g."""
        assert [25.0] * 5 == [m.grams for m in scle_timeline.ivig]


class TestPrednisoneSteps:
    def test_overlapping_courses_add_up(self, kb: KnowledgeBase) -> None:
        """Prednisolone 10 mg plus methylprednisolone 8 mg overlapping give 10, 20, then 10."""
        c = case(therapies=[
            course("prednisolone", dose_mg=10, frequency="daily", start="2024-01-01"),
            course("methylprednisolone", "stopped", dose_mg=8, frequency="daily",
                   start="2024-02-01", stop="2024-02-15"),
        ])

        series = build_timeline(c, kb).prednisone_equivalent

        assert [(day("2024-01-01"), 10.0), (day("2024-02-01"), 20.0), (day("2024-02-15"), 10.0)] \
            == [(p.date, p.value) for p in series.points]

    def test_stopped_course_steps_down_to_zero(self, kb: KnowledgeBase) -> None:
        """Hydrocortisone 20 mg daily stopped on 2024-02-01 is 5 mg/day, then 0."""
        c = case(therapies=[course("hydrocortisone", "stopped", dose_mg=20, frequency="daily",
                                   start="2024-01-10", stop="2024-02-01")])

        series = build_timeline(c, kb).prednisone_equivalent

        assert [5.0, 0.0] == list(series.values)

    def test_topical_and_undated_courses_are_not_in_the_series(self, kb: KnowledgeBase) -> None:
        """A topical course never counts; an undated systemic course is noted, not drawn."""
        c = case(therapies=[
            course("prednisolone", dose_mg=10, frequency="daily", start="2024-01-01",
                   route="topical"),
            course("prednisone", "failed", dose_mg=20, frequency="daily"),
        ])

        t = build_timeline(c, kb)

        assert () == t.prednisone_equivalent.points
        assert any("prednisone course without a start date" in n for n in t.notes)

    def test_nothing_after_as_of(self, kb: KnowledgeBase) -> None:
        """A course and a result dated after as_of are never read."""
        c = case(
            therapies=[course("prednisone", dose_mg=20, frequency="daily", start="2024-04-01")],
            labs=[lab("wbc", "2024-04-02", 2.0, "10*9/L")],
        )

        t = build_timeline(c, kb)

        assert ((), (), ()) == (t.prednisone_equivalent.points, t.wbc.points, t.therapies)

    @given(
        courses=st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=60),
                st.integers(min_value=1, max_value=60),
                st.sampled_from([2.5, 5.0, 7.5, 10.0, 40.0]),
                st.booleans(),
            ),
            max_size=4,
        )
    )
    def test_each_step_is_the_sum_of_the_courses_taken_that_day(
        self, kb: KnowledgeBase, courses: list[tuple[int, int, float, bool]]
    ) -> None:
        """Every step holds the sum of the prednisone doses of the courses running on its date."""
        origin = day("2024-01-01")
        therapies = []
        spans = []
        for offset, length, dose, ongoing in courses:
            start = origin + dt.timedelta(days=offset)
            stop = None if ongoing else start + dt.timedelta(days=length)
            therapies.append(course(
                "prednisone", "ongoing" if ongoing else "stopped", dose_mg=dose,
                frequency="daily", start=start.isoformat(),
                stop=stop.isoformat() if stop else None,
            ))
            spans.append((start, stop, dose))

        points = build_timeline(case(therapies=therapies), kb).prednisone_equivalent.points

        for point in points:
            running = [d for s, e, d in spans if s <= point.date and (e is None or point.date < e)]
            expected = sum(running)
            assert round(expected, 3) == point.value
        pairs = zip(points, points[1:], strict=False)
        assert all(a.date < b.date and a.value != b.value for a, b in pairs)


class TestScores:
    def test_sledai_uses_its_window(self, kb: KnowledgeBase) -> None:
        """A rash on 2024-03-01 scores 2 that day and still counts 10 days later, not 11."""
        c = case(findings=[finding("inflammatory_rash", "2024-03-01")],
                 labs=[lab("c3", "2024-03-11", 1.2, "g/L", lower=0.9),
                       lab("c4", "2024-03-12", 0.3, "g/L", lower=0.1)])

        series = build_timeline(c, kb).sledai

        assert [2, 2, 0] == list(series.values)

    def test_clasi_activity_per_exam(self, kb: KnowledgeBase) -> None:
        """Each examination gives one CLASI-A point in date order."""
        c = case(clasi=[exam("2024-02-01", 2), exam("2023-12-01", 3)])

        assert [3, 2] == list(build_timeline(c, kb).clasi_activity.values)


class TestIvigMarks:
    def test_given_course_every_four_weeks(self, kb: KnowledgeBase) -> None:
        """IVIG every 4 weeks from 2024-01-01 to 2024-03-01 gives three given infusions."""
        c = case(therapies=[course(IVIG_DRUG, "stopped", dose_mg=140000, frequency="every_4_weeks",
                                   start="2024-01-01", stop="2024-03-01")])

        marks = build_timeline(c, kb).ivig

        assert [day("2024-01-01"), day("2024-01-29"), day("2024-02-26")] == [m.date for m in marks]
        assert {("given", 140.0)} == {(m.status, m.grams) for m in marks}

    def test_course_without_frequency_is_one_mark(self, kb: KnowledgeBase) -> None:
        """An IVIG course without a frequency is marked once, at its start."""
        c = case(therapies=[course(IVIG_DRUG, "failed", start="2023-05-02", stop="2023-09-01")])

        assert [day("2023-05-02")] == [m.date for m in build_timeline(c, kb).ivig]

    def test_plan_that_cannot_be_made_is_noted(self, kb: KnowledgeBase) -> None:
        """Without a weight no IVIG plan exists: no planned mark, and a note says why."""
        c = case(ivig=ivig_request(), weight_kg=None)

        t = build_timeline(c, kb)

        assert () == t.ivig
        assert any(n.startswith("IVIG plan not drawn") for n in t.notes)

    def test_plan_extends_the_axis(self, kb: KnowledgeBase) -> None:
        """Planned infusions after as_of move the end of the axis, never as_of itself."""
        t = build_timeline(case(ivig=ivig_request("2024-04-01")), kb)

        assert (AS_OF, day("2024-04-05")) == (t.as_of, t.end)
