"""Schema migrations with Alembic, from the scripts shipped inside the package.

`upgrade(url)` brings a database to the newest schema (`clepath db upgrade`); `is_current`
tells the server whether it may start. The scripts live in `clepath/store/migrations/`, so an
installed wheel migrates without a checkout.

Alembic is loaded only to migrate: a database already at the newest revision (the one the
scripts' `revision`/`down_revision` lines name, read without running them) is recognised with
one query, so a server restart does not load Alembic and its templates.
"""

from __future__ import annotations

import ast
from importlib import resources
from typing import TYPE_CHECKING

from clepath.store import lite

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "current_revision", "head_revision", "is_current", "upgrade"]


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url` using the packaged migration scripts."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("clepath.store") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Migrate the database at `url` to `revision`; returns the revision now in force."""
    if revision == "head":
        head = _scripted_head()
        if head is not None and _stored_revision(url) == head:
            return head  # nothing to do: Alembic is not loaded
    from alembic import command

    from clepath.store.database import make_engine

    engine = make_engine(url, create_directory=True)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
    return current_revision(url)


def head_revision() -> str | None:
    """The newest revision the packaged scripts define."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    from clepath.store.database import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def is_current(url: str) -> bool:
    """True when the database is at the newest revision."""
    return current_revision(url) == head_revision()


def _scripted_head() -> str | None:
    """The newest revision, read from the scripts' module-level `revision` and `down_revision`
    without running them; None unless the scripts form one plain chain (no branch labels,
    dependencies or merges), when Alembic decides."""
    chain: dict[str, str | None] = {}
    for entry in (resources.files("clepath.store") / "migrations" / "versions").iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        values: dict[str, object] = {}
        try:
            body = ast.parse(entry.read_text(encoding="utf-8")).body
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            return None
        for node in body:
            target = (
                node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
            )
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and value is not None:
                try:
                    values[target.id] = ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    values[target.id] = node  # not a literal: not a plain chain
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
            return None
        if values.get("branch_labels") is not None or values.get("depends_on") is not None:
            return None
        chain[revision] = down
    heads = set(chain) - set(chain.values())
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(url: str) -> str | None:
    """The one revision in the database's `alembic_version` table, or None (no such table,
    no database yet, or more than one row). A plain SQLite file is read with the standard
    library's driver (`clepath.store.lite`), without loading SQLAlchemy."""
    path = lite.plain_sqlite_file(url)
    if path is not None:
        return lite.stored_revision(path)
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from clepath.store.database import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    return str(rows[0][0]) if len(rows) == 1 else None
