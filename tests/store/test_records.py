"""Kept assessments, the audit log and CDS Hooks feedback."""

from __future__ import annotations

import datetime as dt

import pytest

from clepath import __version__
from clepath.engine.assess import assess
from clepath.errors import CaseError
from clepath.knowledge.base import KnowledgeBase
from clepath.report.assessment_json import assessment_to_json
from clepath.store import CdsFeedback, Store
from tests.store._factory import seed_case


class TestAssessments:
    def test_kept_assessment_records_its_knowledge(
        self, store: Store, kb: KnowledgeBase
    ) -> None:
        """A kept assessment holds SLEDAI-2K 7, every pack version and who kept it."""
        case = seed_case(kb)
        patient = store.patients.add_case(case)
        user = store.users.add("ana", "correct horse battery", "clinician")
        result = assess(case, kb)
        store.assessments.save(patient, assessment_to_json(result), knowledge=result.knowledge,
                               as_of=case.as_of, clepath_version=__version__, by=user)
        store.commit()

        kept = store.assessments.for_patient(patient)[0]

        assert (7, kb.versions(), "ana", dt.date(2019, 6, 1)) == (
            kept.data["scores"]["sledai_2k"]["score"], kept.knowledge, kept.created_by,
            kept.as_of,
        )

    def test_kept_assessment_of_another_patient_is_out_of_reach(
        self, store: Store, kb: KnowledgeBase
    ) -> None:
        """`get` only finds a patient's own kept assessments."""
        patient = store.patients.add_case(seed_case(kb))
        kept = store.assessments.save(patient, {"x": 1}, knowledge={}, as_of=dt.date(2019, 6, 1),
                                      clepath_version=__version__)

        assert (kept.id, None) == (
            store.assessments.get(patient, kept.id).id,  # type: ignore[union-attr]
            store.assessments.get(patient + 1, kept.id),
        )


class TestAudit:
    def test_events_are_kept_newest_first_and_by_patient(self, store: Store) -> None:
        """Two events about patient 3 and one sign-in: patient 3's list has the two."""
        user = store.users.add("ana", "correct horse battery", "viewer")
        store.audit.record(user, "sign_in", "session")
        store.audit.record(user, "view", "patient", patient_id=3)
        store.audit.record(user, "export", "patient", patient_id=3, detail="yaml")
        store.commit()

        events = store.audit.events(patient_id=3)

        assert [("export", "ana"), ("view", "ana")] == [(e.action, e.username) for e in events]

    def test_audit_outlives_the_patient(self, store: Store, kb: KnowledgeBase) -> None:
        """After a patient is deleted its audit rows stay."""
        patient = store.patients.add_case(seed_case(kb))
        store.audit.record(None, "view", "patient", patient_id=patient, username="ana")
        store.patients.delete(patient)
        store.commit()

        assert ["view"] == [e.action for e in store.audit.events(patient_id=patient)]


class TestFeedback:
    def test_feedback_is_stored(self, store: Store) -> None:
        """An overridden card keeps its reason and times."""
        at = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
        item = CdsFeedback("clepath-refractory", "card-1", "overridden", at,
                           {"reason": {"code": "not-relevant"}, "userComment": "seen"})

        store.feedback.record(item)
        store.commit()

        assert [item] == store.feedback.items("clepath-refractory")

    def test_unknown_outcome_is_refused(self, store: Store) -> None:
        """An outcome other than accepted or overridden names the `outcome` field."""
        with pytest.raises(CaseError) as caught:
            store.feedback.record(CdsFeedback("s", "c", "ignored"))

        assert ["outcome"] == [p.field for p in caught.value.problems]
