"""What the repositories hand back besides domain objects: users, summaries, audit events.

Clinical data leaves the store as `clepath.domain` objects (a `Case`, a `LabResult`); these
records carry what only the application needs (ids, who, when, roles).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = [
    "AuditEvent",
    "CdsFeedback",
    "Observation",
    "PERMISSIONS",
    "PatientSummary",
    "ROLES",
    "StoredAssessment",
    "User",
]

ROLES = ("viewer", "clinician", "admin")
# What each role may do: viewers read, clinicians also write, admins also manage users.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "clinician": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "manage_users"}),
}

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in, and their role."""

    id: int
    username: str
    role: str
    active: bool = True

    def can(self, permission: str) -> bool:
        """True when the user's role grants `permission` (read, write, manage_users)."""
        return self.active and permission in PERMISSIONS.get(self.role, frozenset())


@dataclass(frozen=True, slots=True)
class PatientSummary:
    """One line of the patient list."""

    id: int
    case_id: str
    as_of: dt.date
    sex: str | None
    age_years: int | None
    updated_at: dt.datetime
    # From the letter details (web store only; never in case files or exports).
    name: str = ""
    birth_date: str = ""


@dataclass(frozen=True, slots=True)
class Observation(Generic[T]):
    """A stored observation: its row id and the domain object it holds."""

    id: int
    item: T
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    """An assessment kept for the record, with the knowledge versions it used."""

    id: int
    patient_id: int
    as_of: dt.date
    created_at: dt.datetime
    created_by: str | None
    clepath_version: str
    knowledge: dict[str, str]
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One line of the audit log: who did what to which patient."""

    id: int
    at: dt.datetime
    username: str | None
    action: str
    patient_id: int | None
    resource: str
    resource_id: int | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class CdsFeedback:
    """CDS Hooks feedback on one card (the `feedback` endpoint's body, one item)."""

    service_id: str
    card_id: str
    outcome: str  # accepted | overridden
    outcome_at: dt.datetime | None = None
    override_reason: dict[str, Any] | None = None
    accepted_suggestions: tuple[str, ...] = ()
    rule: str | None = None  # the card rule that produced the card, when the service knows it
