"""Letter details of a patient (issue 12): the identifiers a payer needs on the IVIG
prior-authorisation letter (name, date of birth, record number, insurer, member number) and the
prescriber. They live in this table only: case files, exports, de-identified outputs and logs
never carry them; every change is audited by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clepath.errors import CaseError, FieldProblem
from clepath.store.records import User
from clepath.store.tables import LetterDetailsRow, utcnow

__all__ = ["LETTER_FIELDS", "SEARCH_DATE_FORMS", "LetterDetailsRepository", "identities",
           "matching_patients"]

# field -> label, in the order the form and the letter show them
LETTER_FIELDS: dict[str, str] = {
    "patient_name": "Patient's name",
    "birth_date": "Date of birth",
    "record_number": "Hospital record number",
    "payer": "Insurer or payer",
    "payer_address": "Insurer's address (the letter's “To:”)",
    "member_number": "Member or policy number",
    "prescriber_name": "Prescriber",
    "prescriber_registration": "Prescriber's registration number",
    "prescriber_contact": "Prescriber's address and telephone",
}
_MAX_LENGTH = 300
# How a date of birth may be typed into the patient search (strptime format -> example).
SEARCH_DATE_FORMS: dict[str, str] = {"%Y-%m-%d": "1972-03-14", "%d/%m/%Y": "14/03/1972"}


def _search_date(text: str) -> dt.date | None:
    for form in SEARCH_DATE_FORMS:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def matching_patients(session: Session, text: str) -> set[int]:
    """Ids of patients whose stored name contains `text` (any case), whose date of birth is the
    date `text` names (1972-03-14 or 14/03/1972) or whose record number is `text` exactly.

    The details are a JSON column, so they are matched here, not in SQL: the same on SQLite and
    PostgreSQL.
    """
    wanted = text.strip()
    if not wanted:
        return set()
    folded = wanted.casefold()
    born = _search_date(wanted)
    found: set[int] = set()
    for patient_id, fields in session.execute(
        select(LetterDetailsRow.patient_id, LetterDetailsRow.fields)
    ):
        fields = fields or {}
        name = str(fields.get("patient_name") or "")
        if (
            (name and folded in name.casefold())
            or (born is not None and fields.get("birth_date") == born.isoformat())
            or (fields.get("record_number") and fields.get("record_number") == wanted)
        ):
            found.add(patient_id)
    return found


def identities(session: Session, patient_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Patient id -> (name, date of birth) as stored (empty strings where not given)."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(LetterDetailsRow.patient_id, LetterDetailsRow.fields).where(
            LetterDetailsRow.patient_id.in_(patient_ids)
        )
    )
    return {
        pid: (str((f or {}).get("patient_name") or ""), str((f or {}).get("birth_date") or ""))
        for pid, f in rows
    }


class LetterDetailsRepository:
    """Read and replace one patient's letter details."""

    def __init__(self, session: Session) -> None:
        self._db = session

    def get(self, patient_id: int) -> dict[str, str]:
        """The stored details (only the fields that were given)."""
        row = self._row(patient_id)
        return {} if row is None else dict(row.fields)

    def set(self, patient_id: int, given: Mapping[str, Any], *, by: User | None = None) -> (
        dict[str, str]
    ):
        """Replace the details; empty fields are dropped.

        Raises:
            CaseError: one problem per bad field (a date of birth that is not a past date, a
                field longer than 300 characters); nothing is written.
        """
        kept: dict[str, str] = {}
        problems: list[FieldProblem] = []
        for name in LETTER_FIELDS:
            text = str(given.get(name) or "").strip()
            if not text:
                continue
            if len(text) > _MAX_LENGTH:
                problems.append(FieldProblem(name, text[:40] + "…", "is too long",
                                             f"at most {_MAX_LENGTH} characters"))
                continue
            if name == "birth_date":
                try:
                    born = dt.date.fromisoformat(text)
                except ValueError:
                    problems.append(FieldProblem(name, text, "is not a date",
                                                 "a date such as 1972-03-14"))
                    continue
                if born > dt.date.today():
                    problems.append(FieldProblem(name, text, "is in the future",
                                                 "a date of birth in the past"))
                    continue
            kept[name] = text
        if problems:
            raise CaseError(problems)
        row = self._row(patient_id)
        if row is None:
            row = LetterDetailsRow(patient_id=patient_id, fields=kept)
            self._db.add(row)
        else:
            row.fields = kept
        row.updated_at = utcnow()
        row.updated_by = None if by is None else by.id
        self._db.flush()
        return kept

    def _row(self, patient_id: int) -> LetterDetailsRow | None:
        return self._db.scalar(
            select(LetterDetailsRow).where(LetterDetailsRow.patient_id == patient_id)
        )
