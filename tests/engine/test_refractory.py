"""Refractoriness under the trial, antimalarial + immunosuppressant and composite definitions."""

from __future__ import annotations

import dataclasses
import datetime as dt

from clepath.domain.case import Case, LabResult
from clepath.engine.glucocorticoids import review_glucocorticoids
from clepath.engine.refractory import RefractoryResult, assess_refractory, both, either
from clepath.engine.therapy import review_therapies
from clepath.knowledge.base import KnowledgeBase
from tests.engine._factory import course, example_1, example_2, with_therapies


def _assess(
    case: Case,
    kb: KnowledgeBase,
    activity: int | None = None,
    date: dt.date | None = None,
    baseline: int | None = None,
) -> RefractoryResult:
    therapy = review_therapies(case, kb)
    return assess_refractory(
        case, kb, therapy, review_glucocorticoids(case, kb), activity, date, baseline
    )


def _definition(result: RefractoryResult, definition_id: str) -> tuple[bool | None, ...]:
    found = next(d for d in result.definitions if d.id == definition_id)
    return (found.met,)


class TestSeedCase:
    def test_refractory_by_antimalarial_and_immunosuppressant(self, kb: KnowledgeBase) -> None:
        """Reported HCQ and immunosuppressant failures meet the Mayo definition: refractory."""
        result = _assess(example_1(), kb)

        assert result.status is True
        assert (True,) == _definition(result, "antimalarial_plus_immunosuppressant")

    def test_trial_definition_lacks_clasi_and_duration(self, kb: KnowledgeBase) -> None:
        """Without a CLASI-A or HCQ dates the trial definition cannot be judged, and says why."""
        result = _assess(example_1(), kb)

        trial = next(d for d in result.definitions if d.id == "trial_antimalarial")

        assert trial.met is None
        assert "a CLASI-A examination" in trial.missing
        assert any("duration of the hydroxychloroquine course" in m for m in trial.missing)

    def test_hcq_failure_is_undocumented_in_reasons(self, kb: KnowledgeBase) -> None:
        """The undated HCQ failure is counted, and flagged as undocumented."""
        result = _assess(example_1(), kb)

        mayo = next(d for d in result.definitions if d.id == "antimalarial_plus_immunosuppressant")

        assert any("hydroxychloroquine" in r and "undocumented" in r for r in mayo.reasons)
        assert any("undocumented" in n for n in result.notes)

    def test_severe_refractory(self, kb: KnowledgeBase) -> None:
        """Mycophenolate has failed too: severe-refractory."""
        assert _assess(example_1(), kb).severe is True

    def test_composite_is_a_design_proposal(self, kb: KnowledgeBase) -> None:
        """The composite is labelled a [C] design proposal and is undetermined here."""
        composite = next(d for d in _assess(example_1(), kb).definitions if d.id == "composite")

        assert "design proposal" in composite.label
        assert composite.met is None


class TestExample2:
    def test_trial_definition_met(self, kb: KnowledgeBase) -> None:
        """HCQ for 2.4 years with CLASI-A 12 on as_of meets the trial definition."""
        result = _assess(example_2(), kb, 12, dt.date(2024, 3, 15), 15)

        assert result.status is True
        assert [True, True, True] == [d.met for d in result.definitions]

    def test_ongoing_hcq_counts_as_inadequate_response(self, kb: KnowledgeBase) -> None:
        """Ongoing HCQ past 12 weeks with CLASI-A 12 is counted as an inadequate response."""
        result = _assess(example_2(), kb, 12, dt.date(2024, 3, 15), 15)

        trial = next(d for d in result.definitions if d.id == "trial_antimalarial")

        assert any("inadequate response" in r for r in trial.reasons)

    def test_severe_by_glucocorticoid_above_target(self, kb: KnowledgeBase) -> None:
        """Prednisolone 10 mg/day is above the EULAR target: severe-refractory."""
        result = _assess(example_2(), kb, 12, dt.date(2024, 3, 15), 15)

        assert result.severe is True
        assert any("10 mg/day" in n for n in result.notes)


