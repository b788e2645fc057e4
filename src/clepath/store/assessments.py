"""Stored assessments: the assessment JSON kept for the record, with its knowledge versions.

An assessment is computed from the observations whenever it is shown; storing one keeps what
clepath said on that day, with the pack versions (`knowledge`) and clepath version it used,
so a later reader can tell which knowledge produced it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clepath.store.records import StoredAssessment, User
from clepath.store.tables import AssessmentRow, UserRow

__all__ = ["AssessmentRepository"]


class AssessmentRepository:
    """Stored assessments over one database session (the caller commits)."""

    def __init__(self, session: Session) -> None:
        self._db = session

    def _record(self, row: AssessmentRow, username: str | None) -> StoredAssessment:
        return StoredAssessment(
            id=row.id,
            patient_id=row.patient_id,
            as_of=row.as_of,
            created_at=row.created_at,
            created_by=username,
            clepath_version=row.clepath_version,
            knowledge=dict(row.knowledge),
            data=dict(row.data),
        )

    def save(
        self,
        patient_id: int,
        data: dict[str, Any],
        *,
        knowledge: dict[str, str],
        as_of: dt.date,
        clepath_version: str,
        by: User | None = None,
    ) -> StoredAssessment:
        """Keep one assessment's JSON with the knowledge versions that produced it."""
        row = AssessmentRow(
            patient_id=patient_id,
            as_of=as_of,
            clepath_version=clepath_version,
            knowledge=dict(knowledge),
            data=data,
            created_by=None if by is None else by.id,
        )
        self._db.add(row)
        self._db.flush()
        return self._record(row, None if by is None else by.username)

    def for_patient(self, patient_id: int) -> list[StoredAssessment]:
        """A patient's stored assessments, newest first."""
        query = (
            select(AssessmentRow, UserRow.username)
            .outerjoin(UserRow, UserRow.id == AssessmentRow.created_by)
            .where(AssessmentRow.patient_id == patient_id)
            .order_by(AssessmentRow.created_at.desc(), AssessmentRow.id.desc())
        )
        return [self._record(row, name) for row, name in self._db.execute(query)]

    def get(self, patient_id: int, assessment_id: int) -> StoredAssessment | None:
        """One stored assessment of a patient, or None."""
        query = (
            select(AssessmentRow, UserRow.username)
            .outerjoin(UserRow, UserRow.id == AssessmentRow.created_by)
            .where(AssessmentRow.id == assessment_id, AssessmentRow.patient_id == patient_id)
        )
        found = self._db.execute(query).first()
        return None if found is None else self._record(found[0], found[1])
