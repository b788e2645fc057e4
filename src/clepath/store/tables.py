"""The SQL tables: a patient stored as observations, plus users, sessions, audit and feedback.

Design rule: a patient is stored as what was observed (findings, labs, CLASI examinations with
their region scores, therapy courses, the IVIG request), in canonical units and vocabulary ids,
never as derived scores alone. A stored assessment keeps the whole assessment JSON with the
knowledge versions that produced it. Partial dates are kept as text (`2009`, `2019-05`).
The Alembic migrations in `clepath/store/migrations/` build exactly this schema (a test checks).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AssessmentRow",
    "AuditRow",
    "Base",
    "CdsCardRow",
    "CdsFeedbackRow",
    "CdsTokenUseRow",
    "ClasiExamRow",
    "ClasiRegionRow",
    "CleEntryRow",
    "FindingRow",
    "IvigRequestRow",
    "LabRow",
    "LoginFailureRow",
    "LoginSessionRow",
    "PatientRow",
    "TherapyRow",
    "UserRow",
    "UtcDateTime",
    "utcnow",
]

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as naive UTC and read back as aware UTC (same on SQLite and PG)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if not isinstance(value, dt.datetime):
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with named constraints (stable names for migrations)."""

    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map = {dt.datetime: UtcDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


def _now_column() -> Mapped[dt.datetime]:
    return mapped_column(UtcDateTime(), default=utcnow, nullable=False)


def _by_column() -> Mapped[int | None]:
    return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


def _patient_column() -> Mapped[int]:
    return mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)


class UserRow(Base):
    """A person who signs in: argon2 password hash and one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = _now_column()
    password_changed_at: Mapped[dt.datetime] = _now_column()


class LoginSessionRow(Base):
    """A signed-in session: the SHA-256 of the cookie token, its CSRF token and its expiry."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = _now_column()
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), nullable=False)


class PatientRow(Base):
    """One patient: the case id, the assessment date and the `patient` section of a case."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    sex: Mapped[str | None] = mapped_column(String(16))
    age_years: Mapped[int | None] = mapped_column(Integer)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    height_cm: Mapped[float | None] = mapped_column(Float)
    pre_pregnancy_weight_kg: Mapped[float | None] = mapped_column(Float)
    smoking: Mapped[str | None] = mapped_column(String(16))
    pregnant: Mapped[bool | None] = mapped_column(Boolean)
    blood_group: Mapped[str | None] = mapped_column(String(8))
    conditions: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[dt.datetime] = _now_column()
    updated_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()


class CleEntryRow(Base):
    """A cutaneous lupus subtype present, its CLASI-region sites and since when."""

    __tablename__ = "cle_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_column()
    subtype: Mapped[str] = mapped_column(String(64), nullable=False)
    sites: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    since: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()

    __table_args__ = (Index("ix_cle_entries_patient", "patient_id"),)


class FindingRow(Base):
    """A dated clinical finding, its value in the findings pack's unit."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_column()
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    value: Mapped[float | None] = mapped_column(Float)
    value_unit: Mapped[str | None] = mapped_column(String(32))
    attributed_to: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()

    __table_args__ = (Index("ix_findings_patient_date", "patient_id", "date"),)


