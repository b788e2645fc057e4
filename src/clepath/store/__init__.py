"""Persistence: SQLAlchemy tables, repositories (domain in, domain out), migrations.

May import: the clinical core, clepath.casefile, clepath.fhir, SQLAlchemy, Alembic.

The names below are loaded on first use (PEP 562), so that a process that only needs the
stdlib SQLite helpers (`clepath.store.lite`, used by `clepath cds serve` on SQLite) does not
import SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clepath.store.casedata import case_to_data
    from clepath.store.database import make_engine, session_factory, sqlite_path
    from clepath.store.migrate import current_revision, head_revision, is_current, upgrade
    from clepath.store.records import (
        PERMISSIONS,
        ROLES,
        AuditEvent,
        CdsFeedback,
        Observation,
        PatientSummary,
        StoredAssessment,
        User,
    )
    from clepath.store.unit import Store

_HOMES = {
    "case_to_data": "casedata",
    "make_engine": "database",
    "session_factory": "database",
    "sqlite_path": "database",
    "current_revision": "migrate",
    "head_revision": "migrate",
    "is_current": "migrate",
    "upgrade": "migrate",
    "PERMISSIONS": "records",
    "ROLES": "records",
    "AuditEvent": "records",
    "CdsFeedback": "records",
    "Observation": "records",
    "PatientSummary": "records",
    "StoredAssessment": "records",
    "User": "records",
    "Store": "unit",
}

__all__ = [
    "AuditEvent",
    "CdsFeedback",
    "Observation",
    "PERMISSIONS",
    "PatientSummary",
    "ROLES",
    "Store",
    "StoredAssessment",
    "User",
    "case_to_data",
    "current_revision",
    "head_revision",
    "is_current",
    "make_engine",
    "session_factory",
    "sqlite_path",
    "upgrade",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'clepath.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"clepath.store.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
