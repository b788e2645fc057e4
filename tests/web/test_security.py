"""Security: every route but sign-in refuses anonymous requests; every write needs the CSRF
token; roles hold; cookies are HttpOnly, SameSite=Lax and Secure off loopback; sign-in pauses
after repeated failures; pages load nothing from other sites."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from clepath.store import case_to_data
from tests.web.conftest import PASSWORD, Browser, World

# Routes anyone may call: signing in, the health check, the API description and the site icon.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/api/session"),
          ("GET", "/api/health"), ("GET", "/api/openapi.json"), ("GET", "/"),
          ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/favicon.ico")}
# CDS Hooks endpoints check the EHR's signed JWT, not the session (tested in tests/cds).
CDS_PREFIX = "/cds-services"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def api_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """(path, route) of every APIRoute, also inside included routers.

    FastAPI 0.16x keeps an included router as one `_IncludedRouter` entry of `app.routes`
    (its `original_router` holds the routes), so the walk descends into it.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from api_routes(inner.routes, prefix + (getattr(context, "prefix", "") or ""))


def _routes(world: World) -> list[tuple[str, str]]:
    """Every (method, path) of the app, with path parameters filled in."""
    out = []
    for full_path, route in api_routes(world.app.routes):
        if full_path.startswith(CDS_PREFIX):
            continue
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            path = re.sub(r"\{(\w+)\}", lambda m: str(world.seed) if m.group(1) == "patient_id"
                          else "1", full_path)
            out.append((method, path))
    return out


def _snapshot(world: World) -> tuple[Any, ...]:
    with world.app.state.clepath.store() as store:
        cases = [case_to_data(store.patients.load(i)) for i in (world.seed, world.scle)]  # type: ignore[arg-type]
        users = [(u.username, u.role, u.active) for u in store.users.all()]
        kept = store.assessments.for_patient(world.seed)
        return cases, users, kept


class TestAnonymous:
    def test_every_route_refuses_anonymous_requests(self, world: World, anonymous: Browser) -> (
        None
    ):
        """Each non-public route answers 401 (API) or 303 to the sign-in page (pages)."""
        wrong = []
        routes = [r for r in _routes(world) if r not in PUBLIC]
        for method, path in routes:
            response = anonymous.client.request(method, path)
            if path.startswith("/api/"):
                ok = response.status_code == 401
            else:
                ok = response.status_code == 303 and response.headers["location"].startswith(
                    "/login"
                )
            if not ok:
                wrong.append((method, path, response.status_code))

        assert ([], True) == (wrong, len(routes) > 60)

    def test_patient_routes_are_all_covered(self, world: World) -> None:
        """The walk includes every patient route of the app (pages and API)."""
        patient_routes = [p for _, p in _routes(world) if f"/patients/{world.seed}" in p]

        assert len(patient_routes) >= 40

    def test_sign_in_returns_to_the_page_asked_for(
        self, world: World, anonymous: Browser
    ) -> None:
        """A page visited before signing in is where the sign-in leads."""
        first = anonymous.get(f"/patients/{world.seed}/labs")
        response = anonymous.post_login("doc", PASSWORD, next_url=f"/patients/{world.seed}/labs")

        assert (f"/login?next=/patients/{world.seed}/labs", f"/patients/{world.seed}/labs") == (
            first.headers["location"], response.headers["location"]
        )

    def test_next_never_leaves_the_site(self, anonymous: Browser) -> None:
        """`next=//evil.example` signs in to the patient list instead."""
        response = anonymous.post_login("doc", PASSWORD, next_url="//evil.example/x")

        assert "/patients" == response.headers["location"]


class TestCsrf:
    def test_every_write_needs_the_token(self, world: World, admin: Browser) -> None:
        """Signed in as an admin, every write without the token is 403 and changes nothing."""
        before = _snapshot(world)
        wrong = []
        for method, path in _routes(world):
            if method not in UNSAFE or (method, path) in PUBLIC:
                continue
            response = admin.client.request(method, path, data={"x": "1"})
            if response.status_code != 403:
                wrong.append((method, path, response.status_code))

        assert ([], before) == (wrong, _snapshot(world))

    def test_a_wrong_token_is_refused(self, world: World, doc: Browser) -> None:
        """Another value than the session's own is refused."""
        response = doc.client.post(f"/patients/{world.seed}/labs",
                                   data={"csrf_token": "guess", "test": "c3"})

        assert 403 == response.status_code

    def test_sign_in_form_needs_its_token(self, anonymous: Browser) -> None:
        """A sign-in posted without the form's token (a cross-site form) is refused."""
        response = anonymous.client.post("/login", data={"username": "doc", "password": PASSWORD})

        assert (403, None) == (response.status_code, response.cookies.get("clepath_session"))


