"""Observations: every write is checked by the case-file parser and changes nothing if refused."""

from __future__ import annotations

import datetime as dt

import pytest

from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.scores import clasi as clasi_scores
from clepath.store import Store
from tests.store._factory import seed_case


@pytest.fixture
def patient(store: Store, kb: KnowledgeBase) -> int:
    """The seed case, stored."""
    patient_id = store.patients.add_case(seed_case(kb))
    store.commit()
    return patient_id


class TestAdd:
    def test_lab_is_converted_to_the_canonical_unit(self, store: Store, patient: int) -> None:
        """A platelet count of 95000 /mm3 is stored as 95 x10^9/L, its text kept."""
        added = store.observations.add(
            patient, "labs", {"test": "platelets", "date": "2019-05-28", "value": "95000 /mm3"}
        )

        assert (95.0, "10*9/L", "95000 /mm3") == (
            round(added.item.value, 9), added.item.unit, added.item.original
        )

    def test_added_lab_is_in_the_case(self, store: Store, patient: int) -> None:
        """The next load of the patient holds the new result."""
        store.observations.add(patient, "labs", {"test": "c3", "date": "2019-05-28",
                                                 "value": 0.6, "unit": "g/L"})
        store.commit()

        labs = store.patients.load(patient).labs  # type: ignore[union-attr]

        assert ("c3", 0.6) == (labs[-1].test, labs[-1].value)

    def test_clasi_exam_changes_clasi_a(
        self, store: Store, patient: int, kb: KnowledgeBase
    ) -> None:
        """Chest erythema 2 + scale 1 and arms erythema 3: CLASI-A 6 on the stored case."""
        store.observations.add(patient, "clasi", {
            "date": "2019-06-01",
            "regions": {"chest": {"erythema": 2, "scale": 1}, "arms": {"erythema": 3}},
        })
        store.commit()

        summary = clasi_scores.summarise(store.patients.load(patient), kb)  # type: ignore[arg-type]

        assert 6 == summary.latest.activity  # type: ignore[union-attr]

    def test_therapy_synonym_is_stored_canonically(self, store: Store, patient: int) -> None:
        """`Plaquenil 200 mg twice daily` is stored as hydroxychloroquine, 14 doses a week."""
        added = store.observations.add(patient, "therapies", {
            "drug": "Plaquenil", "dose": "200 mg", "frequency": "twice daily",
            "start": "2019-05", "outcome": "ongoing",
        })

        assert ("hydroxychloroquine", 14.0, 400.0) == (
            added.item.drug, added.item.doses_per_week, added.item.daily_dose_mg
        )


class TestRefused:
    def test_problems_name_fields_of_the_entry(self, store: Store, patient: int) -> None:
        """A misspelt test and a unitless value are both reported, relative to the entry."""
        with pytest.raises(CaseError) as caught:
            store.observations.add(patient, "labs", {"test": "plateletts", "date": "2019-05-28",
                                                     "value": 95})

        problems = {p.field: p for p in caught.value.problems}
        assert (["test"], "platelets") == (sorted(problems), problems["test"].suggestions[0])

    def test_refused_entry_changes_nothing(self, store: Store, patient: int) -> None:
        """After a refused CLASI exam (erythema 4) the stored exams are as before."""
        before = store.observations.items(patient, "clasi")

        with pytest.raises(CaseError) as caught:
            store.observations.add(patient, "clasi", {"date": "2019-06-01",
                                                      "regions": {"chest": {"erythema": 4}}})
        store.rollback()

        assert (["regions.chest.erythema"], before) == (
            [p.field for p in caught.value.problems], store.observations.items(patient, "clasi")
        )

    def test_scalp_scarring_is_refused(self, store: Store, patient: int) -> None:
        """The scalp is not scored for scarring: a value there is refused (clasi pack layout)."""
        with pytest.raises(CaseError) as caught:
            store.observations.add(patient, "clasi", {"date": "2019-06-01",
                                                      "regions": {"scalp": {"scarring": 1}}})

        assert ["regions.scalp.scarring"] == [p.field for p in caught.value.problems]

    def test_not_a_mapping(self, store: Store, patient: int) -> None:
        """An entry that is not an object is refused as a whole."""
        with pytest.raises(CaseError) as caught:
            store.observations.add(patient, "findings", ["fever"])

        assert [""] == [p.field for p in caught.value.problems]


