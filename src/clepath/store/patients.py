"""Patients: a whole Case in, the same Case out; the patient list; import and replace.

A patient is stored as its observations (see `clepath.store.tables`). `load(pid)` rebuilds the
domain `Case`; `add_case` and `replace_case` write one. Case ids are unique: importing a case
whose id is already stored is refused unless the caller asks to replace that patient.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from clepath.casefile import parse_case
from clepath.domain.case import Case, ClasiExam
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.store import _rows
from clepath.store.entries import parse_patient
from clepath.store.letters import identities, matching_patients
from clepath.store.records import PatientSummary, User
from clepath.store.tables import (
    ClasiExamRow,
    ClasiRegionRow,
    CleEntryRow,
    FindingRow,
    IvigRequestRow,
    LabRow,
    MeasurementRow,
    PatientRow,
    TherapyRow,
    utcnow,
)

__all__ = ["MAX_CASE_ID", "PatientRepository"]

MAX_CASE_ID = 128
_OBSERVATION_TABLES = (
    CleEntryRow, FindingRow, LabRow, ClasiExamRow, TherapyRow, MeasurementRow, IvigRequestRow,
)


def _by(user: User | None) -> int | None:
    return None if user is None else user.id


def _summary(row: PatientRow) -> PatientSummary:
    return PatientSummary(
        id=row.id,
        case_id=row.case_id,
        as_of=row.as_of,
        sex=row.sex,
        age_years=row.age_years,
        updated_at=row.updated_at,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PatientRepository:
    """Patients over one database session (the caller commits)."""

    def __init__(self, session: Session, kb: KnowledgeBase) -> None:
        self._db = session
        self._kb = kb

    # --- reading -------------------------------------------------------------------------

    def search(
        self, text: str | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[PatientSummary]:
        """Patients whose case id contains `text` (any case), whose stored name contains it,
        whose date of birth it names (1972-03-14 or 14/03/1972) or whose record number it is
        exactly; most recently changed first. Each line carries the stored name and date of
        birth, if any."""
        query = select(PatientRow)
        if text and text.strip():
            pattern = f"%{_escape_like(text.strip().lower())}%"
            by_case_id = func.lower(PatientRow.case_id).like(pattern, escape="\\")
            by_identity = matching_patients(self._db, text)
            query = query.where(
                or_(by_case_id, PatientRow.id.in_(by_identity)) if by_identity else by_case_id
            )
        query = query.order_by(PatientRow.updated_at.desc(), PatientRow.id.desc())
        rows = list(self._db.scalars(query.limit(limit).offset(offset)))
        known = identities(self._db, [r.id for r in rows])
        return [
            replace(_summary(r), name=known[r.id][0], birth_date=known[r.id][1])
            if r.id in known else _summary(r)
            for r in rows
        ]

    def summary(self, patient_id: int) -> PatientSummary | None:
        """One patient's list line, or None."""
        row = self._db.get(PatientRow, patient_id)
        return None if row is None else _summary(row)

    def id_of(self, case_id: str) -> int | None:
        """The patient id stored under a case id, or None."""
        return self._db.scalar(select(PatientRow.id).where(PatientRow.case_id == case_id))

    def load(self, patient_id: int) -> Case | None:
        """The patient's whole record as a domain Case, or None when there is no such patient."""
        row = self._db.get(PatientRow, patient_id)
        if row is None:
            return None

        def rows(table: Any, *order: str) -> Iterable[Any]:
            # Core rows, not ORM objects: a 10-year record loads several times faster.
            t = table.__table__
            query = select(t).where(t.c.patient_id == patient_id)
            return self._db.execute(query.order_by(*(t.c[name] for name in order))).all()

        ivig = self._db.scalar(select(IvigRequestRow).where(IvigRequestRow.patient_id == row.id))
        return Case(
            id=row.case_id,
            as_of=row.as_of,
            patient=_rows.patient_from_row(row),
            cle=tuple(_rows.cle_from_row(r) for r in rows(CleEntryRow, "id")),
            findings=tuple(_rows.finding_from_row(r) for r in rows(FindingRow, "id")),
            labs=tuple(_rows.lab_from_row(r) for r in rows(LabRow, "id")),
            clasi=self._clasi(patient_id, rows(ClasiExamRow, "date", "id")),
            therapies=tuple(_rows.therapy_from_row(r) for r in rows(TherapyRow, "id")),
            measurements=tuple(
                _rows.measurement_from_row(r) for r in rows(MeasurementRow, "date", "id")
            ),
            ivig_request=None if ivig is None else _rows.ivig_from_row(ivig),
        )

    def _clasi(self, patient_id: int, exams: Iterable[Any]) -> tuple[ClasiExam, ...]:
        regions = ClasiRegionRow.__table__
        query = (
            select(regions)
            .join(ClasiExamRow.__table__, ClasiExamRow.id == regions.c.exam_id)
            .where(ClasiExamRow.patient_id == patient_id)
            .order_by(regions.c.exam_id, regions.c.position)
        )
        by_exam: dict[int, list[Any]] = defaultdict(list)
        for region in self._db.execute(query):
            by_exam[region.exam_id].append(region)
        return tuple(_rows.clasi_from_row(exam, by_exam[exam.id]) for exam in exams)

    # --- writing -------------------------------------------------------------------------

    def _check_case_id(self, case_id: str, *, except_patient: int | None = None) -> None:
        if len(case_id) > MAX_CASE_ID:
            raise CaseError(
                FieldProblem("id", case_id, "is too long", f"at most {MAX_CASE_ID} characters")
            )
        existing = self.id_of(case_id)
        if existing is not None and existing != except_patient:
            raise CaseError(
                FieldProblem(
                    "id",
                    case_id,
                    "is already the case id of a stored patient",
                    "a case id not yet used, or replace that patient",
                )
            )

    def _write_observations(self, patient_id: int, case: Case, by: int | None) -> None:
        groups: tuple[tuple[Any, Callable[[Any], dict[str, Any]], tuple[Any, ...]], ...] = (
            (CleEntryRow, _rows.cle_columns, case.cle),
            (FindingRow, _rows.finding_columns, case.findings),
            (LabRow, _rows.lab_columns, case.labs),
            (TherapyRow, _rows.therapy_columns, case.therapies),
            (MeasurementRow, _rows.measurement_columns, case.measurements),
        )
        for table, columns, items in groups:
            self._db.add_all(
                table(patient_id=patient_id, created_by=by, **columns(item)) for item in items
            )
        for exam in case.clasi:
            self._db.add(
                ClasiExamRow(
                    patient_id=patient_id,
                    created_by=by,
                    regions=_rows.region_rows(exam),
                    **_rows.clasi_columns(exam),
                )
            )
        if case.ivig_request is not None:
            self._db.add(
                IvigRequestRow(
                    patient_id=patient_id, created_by=by, **_rows.ivig_columns(case.ivig_request)
                )
            )

    def add_case(self, case: Case, *, by: User | None = None) -> int:
        """Store a new patient from a Case; returns the patient id.

        Raises:
            CaseError: when the case id is already stored.
        """
        self._check_case_id(case.id)
        row = PatientRow(
            case_id=case.id,
            as_of=case.as_of,
            created_by=_by(by),
            **_rows.patient_columns(case.patient),
        )
        self._db.add(row)
        self._db.flush()
        self._write_observations(row.id, case, _by(by))
        self._db.flush()
        return row.id

    def replace_case(self, patient_id: int, case: Case, *, by: User | None = None) -> None:
        """Replace a patient's whole record with a Case (same patient id, audit kept)."""
        row = self._require(patient_id)
        self._check_case_id(case.id, except_patient=patient_id)
        for table in _OBSERVATION_TABLES:
            self._db.execute(delete(table).where(table.patient_id == patient_id))
        row.case_id = case.id
        row.as_of = case.as_of
        for key, value in _rows.patient_columns(case.patient).items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        self._db.flush()
        self._write_observations(patient_id, case, _by(by))
        self._db.flush()

    def import_data(
        self, data: Any, *, by: User | None = None, replace: bool = False
    ) -> tuple[int, bool]:
        """Check case-file data and store it; returns (patient id, replaced an existing one).

        Raises:
            CaseError: every problem in the file, or a case id already stored (without replace).
        """
        try:
            case = parse_case(data, self._kb)
        except CaseError as exc:
            given = data.get("id") if isinstance(data, dict) else None
            if replace or not isinstance(given, str):
                raise
            try:
                self._check_case_id(given.strip())
            except CaseError as taken:
                raise CaseError([*exc.problems, *taken.problems]) from None
            raise
        existing = self.id_of(case.id)
        if existing is not None and replace:
            self.replace_case(existing, case, by=by)
            return existing, True
        return self.add_case(case, by=by), False

    def update_details(
        self,
        patient_id: int,
        as_of: Any,
        patient: Any,
        *,
        measurements: Any = (),
        by: User | None = None,
    ) -> Case:
        """Replace the assessment date and the `patient` section (checked as in a case file) and
        record any dated weights or heights given (`measurements` items). One weight (height) a
        day: a value for a day already recorded replaces it; the same value is left as it is.

        Raises:
            CaseError: field names `as_of`, `patient.<field>` and `measurements[i].<field>`.
        """
        row = self._require(patient_id)
        new_as_of, new_patient, new_measurements = parse_patient(
            as_of, patient, self._kb, measurements
        )
        row.as_of = new_as_of
        for key, value in _rows.patient_columns(new_patient).items():
            setattr(row, key, value)
        for m in new_measurements:
            same_day = list(self._db.scalars(select(MeasurementRow).where(
                MeasurementRow.patient_id == patient_id,
                MeasurementRow.name == m.name,
                MeasurementRow.date == m.date,
            )))
            if len(same_day) == 1 and same_day[0].value == m.value:
                continue
            for old in same_day:
                self._db.delete(old)
            self._db.add(MeasurementRow(
                patient_id=patient_id, created_by=_by(by), **_rows.measurement_columns(m)
            ))
        row.updated_at = utcnow()
        self._db.flush()
        case = self.load(patient_id)
        assert case is not None
        return case

    def touch(self, patient_id: int) -> None:
        """Mark the patient as changed now (an observation was added or removed)."""
        self._require(patient_id).updated_at = utcnow()

    def delete(self, patient_id: int) -> bool:
        """Delete a patient and every observation and stored assessment (the audit log stays)."""
        row = self._db.get(PatientRow, patient_id)
        if row is None:
            return False
        for table in _OBSERVATION_TABLES:
            self._db.execute(delete(table).where(table.patient_id == patient_id))
        self._db.delete(row)
        self._db.flush()
        return True

    def _require(self, patient_id: int) -> PatientRow:
        row = self._db.get(PatientRow, patient_id)
        if row is None:
            raise LookupError(f"no patient {patient_id}")
        return row
