"""Patients: a Case in, the same Case out; search; import, replace, details, delete."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.store import Store, case_to_data
from tests.store._factory import built_case, scle_case, seed_case, ten_years


class TestRoundTrip:
    def test_examples_come_back_unchanged(self, store: Store, kb: KnowledgeBase, reopen: Any) -> (
        None
    ):
        """The seed, SCLE and built cases load, in a new session, equal to what was stored."""
        cases = [seed_case(kb), scle_case(kb), built_case()]
        ids = [store.patients.add_case(c) for c in cases]
        store.commit()

        loaded = [reopen().patients.load(i) for i in ids]

        assert cases == loaded

    def test_ten_year_record_comes_back_unchanged(self, store: Store, kb: KnowledgeBase) -> None:
        """521 labs, 50 courses and 40 CLASI exams survive in order, to the last digit."""
        case = ten_years(kb)
        patient_id = store.patients.add_case(case)
        store.commit()

        assert case == store.patients.load(patient_id)

    def test_missing_patient_is_none(self, store: Store) -> None:
        """Loading an id that was never stored gives None."""
        assert None is store.patients.load(424242)


class TestSearch:
    def test_search_matches_part_of_the_case_id(self, store: Store, kb: KnowledgeBase) -> None:
        """'SCLE' (any case) finds demo-scle-0001 and not the seed case."""
        store.patients.add_case(seed_case(kb))
        store.patients.add_case(scle_case(kb))
        store.commit()

        assert ["demo-scle-0001"] == [p.case_id for p in store.patients.search("SCLE")]

    def test_wildcards_are_taken_literally(self, store: Store, kb: KnowledgeBase) -> None:
        """A search for '%' or '_' matches only case ids holding that character."""
        store.patients.add_case(seed_case(kb))
        store.patients.add_case(built_case("with_underscore"))
        store.commit()

        assert (["with_underscore"], []) == (
            [p.case_id for p in store.patients.search("_")],
            store.patients.search("%"),
        )


class TestImport:
    def test_duplicate_case_id_is_refused(self, store: Store, kb: KnowledgeBase) -> None:
        """Importing the same case id twice names the `id` field and stores nothing more."""
        store.patients.import_data(case_to_data(seed_case(kb)))
        store.commit()

        with pytest.raises(CaseError) as caught:
            store.patients.import_data(case_to_data(seed_case(kb)))

        assert (["id"], 1) == ([p.field for p in caught.value.problems],
                               len(store.patients.search()))

    def test_replace_keeps_the_patient_id(self, store: Store, kb: KnowledgeBase) -> None:
        """With replace, the stored patient's observations become the file's."""
        first, _ = store.patients.import_data(case_to_data(seed_case(kb)))
        changed = replace(seed_case(kb), labs=seed_case(kb).labs[:1])

        again, replaced = store.patients.import_data(case_to_data(changed), replace=True)
        store.commit()

        assert (first, True, changed) == (again, replaced, store.patients.load(first))

    def test_invalid_file_writes_nothing(self, store: Store, kb: KnowledgeBase) -> None:
        """A file with an unknown lab test is refused whole; no patient is stored."""
        data = case_to_data(seed_case(kb))
        data["labs"][0]["test"] = "white cells please"

        with pytest.raises(CaseError) as caught:
            store.patients.import_data(data)

        assert ("labs[0].test", []) == (caught.value.problems[0].field, store.patients.search())


class TestDetails:
    def test_moving_as_of_recomputes_the_age(self, store: Store, kb: KnowledgeBase) -> None:
        """Born 1981-07-02: 42 at 2024-03-15, 43 when the assessment date moves to 2024-07-02."""
        patient_id = store.patients.add_case(scle_case(kb))
        patient = case_to_data(scle_case(kb))["patient"]

        case = store.patients.update_details(patient_id, "2024-07-02", patient)

        assert (dt.date(2024, 7, 2), 43) == (case.as_of, case.patient.age_years)

    def test_invalid_details_change_nothing(self, store: Store, kb: KnowledgeBase) -> None:
        """A weight without a unit is refused with `patient.weight`; the stored weight stays."""
        patient_id = store.patients.add_case(seed_case(kb))
        store.commit()

        with pytest.raises(CaseError) as caught:
            store.patients.update_details(patient_id, "2019-06-01", {"weight": 61})
        store.rollback()

        assert (["patient.weight"], 60.0) == (
            [p.field for p in caught.value.problems],
            store.patients.load(patient_id).patient.weight_kg,  # type: ignore[union-attr]
        )


class TestDelete:
    def test_delete_removes_every_observation(self, store: Store, kb: KnowledgeBase) -> None:
        """Deleting a patient removes it and its labs; another patient is untouched."""
        keep = store.patients.add_case(scle_case(kb))
        gone = store.patients.add_case(seed_case(kb))
        store.commit()

        store.patients.delete(gone)
        store.commit()

        assert (None, [], 9) == (
            store.patients.load(gone),
            store.observations.items(gone, "labs"),
            len(store.observations.items(keep, "labs")),
        )
