"""Web fixtures: the app on a fresh database (SQLite and PostgreSQL), users of each role,
the two bundled patients, and browsers that sign in and carry their CSRF token."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.web import create_app
from tests.store._backends import database_url, postgres_url, sqlite_template
from tests.store._factory import scle_case, seed_case
from tests.store.conftest import FAST_HASHER

with warnings.catch_warnings():
    # Starlette's test client asks for the httpx2 package; httpx is what is installed.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["Browser", "PASSWORD", "database_url", "postgres_url", "sqlite_template"]

PASSWORD = "correct horse battery staple"
BASE = "http://127.0.0.1"


@dataclass(frozen=True)
class World:
    """The app and the ids of what it was seeded with."""

    app: FastAPI
    seed: int  # idoj-2020-ivig-rescue
    scle: int  # demo-scle-0001


@pytest.fixture
def world(database_url: str, kb: KnowledgeBase) -> Iterator[World]:
    """The app on a fresh database with an admin, a clinician, a viewer and two patients."""
    settings = Settings(database_url=database_url, secret_key="test-secret-key")
    app = create_app(settings, knowledge=kb, password_hasher=FAST_HASHER)
    with app.state.clepath.store() as store:
        store.users.add("admin", PASSWORD, "admin")
        store.users.add("doc", PASSWORD, "clinician")
        store.users.add("viewer", PASSWORD, "viewer")
        seed = store.patients.add_case(seed_case(kb))
        scle = store.patients.add_case(scle_case(kb))
        store.commit()
    try:
        yield World(app, seed, scle)
    finally:
        app.state.clepath.close()


class Browser:
    """A test client that signs in through the sign-in page and sends its CSRF token."""

    def __init__(self, app: FastAPI, base_url: str = BASE) -> None:
        self.client = TestClient(app, base_url=base_url, follow_redirects=False)
        self.csrf = ""

    def sign_in(self, username: str, password: str = PASSWORD) -> Browser:
        """Sign in with the form, as a person would; keep the session's CSRF token."""
        response = self.post_login(username, password)
        assert 303 == response.status_code, response.text
        self.csrf = self.client.get("/api/session").json()["csrf_token"]
        return self

    def post_login(self, username: str, password: str, next_url: str = "/patients") -> Any:
        """Submit the sign-in form (fetching it first for its token)."""
        page = self.client.get("/login")
        token = re.search(r'name="signin_token" value="([^"]+)"', page.text)
        assert token is not None
        return self.client.post("/login", data={
            "username": username, "password": password, "signin_token": token.group(1),
            "next": next_url,
        })

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a page or an API path."""
        return self.client.get(path, **kwargs)

    def submit(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form with the CSRF token."""
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the JSON API with the CSRF header."""
        return self.client.request(method, path, json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
def anonymous(world: World) -> Browser:
    """A browser that has not signed in."""
    return Browser(world.app)


@pytest.fixture
def doc(world: World) -> Browser:
    """A clinician, signed in."""
    return Browser(world.app).sign_in("doc")


@pytest.fixture
def viewer(world: World) -> Browser:
    """A viewer, signed in."""
    return Browser(world.app).sign_in("viewer")


@pytest.fixture
def admin(world: World) -> Browser:
    """An admin, signed in."""
    return Browser(world.app).sign_in("admin")
