"""Sign-in sessions kept in the database: a random cookie token, stored only as its SHA-256.

Each session has its own CSRF token (session-bound, compared in constant time by the web
layer) and an absolute expiry. Ending a session deletes its row; a user made inactive loses
every session at their next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clepath.store.records import User
from clepath.store.tables import LoginSessionRow, UserRow, utcnow

__all__ = ["ActiveSession", "LoginSessions"]


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A valid session: whose it is and the CSRF token its forms must carry."""

    user: User
    csrf_token: str
    expires_at: dt.datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LoginSessions:
    """Sessions over one database session (the caller commits)."""

    def __init__(self, session: Session) -> None:
        self._db = session

    def start(self, user: User, *, hours: float) -> tuple[str, ActiveSession]:
        """Open a session; returns the cookie token (shown once, stored hashed) and the session."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = utcnow() + dt.timedelta(hours=hours)
        self._db.add(
            LoginSessionRow(id=_digest(token), user_id=user.id, csrf_token=csrf, expires_at=expires)
        )
        self._db.flush()
        return token, ActiveSession(user, csrf, expires)

    def resolve(self, token: str | None) -> ActiveSession | None:
        """The session a cookie token opens, or None (unknown, expired or inactive user)."""
        if not token or len(token) > 256:
            return None
        found = self._db.execute(
            select(LoginSessionRow, UserRow)
            .join(UserRow, UserRow.id == LoginSessionRow.user_id)
            .where(LoginSessionRow.id == _digest(token))
        ).first()
        if found is None:
            return None
        row, user = found
        if row.expires_at <= utcnow() or not user.active:
            return None
        return ActiveSession(
            User(id=user.id, username=user.username, role=user.role, active=user.active),
            row.csrf_token,
            row.expires_at,
        )

    def end(self, token: str | None) -> None:
        """Close the session of a cookie token (nothing happens for an unknown token)."""
        if token:
            self._db.execute(delete(LoginSessionRow).where(LoginSessionRow.id == _digest(token)))

    def end_all(self, user_id: int) -> None:
        """Close every session of one user (after a password change or deactivation)."""
        self._db.execute(delete(LoginSessionRow).where(LoginSessionRow.user_id == user_id))

    def purge_expired(self) -> int:
        """Delete expired sessions; returns how many."""
        result = self._db.execute(
            delete(LoginSessionRow).where(LoginSessionRow.expires_at <= utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)
