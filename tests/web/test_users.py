"""User management by admins: add, role, stop sign-in, new password; no self lock-out."""

from __future__ import annotations

from tests.web._html import field_errors
from tests.web.conftest import PASSWORD, Browser, World


def _user_id(admin: Browser, name: str) -> int:
    return next(u["id"] for u in admin.get("/api/users").json() if u["username"] == name)


class TestUsers:
    def test_add_a_user_who_can_then_sign_in(self, world: World, admin: Browser) -> None:
        """A viewer added by form signs in and can read but not write."""
        response = admin.submit("/users", {"username": "nurse", "password": PASSWORD,
                                           "role": "viewer"})
        nurse = Browser(world.app).sign_in("nurse")

        assert (303, 200, 403) == (
            response.status_code, nurse.get("/patients").status_code,
            nurse.submit(f"/patients/{world.seed}/assessments").status_code,
        )

    def test_weak_password_is_shown_at_its_field(self, admin: Browser) -> None:
        """A 5-character password is refused with the length expected."""
        response = admin.submit("/users", {"username": "nurse", "password": "short",
                                           "role": "viewer"})

        assert ["This is too short. Expected: 10 to 256 characters."] == field_errors(
            response.text, "password"
        )

    def test_stopping_a_user_ends_their_session(self, admin: Browser, doc: Browser) -> None:
        """After an admin stops `doc`, doc's open session is refused."""
        admin.submit(f"/users/{_user_id(admin, 'doc')}", {"active": "no"})

        assert 303 == doc.get("/patients").status_code

    def test_new_password_replaces_the_old(self, world: World, admin: Browser) -> None:
        """After a new password is set, the old one no longer signs in."""
        admin.api("PATCH", f"/api/users/{_user_id(admin, 'viewer')}",
                  {"password": "a brand new password"})

        browser = Browser(world.app)
        assert (401, 303) == (
            browser.post_login("viewer", PASSWORD).status_code,
            browser.post_login("viewer", "a brand new password").status_code,
        )

    def test_admin_cannot_lock_themselves_out(self, admin: Browser) -> None:
        """Demoting oneself is refused as a conflict (409) and the role stays admin."""
        me = _user_id(admin, "admin")

        response = admin.api("PATCH", f"/api/users/{me}", {"role": "viewer"})

        assert (409, "admin") == (
            response.status_code,
            next(u["role"] for u in admin.get("/api/users").json() if u["id"] == me),
        )

    def test_role_change_by_api(self, admin: Browser) -> None:
        """A clinician made viewer is listed as viewer."""
        response = admin.api("PATCH", f"/api/users/{_user_id(admin, 'doc')}", {"role": "viewer"})

        assert "viewer" == response.json()["role"]
