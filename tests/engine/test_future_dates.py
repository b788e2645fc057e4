"""Dates after today (issue 9 item 5): the core check with an injected `today`, and the
`future_date` alert for every kind of dated entry and for the assessment date."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from clepath.domain.case import ClasiExam, Finding, LabResult, TherapyCourse
from clepath.domain.dates import PartialDate
from clepath.domain.future import entry_future_dates, future_dates
from clepath.engine.assess import assess
from clepath.knowledge.base import KnowledgeBase
from tests.scores._factory_sle import example_1

TODAY = dt.date(2026, 12, 4)
LATER = dt.date(2031, 5, 4)


def _future(codes_of: object) -> list[str]:
    return [a.message for a in codes_of.alerts if a.code == "future_date"]  # type: ignore[attr-defined]


class TestCheck:
    def test_seed_case_has_no_future_date(self) -> None:
        """The published case (as of 2019-06-01) has nothing after 2026-12-04."""
        assert () == future_dates(example_1(), TODAY)

    def test_each_kind_of_entry_is_named_by_its_field(self) -> None:
        """A finding, a lab, a CLASI exam, a therapy start and stop and as_of are each named."""
        seed = example_1()
        subject = dataclasses.replace(
            seed,
            as_of=LATER,
            findings=(*seed.findings, Finding("fever", LATER)),
            labs=(*seed.labs, LabResult("c3", LATER, result="low")),
            clasi=(ClasiExam(LATER),),
            therapies=(
                TherapyCourse("methotrexate", start=PartialDate(2031, 5), stop=PartialDate(2032)),
            ),
        )

        found = [(f.field, f.value) for f in future_dates(subject, TODAY)]

        assert [
            ("as_of", "2031-05-04"),
            ("findings[2].date", "2031-05-04"),
            ("labs[4].date", "2031-05-04"),
            ("clasi[2031-05-04].date", "2031-05-04"),
            ("therapies[0].start", "2031-05"),
            ("therapies[0].stop", "2032"),
        ] == found

    def test_today_itself_is_not_future(self) -> None:
        """A lab dated today is not flagged; tomorrow is."""
        today = LabResult("wbc", TODAY, 4.0, "10*9/L")
        tomorrow = dataclasses.replace(today, date=TODAY + dt.timedelta(days=1))

        assert ((), 1) == (
            entry_future_dates(today, TODAY),
            len(entry_future_dates(tomorrow, TODAY)),
        )

    @pytest.mark.parametrize(
        ("start", "flagged"),
        [(PartialDate(2026), False), (PartialDate(2026, 12), False), (PartialDate(2027), True),
         (PartialDate(2026, 12, 5), True)],
    )
    def test_partial_date_is_future_only_when_all_of_it_is(
        self, start: PartialDate, flagged: bool
    ) -> None:
        """A start of 2026 or 2026-12 may be today; 2027 or 2026-12-05 lies after it."""
        course = TherapyCourse("hydroxychloroquine", start=start)

        assert flagged == bool(entry_future_dates(course, TODAY))


class TestAlert:
    def test_no_alert_without_today(self, kb: KnowledgeBase) -> None:
        """Without `today` the core does not check (it never reads the clock)."""
        subject = dataclasses.replace(example_1(), as_of=LATER)

        assert [] == _future(assess(subject, kb))

    def test_as_of_after_today(self, kb: KnowledgeBase) -> None:
        """An assessment date of 2031-05-04 with today 2026-12-04 raises one warning."""
        subject = dataclasses.replace(example_1(), as_of=LATER)

        result = assess(subject, kb, today=TODAY)
        alert = next(a for a in result.alerts if a.code == "future_date")

        assert "warning" == alert.severity
        assert alert.message.startswith(
            "Assessment date: 2031-05-04 (as_of) is after today (2026-12-04)."
        )

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"findings": (Finding("fever", LATER),)},
             "Finding fever: 2031-05-04 (findings[0].date)"),
            ({"labs": (LabResult("c3", LATER, result="low"),)},
             "Lab c3: 2031-05-04 (labs[0].date)"),
            ({"clasi": (ClasiExam(LATER),)},
             "CLASI examination: 2031-05-04 (clasi[2031-05-04].date)"),
            ({"therapies": (TherapyCourse("dapsone", start=PartialDate(2031, 5, 4)),)},
             "Dapsone start: 2031-05-04 (therapies[0].start)"),
            ({"therapies": (TherapyCourse("dapsone", start=PartialDate(2020),
                                          stop=PartialDate(2031, 5), outcome="failed"),)},
             "Dapsone stop: 2031-05 (therapies[0].stop)"),
        ],
        ids=["finding", "lab", "clasi", "therapy-start", "therapy-stop"],
    )
    def test_each_kind_raises_the_alert(
        self, kb: KnowledgeBase, change: dict[str, object], expected: str
    ) -> None:
        """Each kind of dated entry after today raises future_date naming field and value."""
        subject = dataclasses.replace(example_1(), **change)  # type: ignore[arg-type]

        messages = _future(assess(subject, kb, today=TODAY))

        assert 1 == len(messages)
        assert messages[0].startswith(expected + " is after today (2026-12-04).")
