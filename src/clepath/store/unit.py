"""One unit of work: every repository over one database session, committed together.

A web request or a CLI command opens one `Store`, reads and writes through its repositories
and commits once; an exception before the commit leaves the database as it was.
"""

from __future__ import annotations

from types import TracebackType

from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from clepath.knowledge.base import KnowledgeBase
from clepath.store.assessments import AssessmentRepository
from clepath.store.audit import AuditLog
from clepath.store.feedback import FeedbackRepository
from clepath.store.letters import LetterDetailsRepository
from clepath.store.observations import ObservationRepository
from clepath.store.patients import PatientRepository
from clepath.store.sessions import LoginSessions
from clepath.store.users import UserRepository

__all__ = ["Store"]


class Store:
    """The repositories of one database session."""

    def __init__(
        self, session: Session, kb: KnowledgeBase, hasher: PasswordHasher | None = None
    ) -> None:
        self.session = session
        self.patients = PatientRepository(session, kb)
        self.observations = ObservationRepository(session, kb)
        self.assessments = AssessmentRepository(session)
        self.users = UserRepository(session, hasher)
        self.logins = LoginSessions(session)
        self.audit = AuditLog(session)
        self.feedback = FeedbackRepository(session)
        self.letters = LetterDetailsRepository(session)

    @classmethod
    def open(
        cls, factory: sessionmaker[Session], kb: KnowledgeBase, hasher: PasswordHasher | None = None
    ) -> Store:
        """A store over a new session from `factory` (close it, or use it as a context)."""
        return cls(factory(), kb, hasher)

    def commit(self) -> None:
        """Make every change of this unit of work permanent."""
        self.session.commit()

    def rollback(self) -> None:
        """Drop every change not yet committed."""
        self.session.rollback()

    def close(self) -> None:
        """Release the session (uncommitted changes are dropped)."""
        self.session.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.rollback()
        self.close()
