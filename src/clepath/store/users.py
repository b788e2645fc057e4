"""Users: argon2id password hashes, one role each, sign-in checks.

Roles: a `viewer` reads, a `clinician` also records and changes observations, an `admin` also
manages users (`clepath.store.records.PERMISSIONS`). Passwords are hashed with argon2id
(argon2-cffi's defaults, RFC 9106 low-memory profile) and re-hashed on sign-in when the
parameters in force are stronger than the stored hash's. Plain passwords are never stored.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clepath.errors import CaseError, FieldProblem
from clepath.store.records import ROLES, User
from clepath.store.tables import UserRow, utcnow

__all__ = ["MIN_PASSWORD", "UserRepository", "check_password", "normalise_username"]

MIN_PASSWORD = 10
_MAX_PASSWORD = 256
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_PASSWORD = "clepath-no-such-user"  # noqa: S105 - not a credential, a timing decoy


def normalise_username(name: str) -> str:
    """Usernames are compared in lower case, without surrounding spaces."""
    return name.strip().lower()


def check_password(password: str, field: str = "password") -> None:
    """Refuse a password that is too short or too long.

    Raises:
        CaseError: naming `field`.
    """
    if not MIN_PASSWORD <= len(password) <= _MAX_PASSWORD:
        raise CaseError(
            FieldProblem(
                field,
                "(hidden)",
                "is too short" if len(password) < MIN_PASSWORD else "is too long",
                f"{MIN_PASSWORD} to {_MAX_PASSWORD} characters",
            )
        )


def _user(row: UserRow) -> User:
    return User(id=row.id, username=row.username, role=row.role, active=row.active)


class UserRepository:
    """Users over one database session (the caller commits)."""

    def __init__(self, session: Session, hasher: PasswordHasher | None = None) -> None:
        self._db = session
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def count(self) -> int:
        """How many users exist."""
        return self._db.scalar(select(func.count()).select_from(UserRow)) or 0

    def all(self) -> list[User]:
        """Every user, by name."""
        return [_user(r) for r in self._db.scalars(select(UserRow).order_by(UserRow.username))]

    def get(self, user_id: int) -> User | None:
        """One user by id, or None."""
        row = self._db.get(UserRow, user_id)
        return None if row is None else _user(row)

    def by_name(self, username: str) -> User | None:
        """One user by name, or None."""
        row = self._row(username)
        return None if row is None else _user(row)

    def _row(self, username: str) -> UserRow | None:
        name = normalise_username(username)
        return self._db.scalar(select(UserRow).where(UserRow.username == name))

    def add(self, username: str, password: str, role: str) -> User:
        """Create a user.

        Raises:
            CaseError: a malformed or taken username, a weak password, an unknown role.
        """
        name = normalise_username(username)
        problems: list[FieldProblem] = []
        if not _USERNAME.match(name):
            problems.append(
                FieldProblem(
                    "username",
                    username,
                    "is not a valid username",
                    "2-64 characters: lower-case letters, digits, '.', '_', '@' or '-'",
                )
            )
        elif self._row(name) is not None:
            problems.append(FieldProblem("username", username, "is already taken", "a new name"))
        if role not in ROLES:
            problems.append(FieldProblem("role", role, "is not a role", ", ".join(ROLES)))
        try:
            check_password(password)
        except CaseError as exc:
            problems.extend(exc.problems)
        if problems:
            raise CaseError(problems)
        row = UserRow(username=name, password_hash=self._hasher.hash(password), role=role)
        self._db.add(row)
        self._db.flush()
        return _user(row)

    def set_password(self, user_id: int, password: str) -> None:
        """Replace a user's password.

        Raises:
            CaseError: a weak password.
        """
        check_password(password)
        row = self._require(user_id)
        row.password_hash = self._hasher.hash(password)
        row.password_changed_at = utcnow()
        self._db.flush()

    def set_role(self, user_id: int, role: str) -> User:
        """Change a user's role.

        Raises:
            CaseError: an unknown role.
        """
        if role not in ROLES:
            raise CaseError(FieldProblem("role", role, "is not a role", ", ".join(ROLES)))
        row = self._require(user_id)
        row.role = role
        self._db.flush()
        return _user(row)

    def set_active(self, user_id: int, active: bool) -> User:
        """Allow or stop a user's sign-in (their sessions end at their next request)."""
        row = self._require(user_id)
        row.active = active
        self._db.flush()
        return _user(row)

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this name and password, or None (no hint which was wrong)."""
        row = self._row(username)
        if row is None or not row.active:
            self._burn(password)
            return None
        try:
            self._hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if self._hasher.check_needs_rehash(row.password_hash):
            row.password_hash = self._hasher.hash(password)
            self._db.flush()
        return _user(row)

    def _burn(self, password: str) -> None:
        """Spend the time of one verification, so a missing user is not told apart by timing."""
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(_DUMMY_PASSWORD)
        try:
            self._hasher.verify(self._dummy_hash, password)
        except VerificationError:
            pass

    def _require(self, user_id: int) -> UserRow:
        row = self._db.get(UserRow, user_id)
        if row is None:
            raise LookupError(f"no user {user_id}")
        return row
