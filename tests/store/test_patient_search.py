"""Patient search by the letter details' identifiers (issue 12 item 3), on SQLite and
PostgreSQL: name (part, any case), date of birth (ISO or day-first) and record number (exact)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from clepath.knowledge.base import KnowledgeBase
from clepath.store import Store
from clepath.store.letters import _search_date
from tests.store._factory import scle_case, seed_case


def _with_anna(store: Store, kb: KnowledgeBase) -> int:
    seed = store.patients.add_case(seed_case(kb))
    store.patients.add_case(scle_case(kb))
    store.letters.set(seed, {"patient_name": "Anna O'Example", "birth_date": "1972-03-14",
                             "record_number": "MRN-55821"})
    store.commit()
    return seed


class TestSearchByIdentifier:
    def test_each_identifier_finds_the_patient(self, store: Store, kb: KnowledgeBase) -> None:
        """'o'example', '14/03/1972', '1972-03-14' and 'MRN-55821' each find only the seed case,
        whose line carries the stored name and date of birth."""
        _with_anna(store, kb)
        found = [
            [(p.case_id, p.name, p.birth_date) for p in store.patients.search(text)]
            for text in ("o'example", "14/03/1972", " 1972-03-14 ", "MRN-55821")
        ]

        assert [[("idoj-2020-ivig-rescue", "Anna O'Example", "1972-03-14")]] * 4 == found

    def test_record_number_must_be_exact(self, store: Store, kb: KnowledgeBase) -> None:
        """'MRN-5582' (a part) and 'mrn-55821' (another case) find nobody."""
        _with_anna(store, kb)

        assert ([], []) == (store.patients.search("MRN-5582"), store.patients.search("mrn-55821"))

    def test_lines_without_details_have_blank_identity(self, store: Store, kb: KnowledgeBase) -> (
        None
    ):
        """Listing everyone gives demo-scle-0001 an empty name and date of birth."""
        _with_anna(store, kb)
        lines = {p.case_id: (p.name, p.birth_date) for p in store.patients.search()}

        assert ("", "") == lines["demo-scle-0001"]


class TestSearchDate:
    @given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
    def test_both_forms_name_the_same_day(self, day: dt.date) -> None:
        """ISO and day-first forms of any date read back as that date."""
        assert (day, day) == (_search_date(day.isoformat()), _search_date(day.strftime("%d/%m/%Y")))

    def test_month_first_and_words_are_not_dates(self) -> None:
        """'03/14/1972' (month first) and 'Anna' are not read as dates."""
        assert (None, None) == (_search_date("03/14/1972"), _search_date("Anna"))