class TestNotRefractory:
    def test_every_definition_judged_and_none_met(self, kb: KnowledgeBase) -> None:
        """HCQ 20 weeks with CLASI-A 4 (baseline 12) and no other failures: not refractory."""
        case = with_therapies(
            example_2(), [course("hydroxychloroquine", dose_mg=200, frequency="daily",
                                 start="2023-10-27")]
        )

        result = _assess(case, kb, 4, dt.date(2024, 3, 15), 12)

        assert result.status is False
        assert [False, False, False] == [d.met for d in result.definitions]
        assert (False, ()) == (result.severe, result.missing)

    def test_too_short_antimalarial(self, kb: KnowledgeBase) -> None:
        """HCQ stopped after 6 weeks does not meet the trial definition even at CLASI-A 14."""
        case = with_therapies(
            example_2(),
            [course("hydroxychloroquine", "failed", start="2023-01-01", stop="2023-02-12")],
        )

        result = _assess(case, kb, 14, dt.date(2024, 3, 15), 14)

        assert (False,) == _definition(result, "trial_antimalarial")


class TestUnknown:
    def test_unknown_when_a_definition_cannot_be_judged(self, kb: KnowledgeBase) -> None:
        """An undated HCQ failure alone, with no CLASI: status unknown, CLASI listed missing."""
        case = with_therapies(example_2(), [course("hydroxychloroquine", "failed")])

        result = _assess(case, kb)

        assert result.status is None
        assert "a CLASI-A examination" in result.missing
        assert (False,) == _definition(result, "antimalarial_plus_immunosuppressant")

    def test_old_clasi_is_not_current(self, kb: KnowledgeBase) -> None:
        """A CLASI-A from 9 months before as_of is not taken as current activity."""
        result = _assess(example_2(), kb, 12, dt.date(2023, 6, 1), 12)

        trial = next(d for d in result.definitions if d.id == "trial_antimalarial")

        assert trial.met is None
        assert any("within 90 days" in m for m in trial.missing)

    def test_clasi_before_trial_length(self, kb: KnowledgeBase) -> None:
        """CLASI-A taken 4 weeks into HCQ cannot show an inadequate response to a 12-week trial."""
        case = dataclasses.replace(
            with_therapies(example_2(), [course("hydroxychloroquine", start="2023-11-01")]),
            as_of=dt.date(2024, 3, 15),
        )

        result = _assess(case, kb, 12, dt.date(2023, 11, 29), 12)

        assert (None,) == _definition(result, "trial_antimalarial")


class TestComposite:
    def test_low_hcq_level_means_no_adequate_trial(self, kb: KnowledgeBase) -> None:
        """An HCQ level of 150 ng/mL suggests non-adherence: composite (a) not met."""
        case = dataclasses.replace(
            example_2(),
            labs=(LabResult("hcq_level", dt.date(2024, 3, 1), value=150.0, unit="ng/mL"),),
        )

        result = _assess(case, kb, 12, dt.date(2024, 3, 15), 15)

        composite = next(d for d in result.definitions if d.id == "composite")
        assert composite.met is False
        assert any("non-adherence" in r for r in composite.reasons)
        assert result.status is True  # the published definitions are still met

    def test_reduction_below_half_is_persistent(self, kb: KnowledgeBase) -> None:
        """CLASI-A 8 from baseline 12 (a 33% fall) is persistent disease for (c)."""
        result = _assess(example_2(), kb, 8, dt.date(2024, 3, 15), 12)

        assert (True,) == _definition(result, "composite")
        assert (False,) == _definition(result, "trial_antimalarial")


class TestThreeValuedLogic:
    def test_both_and_either(self) -> None:
        """AND is False on any False; OR is True on any True; otherwise unknown."""
        assert (False, None, True) == (both([True, False, None]), both([True, None]), both([]))
        assert (True, None, False) == (either([None, True]), either([False, None]), either([]))
