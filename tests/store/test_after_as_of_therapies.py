"""The banner count of entries after the assessment date counts therapy courses too
(issue 9 item 5): a course whose start, all of it, lies after as_of is not used."""

from __future__ import annotations

import datetime as dt

import pytest

from clepath.knowledge.base import KnowledgeBase
from clepath.store import Store
from tests.store._factory import seed_case

AS_OF = dt.date(2019, 6, 1)


@pytest.fixture
def patient(store: Store, kb: KnowledgeBase) -> int:
    """The published case (as of 2019-06-01) stored."""
    patient_id = store.patients.add_case(seed_case(kb))
    store.commit()
    return patient_id


class TestTherapiesAfterAsOf:
    @pytest.mark.parametrize(
        ("start", "counted"),
        [("2019-06-02", 1), ("2019-07", 1), ("2020", 1), ("2019-06", 0), ("2019", 0),
         ("2019-06-01", 0)],
    )
    def test_course_start_after_as_of_is_counted(
        self, store: Store, patient: int, start: str, counted: int
    ) -> None:
        """A start of 2019-06-02, 2019-07 or 2020 lies after 2019-06-01; 2019-06 or 2019 may not."""
        store.observations.add(
            patient, "therapies", {"drug": "dapsone", "start": start, "outcome": "ongoing"}
        )

        assert counted == store.observations.after_as_of(patient, AS_OF)
