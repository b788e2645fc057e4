"""Alembic's entry point: migrate the connection it is given (or one to the configured URL).

Read by Alembic only, never imported by clepath. Batch mode lets later scripts alter SQLite
tables, which SQLite's ALTER TABLE cannot do in place.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from clepath.store.database import make_engine
from clepath.store.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    _online()
