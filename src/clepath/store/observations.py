"""Observations of one patient: list, add, replace and remove labs, findings, CLASI exams,
therapy courses and CLE entries, and set the IVIG request.

Every write is checked first by the case-file parser (`clepath.store.entries`), so nothing is
written unless the whole entry is valid; the caller's single commit then makes the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clepath.domain.case import IvigRequest
from clepath.domain.dates import parse_partial_date
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.store import _rows
from clepath.store.entries import KINDS, parse_item, parse_ivig
from clepath.store.records import Observation, User
from clepath.store.tables import (
    ClasiExamRow,
    CleEntryRow,
    FindingRow,
    IvigRequestRow,
    LabRow,
    MeasurementRow,
    PatientRow,
    TherapyRow,
    utcnow,
)

__all__ = ["ObservationRepository"]


@dataclass(frozen=True)
class _Kind:
    table: Any
    to_columns: Any
    from_row: Any
    order: tuple[str, ...] = ("id",)


_KINDS: dict[str, _Kind] = {
    "cle": _Kind(CleEntryRow, _rows.cle_columns, _rows.cle_from_row),
    "findings": _Kind(FindingRow, _rows.finding_columns, _rows.finding_from_row, ("date", "id")),
    "labs": _Kind(LabRow, _rows.lab_columns, _rows.lab_from_row, ("date", "id")),
    "clasi": _Kind(ClasiExamRow, _rows.clasi_columns, _rows.clasi_from_row, ("date", "id")),
    "therapies": _Kind(TherapyRow, _rows.therapy_columns, _rows.therapy_from_row),
    "measurements": _Kind(
        MeasurementRow, _rows.measurement_columns, _rows.measurement_from_row, ("date", "id")
    ),
}
assert tuple(_KINDS) == KINDS


def _kind(kind: str) -> _Kind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown observation kind {kind!r}") from None


class ObservationRepository:
    """Observations over one database session (the caller commits)."""

    def __init__(self, session: Session, kb: KnowledgeBase) -> None:
        self._db = session
        self._kb = kb

    def _patient(self, patient_id: int) -> PatientRow:
        row = self._db.get(PatientRow, patient_id)
        if row is None:
            raise LookupError(f"no patient {patient_id}")
        return row

    def items(self, patient_id: int, kind: str) -> list[Observation[Any]]:
        """A patient's observations of one kind, with their ids (oldest first)."""
        spec = _kind(kind)
        order = [getattr(spec.table, name) for name in spec.order]
        rows = self._db.scalars(
            select(spec.table).where(spec.table.patient_id == patient_id).order_by(*order)
        )
        return [Observation(r.id, spec.from_row(r), r.created_at) for r in rows]

    def get(self, patient_id: int, kind: str, observation_id: int) -> Observation[Any] | None:
        """One observation of a patient, or None."""
        spec = _kind(kind)
        row = self._db.get(spec.table, observation_id)
        if row is None or row.patient_id != patient_id:
            return None
        return Observation(row.id, spec.from_row(row), row.created_at)

    def add(
        self, patient_id: int, kind: str, entry: Any, *, by: User | None = None
    ) -> Observation[Any]:
        """Check an entry (case-file form) and store it.

        Raises:
            CaseError: every problem, with field names relative to the entry; nothing is written.
        """
        spec = _kind(kind)
        patient = self._patient(patient_id)
        item = parse_item(kind, entry, as_of=patient.as_of, kb=self._kb)
        row = spec.table(
            patient_id=patient_id, created_by=None if by is None else by.id, **spec.to_columns(item)
        )
        if kind == "clasi":
            row.regions = _rows.region_rows(item)
        self._db.add(row)
        patient.updated_at = utcnow()
        self._db.flush()
        return Observation(row.id, item, row.created_at)

    def replace(
        self, patient_id: int, kind: str, observation_id: int, entry: Any
    ) -> Observation[Any] | None:
        """Check an entry and put it in place of a stored observation (None: no such one).

        Raises:
            CaseError: every problem; the stored observation is left as it was.
        """
        spec = _kind(kind)
        patient = self._patient(patient_id)
        row = self._db.get(spec.table, observation_id)
        if row is None or row.patient_id != patient_id:
            return None
        item = parse_item(kind, entry, as_of=patient.as_of, kb=self._kb)
        for key, value in spec.to_columns(item).items():
            setattr(row, key, value)
        if kind == "clasi":
            row.regions.clear()
            self._db.flush()  # old region rows go before new ones arrive (unique per exam)
            row.regions = _rows.region_rows(item)
        patient.updated_at = utcnow()
        self._db.flush()
        return Observation(row.id, item, row.created_at)

    def remove(self, patient_id: int, kind: str, observation_id: int) -> bool:
        """Delete one observation of a patient; False when there is no such observation."""
        spec = _kind(kind)
        row = self._db.get(spec.table, observation_id)
        if row is None or row.patient_id != patient_id:
            return False
        self._db.delete(row)
        self._patient(patient_id).updated_at = utcnow()
        self._db.flush()
        return True

    # --- the IVIG request (at most one per patient) --------------------------------------

    def ivig_request(self, patient_id: int) -> IvigRequest | None:
        """The IVIG regimen requested for a patient, or None."""
        row = self._ivig_row(patient_id)
        return None if row is None else _rows.ivig_from_row(row)

    def _ivig_row(self, patient_id: int) -> IvigRequestRow | None:
        return self._db.scalar(
            select(IvigRequestRow).where(IvigRequestRow.patient_id == patient_id)
        )

    def set_ivig_request(
        self, patient_id: int, entry: Any, *, by: User | None = None
    ) -> IvigRequest:
        """Check `requests.ivig` and store it in place of any earlier request.

        Raises:
            CaseError: field names relative to the request; nothing is written.
        """
        patient = self._patient(patient_id)
        request = parse_ivig(entry, as_of=patient.as_of, kb=self._kb)
        if request.induction is None and request.maintenance is None:  # issue 12: never empty
            raise CaseError([FieldProblem(
                "induction", None, "asks for no course: nothing was saved",
                "an induction or a maintenance dose (a regimen preset fills both in)",
            )])
        self._db.execute(delete(IvigRequestRow).where(IvigRequestRow.patient_id == patient_id))
        self._db.add(
            IvigRequestRow(
                patient_id=patient_id,
                created_by=None if by is None else by.id,
                **_rows.ivig_columns(request),
            )
        )
        patient.updated_at = utcnow()
        self._db.flush()
        return request

    def clear_ivig_request(self, patient_id: int) -> bool:
        """Remove the IVIG request; False when there was none."""
        row = self._ivig_row(patient_id)
        if row is None:
            return False
        self._db.delete(row)
        self._patient(patient_id).updated_at = utcnow()
        self._db.flush()
        return True

    def after_as_of(self, patient_id: int, as_of: dt.date) -> int:
        """How many dated observations and therapy courses fall after `as_of` (they are not used
        until it moves): findings, labs, CLASI examinations and weights or heights dated after
        it, and courses whose
        start (all of a partial start) lies after it."""
        count = 0
        for kind in ("findings", "labs", "clasi", "measurements"):
            table = _kind(kind).table
            query = select(func.count()).where(table.patient_id == patient_id, table.date > as_of)
            count += self._db.scalar(query) or 0
        # Therapy starts are partial dates stored as text: compared in Python, never as strings
        # in SQL (a collation could order them otherwise).
        starts = self._db.scalars(
            select(TherapyRow.start).where(
                TherapyRow.patient_id == patient_id, TherapyRow.start.is_not(None)
            )
        )
        for text in starts:
            start = parse_partial_date(text)
            if start is not None and start.earliest > as_of:
                count += 1
        return count
