"""Dose plausibility against the drugs pack's limits, and overlapping courses summed (issue 9)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.domain.case import Case, TherapyCourse
from clepath.engine.assess import assess
from clepath.engine.doses import course_problems, unit_slip
from clepath.engine.therapy import drug_rows, review_therapies
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.knowledge.models.drugs import Drug
from tests.engine._factory import course, example_1, example_2
from tests.engine._factory import with_therapies as _with_list

_KB = load_knowledge()


def with_therapies(case: Case, *courses: TherapyCourse) -> Case:
    """A copy of `case` with these therapy courses only."""
    return _with_list(case, courses)


def _seventy_kg(case: Case) -> Case:
    return dataclasses.replace(case, patient=dataclasses.replace(case.patient, weight_kg=70.0))


def _alerts(case: Case, kb: KnowledgeBase, code: str) -> list:  # type: ignore[type-arg]
    return [a for a in assess(case, kb).alerts if a.code == code]


class TestMethotrexate:
    def test_daily_methotrexate_is_a_critical_schedule_alert(self, kb: KnowledgeBase) -> None:
        """Methotrexate 15 mg once daily raises a critical `dose_frequency_not_allowed`."""
        case = with_therapies(example_2(), course(
            "methotrexate", "failed", dose_mg=15, frequency="daily",
            start="2023-01-01", stop="2023-09-01",
        ))

        alerts = _alerts(case, kb, "dose_frequency_not_allowed")

        assert ["critical"] == [a.severity for a in alerts]
        assert "methotrexate once daily" in alerts[0].message
        assert "once weekly" in alerts[0].message

    def test_daily_methotrexate_is_not_an_adequate_trial(self, kb: KnowledgeBase) -> None:
        """A 35-week failed course of daily methotrexate is `implausible_dose`, not adequate."""
        case = with_therapies(example_2(), course(
            "methotrexate", "failed", dose_mg=15, frequency="daily",
            start="2023-01-01", stop="2023-09-01",
        ))

        mtx = review_therapies(case, kb).courses_of("methotrexate")[0]

        assert "implausible_dose" == mtx.adequacy
        assert "once daily is not an allowed schedule" in mtx.adequacy_note

    def test_15000_mg_weekly_is_above_the_maximum(self, kb: KnowledgeBase) -> None:
        """Methotrexate 15,000 mg weekly is above 30 mg/week: `dose_above_maximum`."""
        case = with_therapies(example_2(), course(
            "methotrexate", "failed", dose_mg=15000, frequency="weekly",
            start="2023-01-01", stop="2023-09-01",
        ))

        alerts = _alerts(case, kb, "dose_above_maximum")
        mtx = review_therapies(case, kb).courses_of("methotrexate")[0]

        assert 1 == len(alerts)
        assert "15,000 mg/week" in alerts[0].message
        assert "30 mg/week" in alerts[0].message
        assert "implausible_dose" == mtx.adequacy

    def test_15_mg_weekly_is_plausible_and_adequate(self, kb: KnowledgeBase) -> None:
        """Methotrexate 15 mg weekly for 35 weeks: no dose alert, an adequate trial."""
        case = with_therapies(example_2(), course(
            "methotrexate", "failed", dose_mg=15, frequency="weekly",
            start="2023-01-01", stop="2023-09-01",
        ))

        codes = {a.code for a in assess(case, kb).alerts}
        mtx = review_therapies(case, kb).courses_of("methotrexate")[0]

        assert not codes & {"dose_above_maximum", "dose_frequency_not_allowed"}
        assert "adequate" == mtx.adequacy

    def test_implausible_failure_does_not_make_the_patient_refractory(
        self, kb: KnowledgeBase
    ) -> None:
        """A daily-methotrexate failure is not counted: antimalarial + immunosuppressant unmet."""
        base = with_therapies(example_2(), course(
            "hydroxychloroquine", "failed", dose_mg=200, frequency="daily",
            start="2021-01-01", stop="2021-12-01",
        ))
        plausible = with_therapies(base, *base.therapies, course(
            "methotrexate", "failed", dose_mg=15, frequency="weekly",
            start="2022-01-01", stop="2022-09-01",
        ))
        daily = with_therapies(base, *base.therapies, course(
            "methotrexate", "failed", dose_mg=15, frequency="daily",
            start="2022-01-01", stop="2022-09-01",
        ))

        def definition(case: Case) -> bool | None:
            result = assess(case, kb).refractory
            return next(d.met for d in result.definitions if "immunosuppressant" in d.label)

        notes = " ".join(assess(daily, kb).refractory.notes)
        assert (True, False) == (definition(plausible), definition(daily))
        assert "methotrexate (failed) is not counted" in notes

    def test_subcutaneous_is_allowed_topical_is_not(self, kb: KnowledgeBase) -> None:
        """Methotrexate subcutaneously is allowed; by the topical route `route_not_allowed`."""
        sc = with_therapies(example_2(), course(
            "methotrexate", dose_mg=15, frequency="weekly", start="2024-01-01",
            route="subcutaneous",
        ))
        topical = with_therapies(example_2(), course(
            "methotrexate", dose_mg=15, frequency="weekly", start="2024-01-01", route="topical",
        ))

        assert [] == _alerts(sc, kb, "route_not_allowed")
        assert 1 == len(_alerts(topical, kb, "route_not_allowed"))


class TestOverlappingCourses:
    def _hcq_plaquenil(self) -> Case:
        return _seventy_kg(with_therapies(
            example_2(),
            course("hydroxychloroquine", dose_mg=400, frequency="daily", start="2024-01-01"),
            # Plaquenil resolves to the hydroxychloroquine id in the parser (tested below).
            course("hydroxychloroquine", dose_mg=400, frequency="daily", start="2024-02-01"),
        ))

    def test_duplicate_therapy_names_both_courses(self, kb: KnowledgeBase) -> None:
        """HCQ 400 mg/day + Plaquenil 400 mg/day overlapping: one `duplicate_therapy`, 800 mg."""
        alerts = _alerts(self._hcq_plaquenil(), kb, "duplicate_therapy")

        assert 1 == len(alerts)
        assert "2024-01-01" in alerts[0].message and "2024-02-01" in alerts[0].message
        assert alerts[0].message.count("400 mg once daily") == 2
        assert "together 800 mg/day" in alerts[0].message

    def test_hcq_alert_uses_the_summed_dose(self, kb: KnowledgeBase) -> None:
        """The HCQ alert reads 800 mg/day = 11.43 mg/kg for 70 kg, raised once."""
        alerts = _alerts(self._hcq_plaquenil(), kb, "hcq_dose_above_5_mg_per_kg")

        assert 1 == len(alerts)
        assert "800 mg/day is 11.43 mg/kg" in alerts[0].message
        courses = review_therapies(self._hcq_plaquenil(), kb).courses
        assert [11.429, 11.429] == [c.dose_mg_per_kg for c in courses]
        assert [(1,), (0,)] == [c.overlaps_with for c in courses]

    def test_a_switch_is_not_an_overlap(self, kb: KnowledgeBase) -> None:
        """Brand stopped on the day the generic starts: no duplicate, 5.71 mg/kg alone."""
        case = _seventy_kg(with_therapies(
            example_2(),
            course("hydroxychloroquine", "stopped", dose_mg=400, frequency="daily",
                   start="2023-01-01", stop="2024-01-01"),
            course("hydroxychloroquine", dose_mg=400, frequency="daily", start="2024-01-01"),
        ))

        assert [] == _alerts(case, kb, "duplicate_therapy")
        assert "400 mg/day is 5.71 mg/kg" in _alerts(case, kb, "hcq_dose_above_5_mg_per_kg")[
            0].message

    def test_mycophenolate_forms_share_a_moiety(self, kb: KnowledgeBase) -> None:
        """MMF 1.5 g twice daily + EC-MPS 720 mg twice daily: duplicate, and above 3 g/day."""
        case = with_therapies(
            example_2(),
            course("mycophenolate mofetil", dose_mg=1500, frequency="twice_daily",
                   start="2024-01-01"),
            course("mycophenolic acid", dose_mg=720, frequency="twice_daily", start="2024-01-01"),
        )

        assert 1 == len(_alerts(case, kb, "duplicate_therapy"))
        above = _alerts(case, kb, "dose_above_maximum")
        assert any("4,440 mg/day (overlapping courses summed)" in a.message for a in above)


class TestExamplesStayQuiet:
    @pytest.mark.parametrize("example", [example_1, example_2])
    def test_no_new_dose_alerts(self, kb: KnowledgeBase, example) -> None:  # type: ignore[no-untyped-def]
        """The two case-format examples raise no dose, schedule, route or duplicate alert."""
        codes = {a.code for a in assess(example(), kb).alerts}

        assert not codes & {
            "dose_above_maximum", "dose_frequency_not_allowed", "route_not_allowed",
            "duplicate_therapy",
        }

    def test_seed_apremilast_and_deflazacort_are_in_range(self, kb: KnowledgeBase) -> None:
        """Seed: apremilast 30 mg twice daily and deflazacort 18 mg daily have no problem."""
        courses = review_therapies(example_1(), kb).courses

        assert all(c.dose_problems == () for c in courses)


def _limited() -> list[Drug]:
    return [
        r for r in drug_rows(_KB).values()
        if r.limits is not None
        and (r.limits.maximum is not None or r.limits.maximum_per_kg is not None)
    ]


_PER_WEEK = {
    "daily": 7.0, "twice_daily": 14.0, "three_times_daily": 21.0, "every_other_day": 3.5,
    "weekly": 1.0, "every_2_weeks": 0.5, "every_4_weeks": 0.25, "monthly": 0.23,
}


def _ceiling_per_administration(row: Drug, per_week: float, weight_kg: float) -> float:
    """The largest single dose that keeps every maximum of the row at this frequency."""
    limits = row.limits
    assert limits is not None
    ceilings = []
    for limit in (limits.maximum, limits.maximum_per_kg):
        if limit is None:
            continue
        amount = limit.mg if limit.mg is not None else (limit.mg_per_kg or 0) * weight_kg
        per_admin = {"day": max(1.0, per_week / 7), "week": max(1.0, per_week), "dose": 1.0}[
            limit.per]
        ceilings.append(amount / per_admin)
    return min(ceilings)


class TestProperties:
    @given(
        row=st.sampled_from(_limited()),
        data=st.data(),
        fraction=st.floats(min_value=0.01, max_value=1.0),
        weight=st.floats(min_value=30.0, max_value=150.0),
    )
    def test_within_the_maximum_at_an_allowed_frequency_no_alert(
        self, row: Drug, data: st.DataObject, fraction: float, weight: float
    ) -> None:
        """Any dose up to every maximum, at any allowed frequency and route, raises nothing."""
        limits = row.limits
        assert limits is not None
        frequency = data.draw(st.sampled_from(
            limits.frequencies.allowed if limits.frequencies else ("daily",)
        ))
        route = data.draw(st.sampled_from(limits.routes.allowed if limits.routes else (None,)))
        per_week = _PER_WEEK[frequency]
        dose = _ceiling_per_administration(row, per_week, weight) * fraction
        c = dataclasses.replace(
            course(row.id, dose_mg=dose, frequency=frequency, start="2024-01-01"),
            doses_per_week=per_week, route=route,
        )

        assert () == course_problems(
            row, c, weight_kg=weight, frequency_labels={}, route_labels={}
        )

    @given(
        row=st.sampled_from(_limited()),
        data=st.data(),
        factor=st.floats(min_value=1.001, max_value=999.0),
        weight=st.floats(min_value=30.0, max_value=150.0),
    )
    def test_above_the_maximum_always_one_alert(
        self, row: Drug, data: st.DataObject, factor: float, weight: float
    ) -> None:
        """Any dose above a maximum, at an allowed frequency, gives exactly one
        `dose_above_maximum` and no other problem (and is not refused as a unit slip)."""
        limits = row.limits
        assert limits is not None
        frequency = data.draw(st.sampled_from(
            limits.frequencies.allowed if limits.frequencies else ("daily",)
        ))
        per_week = _PER_WEEK[frequency]
        dose = _ceiling_per_administration(row, per_week, weight) * factor
        c = dataclasses.replace(
            course(row.id, dose_mg=dose, frequency=frequency, start="2024-01-01"),
            doses_per_week=per_week,
        )

        codes = [p.code for p in course_problems(
            row, c, weight_kg=weight, frequency_labels={}, route_labels={}
        )]

        assert ["dose_above_maximum"] == codes
        assert unit_slip(row, c, 1000.0) is None


class TestPack:
    def test_every_limit_source_is_in_the_manifest(self, kb: KnowledgeBase) -> None:
        """Each source a dose limit names is a source of the drugs pack's manifest."""
        known = {s.id for s in kb.packs["drugs"].manifest.sources}
        named = {s for r in drug_rows(kb).values() if r.limits for s in r.limits.sources()}

        assert named and named <= known

    def test_methotrexate_limits(self, kb: KnowledgeBase) -> None:
        """Methotrexate: weekly only (critical otherwise), 7.5-25 mg usual, 30 mg/week maximum."""
        limits = drug_rows(kb)["methotrexate"].limits
        assert limits is not None and limits.frequencies and limits.usual and limits.maximum

        assert (("weekly",), "critical") == (
            limits.frequencies.allowed, limits.frequencies.severity
        )
        assert (7.5, 25.0, "week") == (limits.usual.low_mg, limits.usual.mg, limits.usual.per)
        assert (30.0, "week") == (limits.maximum.mg, limits.maximum.per)

    def test_every_systemic_row_with_a_usual_dose_has_limits(self, kb: KnowledgeBase) -> None:
        """Every systemic, non-glucocorticoid agent with a usual dose has structured limits,
        except those whose dose is trough-guided, undefined or trial-only."""
        exempt = {"cyclophosphamide", "tacrolimus", "ciclosporin", "ruxolitinib", "litifilimab"}
        missing = [
            r.id for r in drug_rows(kb).values()
            if r.route == "systemic" and r.kind != "glucocorticoid" and r.usual_dose
            and r.limits is None and r.id not in exempt
        ]

        assert [] == missing
