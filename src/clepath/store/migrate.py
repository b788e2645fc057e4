"""Schema migrations with Alembic, from the scripts shipped inside the package.

`upgrade(url)` brings a database to the newest schema (`clepath db upgrade`); `is_current`
tells the server whether it may start. The scripts live in `clepath/store/migrations/`, so an
installed wheel migrates without a checkout.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from clepath.store.database import make_engine

__all__ = ["alembic_config", "current_revision", "head_revision", "is_current", "upgrade"]


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url` using the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("clepath.store") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Migrate the database at `url` to `revision`; returns the revision now in force."""
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
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at (None: never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def is_current(url: str) -> bool:
    """True when the database is at the newest revision."""
    return current_revision(url) == head_revision()
