"""The dependencies every route declares, named once so each signature reads as a sentence.

`Reader`, `Editor` and `Admin` sign the user in from the session cookie (401 otherwise) and
check the role (403). For a write (POST, PUT, PATCH, DELETE) they also check the CSRF token,
from the form field `csrf_token` or the header `X-CSRF-Token`, so no write route can forget
it. `PatientCase` loads a patient's record after the user is known, so an anonymous request
never learns whether a patient exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from starlette.datastructures import FormData

from clepath.domain.case import Case
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.store import PatientSummary, Store, User
from clepath.store.sessions import ActiveSession
from clepath.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, UNSAFE_METHODS, same_token
from clepath.web.state import AppState

__all__ = [
    "MAX_ID",
    "Id",
    "IdQuery",
    "Limit",
    "Offset",
    "PageNumber",
    "Admin",
    "AdminSession",
    "Auth",
    "Editor",
    "EditorSession",
    "Form",
    "Knowledge",
    "Patient",
    "PatientCase",
    "PatientRecord",
    "PatientRef",
    "Reader",
    "ReaderSession",
    "SettingsDep",
    "StateDep",
    "StoreDep",
]


# Database ids are the tables' INTEGER columns, 32-bit on PostgreSQL: a larger number in a path
# or query is refused (422) before it can reach the database (integers >= 2**63 used to make
# SQLite raise, and >= 2**31 PostgreSQL, and the API answer 500).
MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="A database id.")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Skip this many items.")]
PageNumber = Annotated[int, Query(ge=1, le=10**6)]


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.clepath
    return state


StateDep = Annotated[AppState, Depends(_state)]


def _settings(state: StateDep) -> Settings:
    return state.settings


def _knowledge(state: StateDep) -> KnowledgeBase:
    return state.knowledge


SettingsDep = Annotated[Settings, Depends(_settings)]
Knowledge = Annotated[KnowledgeBase, Depends(_knowledge)]


def _store(state: StateDep) -> Iterator[Store]:
    store = state.store()
    try:
        yield store
    finally:
        store.close()


StoreDep = Annotated[Store, Depends(_store)]


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def _signed_in(request: Request, store: StoreDep) -> ActiveSession:
    active = store.logins.resolve(request.cookies.get(SESSION_COOKIE))
    if active is None:
        raise HTTPException(status_code=401, detail="Sign in first.")
    return active


async def _csrf_checked(
    request: Request, active: Annotated[ActiveSession, Depends(_signed_in)]
) -> ActiveSession:
    if request.method in UNSAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            value = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        if not same_token(active.csrf_token, given):
            raise HTTPException(
                status_code=403,
                detail="This form has expired or did not come from clepath. Reload and try again.",
            )
    return active


@dataclass(frozen=True)
class Auth:
    """The signed-in user and the CSRF token their forms must carry."""

    user: User
    csrf_token: str


def _requiring(permission: str) -> Callable[[ActiveSession], Auth]:
    def check(active: Annotated[ActiveSession, Depends(_csrf_checked)]) -> Auth:
        if not active.user.can(permission):
            raise HTTPException(
                status_code=403, detail=f"Your role ({active.user.role}) may not do this."
            )
        return Auth(active.user, active.csrf_token)

    check.__name__ = f"requires_{permission}"
    return check


ReaderSession = Annotated[Auth, Depends(_requiring("read"))]
EditorSession = Annotated[Auth, Depends(_requiring("write"))]
AdminSession = Annotated[Auth, Depends(_requiring("manage_users"))]


def _reader(auth: ReaderSession) -> User:
    return auth.user


def _editor(auth: EditorSession) -> User:
    return auth.user


def _admin(auth: AdminSession) -> User:
    return auth.user


Reader = Annotated[User, Depends(_reader)]
Editor = Annotated[User, Depends(_editor)]
Admin = Annotated[User, Depends(_admin)]


@dataclass(frozen=True)
class Patient:
    """A stored patient: its id and its whole record."""

    id: int
    case: Case

    @property
    def case_id(self) -> str:
        """The case id (what the patient list shows)."""
        return self.case.id

    @property
    def as_of(self) -> dt.date:
        """The date the assessment is made for."""
        return self.case.as_of


def _patient_record(patient_id: Id, auth: ReaderSession, store: StoreDep) -> Patient:
    case = store.patients.load(patient_id)
    if case is None:
        raise HTTPException(status_code=404, detail="There is no such patient.")
    return Patient(patient_id, case)


def record_problems(case: Case, kb: KnowledgeBase) -> list[FieldProblem]:
    """What is wrong with a stored record by today's checks (empty when it is valid).

    A record stored before a check existed (a creatinine of 0, an as-of date in year 1) is read
    back through the case-file checks, so the pages can say what to correct instead of failing.
    """
    from clepath.casefile import parse_case
    from clepath.store.casedata import case_to_data

    try:
        parse_case(case_to_data(case), kb)
    except CaseError as exc:
        return list(exc.problems)
    except Exception as exc:  # noqa: BLE001 - a record no check can read is still reported
        return [FieldProblem("record", type(exc).__name__, "cannot be read back", "a valid case")]
    return []


def _patient(
    patient_id: Id, auth: ReaderSession, store: StoreDep, kb: Knowledge
) -> Patient:
    patient = _patient_record(patient_id, auth, store)
    problems = record_problems(patient.case, kb)
    if problems:
        fix = FieldProblem(
            "record",
            f"patient {patient_id}",
            "was stored before these checks existed and must be corrected before it can be "
            f"assessed: edit the details (/patients/{patient_id}/edit) or the entries named "
            f"above, or export the case file (/patients/{patient_id}/case.yaml), correct it "
            "and import it again with replace",
            "a record that passes the case-file checks",
        )
        raise CaseError([*problems, fix])
    return patient


PatientCase = Annotated[Patient, Depends(_patient)]
"""A patient whose record passes today's checks (else a 422 naming what to correct)."""
PatientRecord = Annotated[Patient, Depends(_patient_record)]
"""A patient's record as stored, unchecked: for editing, exporting, replacing and deleting."""


def _patient_summary(patient_id: Id, auth: ReaderSession, store: StoreDep) -> PatientSummary:
    summary = store.patients.summary(patient_id)
    if summary is None:
        raise HTTPException(status_code=404, detail="There is no such patient.")
    return summary


PatientRef = Annotated[PatientSummary, Depends(_patient_summary)]
