"""Persistence: SQLAlchemy tables, repositories (domain in, domain out), migrations.

May import: the clinical core, clepath.casefile, clepath.fhir, SQLAlchemy, Alembic.
"""

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