class TestRoles:
    def test_viewer_reads_but_cannot_write(self, world: World, viewer: Browser) -> None:
        """A viewer sees the patient page; adding a lab by form or API is 403."""
        page = viewer.get(f"/patients/{world.seed}")
        form = viewer.submit(f"/patients/{world.seed}/labs", {"test": "c3"})
        api = viewer.api("POST", f"/api/patients/{world.seed}/labs", {"test": "c3"})

        assert (200, 403, 403) == (page.status_code, form.status_code, api.status_code)

    def test_viewer_sees_no_edit_forms(self, world: World, viewer: Browser) -> None:
        """The labs page shows a viewer no form to add a result."""
        page = viewer.get(f"/patients/{world.seed}/labs")

        assert "Add a result" not in page.text

    def test_only_admins_manage_users(self, doc: Browser, admin: Browser) -> None:
        """The users page is 403 for a clinician and 200 for an admin."""
        assert (403, 403, 200) == (
            doc.get("/users").status_code, doc.get("/api/users").status_code,
            admin.get("/users").status_code,
        )


class TestCookies:
    def test_session_cookie_flags_on_loopback(self, doc: Browser, world: World) -> None:
        """Over plain HTTP on 127.0.0.1 the cookie is HttpOnly and SameSite=Lax, not Secure."""
        response = Browser(world.app).post_login("doc", PASSWORD)
        cookie = response.headers["set-cookie"].lower()

        assert (True, True, False) == (
            "httponly" in cookie, "samesite=lax" in cookie, "secure" in cookie
        )

    @pytest.mark.parametrize("base", ["https://clepath.example", "http://clepath.example"])
    def test_session_cookie_is_secure_elsewhere(self, world: World, base: str) -> None:
        """Over HTTPS, or on a non-loopback host, the session cookie is Secure."""
        browser = Browser(world.app, base_url=base)

        response = browser.post_login("doc", PASSWORD)

        assert "secure" in response.headers["set-cookie"].lower()

    def test_sign_out_ends_the_session(self, world: World, doc: Browser) -> None:
        """After signing out, the old cookie opens nothing."""
        token = doc.client.cookies.get("clepath_session")
        doc.submit("/logout")
        stale = Browser(world.app)
        stale.client.cookies.set("clepath_session", token or "")

        assert 303 == stale.get("/patients").status_code

    def test_signing_in_replaces_the_old_session(self, world: World, doc: Browser) -> None:
        """A second sign-in in the same browser makes the first session's token useless."""
        first = doc.client.cookies.get("clepath_session")
        doc.sign_in("doc")
        stale = Browser(world.app)
        stale.client.cookies.set("clepath_session", first or "")

        assert (303, 200) == (stale.get("/patients").status_code,
                              doc.get("/patients").status_code)


class TestSignInThrottle:
    def test_repeated_failures_pause_sign_in(self, anonymous: Browser) -> None:
        """Five wrong passwords: 401 each; the sixth try, even the right one, is 429."""
        codes = [anonymous.post_login("doc", "wrong password!").status_code for _ in range(5)]
        paused = anonymous.post_login("doc", PASSWORD)

        assert ([401] * 5, 429, True) == (codes, paused.status_code, "wait" in paused.text)

    def test_failure_message_does_not_say_which_was_wrong(self, anonymous: Browser) -> None:
        """An unknown name and a wrong password get the same message."""
        unknown = anonymous.post_login("nobody", PASSWORD)
        wrong = anonymous.post_login("doc", "wrong password!")

        assert ("The username or password is not right." in unknown.text
                and "The username or password is not right." in wrong.text)


class TestHeaders:
    def test_security_headers(self, world: World, doc: Browser) -> None:
        """Patient pages are not cached, not framed, and may load scripts only from clepath."""
        headers = doc.get(f"/patients/{world.seed}").headers

        assert ("no-store", "DENY", "nosniff", "no-referrer", True) == (
            headers["cache-control"], headers["x-frame-options"],
            headers["x-content-type-options"], headers["referrer-policy"],
            "script-src 'self'" in headers["content-security-policy"],
        )

    def test_every_asset_is_local(self, world: World, doc: Browser) -> None:
        """No page links a script or stylesheet from another site, and the assets are served."""
        pages = [f"/patients/{world.seed}", f"/patients/{world.seed}/clasi/new", "/patients"]
        assets = set()
        for path in pages:
            text = doc.get(path).text
            assets |= set(re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', text))

        assert ([], [200] * len(assets)) == (
            [a for a in assets if not a.startswith("/static/")],
            [doc.get(a).status_code for a in sorted(assets)],
        )

    def test_interactive_docs_are_off(self, anonymous: Browser) -> None:
        """The CDN-backed Swagger page is not served; the OpenAPI JSON is."""
        assert (404, 200) == (anonymous.get("/docs").status_code,
                              anonymous.get("/api/openapi.json").status_code)
