"""One web app for the surface tests: its own migrated SQLite file and a signed-in clinician."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.store import upgrade
from clepath.web import create_app
from tests.store.conftest import FAST_HASHER
from tests.surfaces._surfaces import Site
from tests.web.conftest import Browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, kb: KnowledgeBase) -> Iterator[Site]:
    """The web app on a fresh SQLite database, with a clinician signed in."""
    path: Path = tmp_path_factory.mktemp("surfaces") / "clepath.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    app = create_app(Settings(database_url=url, secret_key="surface-tests"), knowledge=kb,
                     password_hasher=FAST_HASHER)
    with app.state.clepath.store() as store:
        store.users.add("doc", "correct horse battery staple", "clinician")
        store.commit()
    try:
        yield Site(app, Browser(app).sign_in("doc"), kb)
    finally:
        app.state.clepath.close()