class TestReplaceAndRemove:
    def test_replace_a_course_with_its_outcome(self, store: Store, patient: int) -> None:
        """Stopping deflazacort on 2019-06-20 as `failed` replaces the course in place."""
        course = next(o for o in store.observations.items(patient, "therapies")
                      if o.item.drug == "deflazacort")

        changed = store.observations.replace(patient, "therapies", course.id, {
            "drug": "deflazacort", "dose": "18 mg", "frequency": "daily", "start": "2019-05-04",
            "stop": "2019-06-20", "outcome": "failed",
        })

        assert (course.id, "failed", "2019-06-20") == (
            changed.id, changed.item.outcome, str(changed.item.stop)  # type: ignore[union-attr]
        )

    def test_replace_clasi_regions(self, store: Store, patient: int) -> None:
        """Replacing an exam's regions drops the old ones (one score per region)."""
        exam = store.observations.add(patient, "clasi", {"date": "2019-06-01",
                                                         "regions": {"chest": {"erythema": 2}}})
        store.observations.replace(patient, "clasi", exam.id, {
            "date": "2019-06-01", "regions": {"chest": {"erythema": 1}, "arms": {"scale": 1}},
        })
        store.commit()

        stored = store.observations.get(patient, "clasi", exam.id)

        assert ("chest", "arms") == tuple(r for r, _ in stored.item.regions)  # type: ignore[union-attr]

    def test_other_patients_items_are_out_of_reach(
        self, store: Store, patient: int, kb: KnowledgeBase
    ) -> None:
        """A lab id of one patient cannot be removed through another patient."""
        from tests.store._factory import built_case

        other = store.patients.add_case(built_case())
        lab = store.observations.items(patient, "labs")[0]

        assert (False, None) == (
            store.observations.remove(other, "labs", lab.id),
            store.observations.get(other, "labs", lab.id),
        )

    def test_remove(self, store: Store, patient: int) -> None:
        """Removing the WBC leaves three labs."""
        wbc = store.observations.items(patient, "labs")[0]

        store.observations.remove(patient, "labs", wbc.id)

        assert 3 == len(store.observations.items(patient, "labs"))


class TestIvigRequest:
    def test_set_replaces_and_clear_removes(self, store: Store, patient: int) -> None:
        """A new request replaces the seed's; clearing leaves none."""
        request = store.observations.set_ivig_request(
            patient, {"induction": {"dose": "400 mg/kg", "days": 5}, "product": "Privigen"}
        )
        stored = store.observations.ivig_request(patient)
        cleared = store.observations.clear_ivig_request(patient)

        assert (0.4, "privigen", request, True, None) == (
            round(request.induction.dose_g_per_kg, 9),  # type: ignore[union-attr]
            request.product,
            stored,
            cleared,
            store.observations.ivig_request(patient),
        )

    def test_bad_dose_names_the_field(self, store: Store, patient: int) -> None:
        """A dose without `/kg` is refused at `induction.dose`."""
        with pytest.raises(CaseError) as caught:
            store.observations.set_ivig_request(patient, {"induction": {"dose": "2 g"}})

        assert ["induction.dose"] == [p.field for p in caught.value.problems]


    def test_a_request_without_any_course_is_refused(self, store: Store, patient: int) -> None:
        """A product and a start without any dose is refused and the seed's request stays."""
        before = store.observations.ivig_request(patient)
        with pytest.raises(CaseError) as caught:
            store.observations.set_ivig_request(
                patient, {"product": "Privigen", "start": "2019-06-03"}
            )

        assert (["induction"], before) == (
            [p.field for p in caught.value.problems], store.observations.ivig_request(patient)
        )


class TestAfterAsOf:
    def test_counts_observations_after_the_assessment_date(
        self, store: Store, patient: int
    ) -> None:
        """A lab dated after as_of is counted as not used."""
        store.observations.add(patient, "labs", {"test": "c3", "date": "2019-07-01",
                                                 "result": "low"})

        assert 1 == store.observations.after_as_of(patient, dt.date(2019, 6, 1))
