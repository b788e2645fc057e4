"""Users and sign-in sessions: argon2id hashes, roles, sessions that expire and end."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from clepath.errors import CaseError
from clepath.store import PERMISSIONS, Store
from clepath.store.tables import LoginSessionRow, UserRow

PASSWORD = "correct horse battery staple"


class TestUsers:
    def test_password_is_stored_as_an_argon2id_hash(self, store: Store) -> None:
        """The row holds an argon2id hash, never the password."""
        store.users.add("Ana", PASSWORD, "clinician")

        stored = store.session.scalar(select(UserRow.password_hash))

        assert (True, False) == (stored.startswith("$argon2id$"), PASSWORD in stored)  # type: ignore[union-attr]

    def test_authenticate(self, store: Store) -> None:
        """Right password: the user (name compared in lower case); wrong one: None."""
        store.users.add("ana", PASSWORD, "viewer")

        assert ("ana", None) == (
            store.users.authenticate(" ANA ", PASSWORD).username,  # type: ignore[union-attr]
            store.users.authenticate("ana", PASSWORD + "!"),
        )

    def test_stopped_user_cannot_sign_in(self, store: Store) -> None:
        """A user made inactive is refused even with the right password."""
        user = store.users.add("ana", PASSWORD, "viewer")
        store.users.set_active(user.id, False)

        assert None is store.users.authenticate("ana", PASSWORD)

    def test_weak_hash_is_upgraded_on_sign_in(self, store: Store) -> None:
        """A hash made with weaker parameters is replaced by one with the current ones."""
        weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
        user = store.users.add("ana", PASSWORD, "viewer")
        store.session.execute(update(UserRow).values(password_hash=weak))
        strong = Store(store.session, store.patients._kb, PasswordHasher(time_cost=2))

        strong.users.authenticate("ana", PASSWORD)

        assert "t=2" in strong.session.get(UserRow, user.id).password_hash  # type: ignore[union-attr]

    def test_bad_user_is_refused_with_every_reason(self, store: Store) -> None:
        """A bad name, an unknown role and a short password are reported together."""
        with pytest.raises(CaseError) as caught:
            store.users.add("no spaces!", "short", "boss")

        assert ["username", "role", "password"] == [p.field for p in caught.value.problems]

    def test_taken_name_is_refused(self, store: Store) -> None:
        """Two users cannot share a name, whatever its case."""
        store.users.add("ana", PASSWORD, "viewer")

        with pytest.raises(CaseError):
            store.users.add("ANA", PASSWORD, "viewer")

    def test_roles(self) -> None:
        """Viewers read; clinicians also write; admins also manage users."""
        assert {
            "viewer": {"read"},
            "clinician": {"read", "write"},
            "admin": {"read", "write", "manage_users"},
        } == {role: set(p) for role, p in PERMISSIONS.items()}


class TestSessions:
    def test_session_resolves_to_its_user(self, store: Store) -> None:
        """A started session opens with its token and carries a CSRF token."""
        user = store.users.add("ana", PASSWORD, "clinician")
        token, started = store.logins.start(user, hours=1)

        active = store.logins.resolve(token)

        assert (user, started.csrf_token) == (active.user, active.csrf_token)  # type: ignore[union-attr]

    def test_only_a_hash_of_the_token_is_stored(self, store: Store) -> None:
        """The session row's id is the SHA-256 of the cookie token, not the token."""
        user = store.users.add("ana", PASSWORD, "clinician")
        token, _ = store.logins.start(user, hours=1)

        ids = list(store.session.scalars(select(LoginSessionRow.id)))

        assert (1, False, 64) == (len(ids), token in ids, len(ids[0]))

    def test_expired_ended_and_unknown_sessions_do_not_open(self, store: Store) -> None:
        """Expiry, sign-out, a stopped user and a made-up token all give None."""
        user = store.users.add("ana", PASSWORD, "clinician")
        expired, _ = store.logins.start(user, hours=1)
        store.session.execute(update(LoginSessionRow).values(
            expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
        ended, _ = store.logins.start(user, hours=1)
        store.logins.end(ended)
        stopped, _ = store.logins.start(user, hours=1)
        store.users.set_active(user.id, False)

        assert [None] * 4 == [store.logins.resolve(t) for t in (expired, ended, stopped, "x")]

    def test_purge_expired(self, store: Store) -> None:
        """Expired sessions are deleted; current ones stay."""
        user = store.users.add("ana", PASSWORD, "clinician")
        store.logins.start(user, hours=1)
        current, _ = store.logins.start(user, hours=1)
        kept = hashlib.sha256(current.encode()).hexdigest()
        store.session.execute(update(LoginSessionRow).where(LoginSessionRow.id != kept).values(
            expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))

        purged = store.logins.purge_expired()

        assert (1, True) == (purged, store.logins.resolve(current) is not None)