class MeasurementRow(Base):
    """A dated body weight (kg) or height (cm)."""

    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_column()
    name: Mapped[str] = mapped_column(String(16), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()

    __table_args__ = (Index("ix_measurements_patient_date", "patient_id", "date"),)


class LabRow(Base):
    """A dated lab result in the test's canonical unit (or a titre, or a result word)."""

    __tablename__ = "labs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_column()
    test: Mapped[str] = mapped_column(String(64), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    titre: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(String(16))
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    attributed_to: Mapped[str | None] = mapped_column(String(200))
    original: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()

    __table_args__ = (Index("ix_labs_patient_test_date", "patient_id", "test", "date"),)


class ClasiExamRow(Base):
    """A dated CLASI examination: its global items; region scores are child rows."""

    __tablename__ = "clasi_exams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_column()
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    mucous_membrane: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    recent_hair_loss: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    nonscarring_alopecia: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    scarring_alopecia_scalp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    dyspigmentation_lasts_12_months: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()

    regions: Mapped[list[ClasiRegionRow]] = relationship(
        order_by="ClasiRegionRow.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    __table_args__ = (Index("ix_clasi_exams_patient_date", "patient_id", "date"),)


class ClasiRegionRow(Base):
    """The scores of the worst lesion in one CLASI region of one examination."""

    __tablename__ = "clasi_region_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(
        ForeignKey("clasi_exams.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    region: Mapped[str] = mapped_column(String(32), nullable=False)
    erythema: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    scale: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    dyspigmentation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    scarring: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("exam_id", "region", name="uq_clasi_region_scores_exam"),)


class TherapyRow(Base):
    """One course of one drug as the history gives it (dose and dates may be missing)."""

    __tablename__ = "therapy_courses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_column()
    drug: Mapped[str] = mapped_column(String(64), nullable=False)
    dose_mg: Mapped[float | None] = mapped_column(Float)
    dose_text: Mapped[str | None] = mapped_column(String(64))
    frequency: Mapped[str | None] = mapped_column(String(32))
    doses_per_week: Mapped[float | None] = mapped_column(Float)
    route: Mapped[str | None] = mapped_column(String(32))
    start: Mapped[str | None] = mapped_column(String(10))
    stop: Mapped[str | None] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()

    __table_args__ = (Index("ix_therapy_courses_patient", "patient_id"),)


class IvigRequestRow(Base):
    """The IVIG regimen requested for a patient (at most one in force)."""

    __tablename__ = "ivig_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    induction_dose_g_per_kg: Mapped[float | None] = mapped_column(Float)
    induction_days: Mapped[int | None] = mapped_column(Integer)
    maintenance_dose_g_per_kg: Mapped[float | None] = mapped_column(Float)
    maintenance_every_days: Mapped[int | None] = mapped_column(Integer)
    maintenance_cycles: Mapped[int | None] = mapped_column(Integer)
    product: Mapped[str | None] = mapped_column(String(64))
    policy: Mapped[str | None] = mapped_column(String(32))
    start: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()


class AssessmentRow(Base):
    """An assessment kept for the record: its JSON and the knowledge versions it used."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _patient_column()
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    clepath_version: Mapped[str] = mapped_column(String(32), nullable=False)
    knowledge: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = _now_column()
    created_by: Mapped[int | None] = _by_column()

    __table_args__ = (Index("ix_assessments_patient_created", "patient_id", "created_at"),)


class AuditRow(Base):
    """Who did what to which patient, when. Kept when the patient or user is deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = _now_column()
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    patient_id: Mapped[int | None] = mapped_column(Integer)
    resource: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_audit_events_patient_at", "patient_id", "at"),
        Index("ix_audit_events_at", "at"),
    )


class CdsFeedbackRow(Base):
    """CDS Hooks feedback on one card: accepted or overridden, and why."""

    __tablename__ = "cds_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[dt.datetime] = _now_column()
    service_id: Mapped[str] = mapped_column(String(64), nullable=False)
    card_id: Mapped[str] = mapped_column(String(128), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    rule: Mapped[str | None] = mapped_column(String(64))  # the card's rule, when known
    override_reason: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    accepted_suggestions: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)

    __table_args__ = (Index("ix_cds_feedback_service_card", "service_id", "card_id"),)


class CdsTokenUseRow(Base):
    """A CDS client token id already used (replay protection shared by every server process).

    Kept until the token expires (`expires_at`, seconds since the epoch, the clock skew
    included); expired rows are purged from time to time.
    """

    __tablename__ = "cds_token_uses"

    issuer: Mapped[str] = mapped_column(String(512), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index("ix_cds_token_uses_expires_at", "expires_at"),)


class CdsCardRow(Base):
    """A card the CDS service returned: which rule made it (for feedback rates per rule).

    The uuid is deterministic (service, rule, patient, subject and day), so the same card
    shown twice is one row. `issued_at` is seconds since the epoch; old rows are purged.
    """

    __tablename__ = "cds_cards"

    uuid: Mapped[str] = mapped_column(String(128), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), nullable=False)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    issued_at: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index("ix_cds_cards_issued_at", "issued_at"),)


class LoginFailureRow(Base):
    """One failed sign-in against a key (`user:<name>` or `address:<ip>`), for throttling
    shared by every server process. `at` is seconds since the epoch; rows older than the
    window are purged."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    at: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)


class LetterDetailsRow(Base):
    """Who the prior-authorisation letter is about, from and to (issue 12): identifiers kept in
    the web app's store only, never in case files, exports or logs."""

    __tablename__ = "letter_details"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[dt.datetime] = _now_column()
    updated_by: Mapped[int | None] = _by_column()
