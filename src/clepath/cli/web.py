"""The web app's commands: `clepath serve`, `clepath db upgrade|current`, `clepath user add|list`.

`serve` is what `make run` starts: on a fresh machine it creates the SQLite database, migrates
it, stores the demo patient (the published seed case) and a demo user with a new random
password, and prints how to sign in. On PostgreSQL it starts only on an up-to-date schema
(`clepath db upgrade` first). Database URLs are printed without their password.
"""

from __future__ import annotations

import logging
import logging.config
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer

from clepath.errors import CaseError, FieldProblem
from clepath.settings import Settings

__all__ = ["DEMO_USER", "prepare_database", "register", "seed_demo"]

DEMO_USER = "demo"

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL, e.g. sqlite:///clepath.db or postgresql+psycopg://u:p@host/db "
        "(default: $CLEPATH_DATABASE_URL, else sqlite:///clepath.db).",
        metavar="URL",
    ),
]


def _shown(url: str) -> str:
    """A database URL safe to print (no password)."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def prepare_database(settings: Settings) -> None:
    """Migrate a SQLite database; require an up-to-date schema anywhere else.

    Raises:
        CaseError: naming `--database-url` when a server database needs `clepath db upgrade`.
    """
    from clepath.store import head_revision, is_current, upgrade

    if settings.is_sqlite:
        upgrade(settings.database_url)
        return
    if not is_current(settings.database_url):
        raise CaseError(
            FieldProblem(
                "--database-url",
                _shown(settings.database_url),
                f"is not at the newest schema ({head_revision()})",
                "run `clepath db upgrade` first",
            )
        )


def seed_demo(settings: Settings) -> str | None:
    """On an empty SQLite database, store the seed case and a demo user.

    Returns:
        The demo user's new password, or None when nothing was seeded.
    """
    if not settings.is_sqlite:
        return None
    from clepath.casefile import load_case
    from clepath.cli.common import demo_path
    from clepath.knowledge.loader import load_knowledge
    from clepath.store import Store, make_engine, session_factory

    kb = load_knowledge()
    engine = make_engine(settings.database_url)
    try:
        with Store.open(session_factory(engine), kb) as store:
            if store.users.count() or store.patients.search(limit=1):
                return None
            password = secrets.token_urlsafe(12)
            user = store.users.add(DEMO_USER, password, "clinician")
            patient_id = store.patients.add_case(load_case(demo_path("seed"), kb), by=user)
            store.audit.record(user, "import", "patient", patient_id=patient_id, detail="demo")
            store.commit()
            return password
    finally:
        engine.dispose()


def _sign_in_hint(settings: Settings, password: str | None) -> str:
    url = f"http://{settings.host}:{settings.port}/"
    if password is not None:
        return (
            f"clepath is starting at {url}\n"
            f"Demo: sign in as '{DEMO_USER}' with password '{password}' (printed only now).\n"
            "The demo patient is the published seed case (idoj-2020-ivig-rescue)."
        )
    from clepath.knowledge.loader import load_knowledge
    from clepath.store import Store, make_engine, session_factory

    engine = make_engine(settings.database_url)
    try:
        with Store.open(session_factory(engine), load_knowledge()) as store:
            demo = store.users.by_name(DEMO_USER)
            count = store.users.count()
    finally:
        engine.dispose()
    if count == 0:
        return (
            f"clepath is starting at {url}\n"
            "No user exists yet: add one with `clepath user add NAME --role admin`."
        )
    hint = f"clepath is starting at {url}\nSign in with your clepath username and password."
    if demo is not None:
        hint += (
            f"\nDemo: sign in as '{DEMO_USER}' with the password printed when the demo was made;"
            f" to set a new one: clepath user add {DEMO_USER} --role clinician --update"
        )
    return hint


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    database_url: DatabaseOption = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo", help="On an empty SQLite database, add the demo patient and user."
        ),
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            help="Worker processes. They share the database (sessions, failed sign-ins, CDS "
            "token ids, card rules, feedback) and one secret key.",
        ),
    ] = 1,
) -> None:
    """Start the clinician web app (pages and JSON API)."""
    import gc
    import os

    if workers == 1:
        # No cyclic collection while the app is made in this process (its objects live as
        # long as the process; collecting them meanwhile costs about 0.1 s of CPU at start).
        gc.disable()
    import uvicorn

    from clepath.web import create_app

    settings = Settings.from_env(host=host, port=port, database_url=database_url)
    prepare_database(settings)
    password = seed_demo(settings) if demo else None
    typer.echo(_sign_in_hint(settings, password))
    from clepath.web.logs import log_config

    config = log_config(settings.log_level, settings.log_format)
    logging.config.dictConfig(config)
    options = {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,  # uvicorn's access log shows query strings; clepath.web logs routes
        "log_level": settings.log_level,
        # Applied by uvicorn in every worker process, so each one logs its requests.
        "log_config": config,
        "server_header": False,
        # Idle keep-alive connections stay open longer than clients and proxies keep them
        # (nginx: 60 s), so a client never reuses a connection the server has just closed;
        # that race was the "cut-off responses" seen under steady load (uvicorn's default 5 s).
        "timeout_keep_alive": 75,
    }
    if workers == 1:
        app = create_app(settings, warm_up=True)
        gc.enable()  # turned off at the start of this command
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return
    # Each worker builds the app from the environment: hand it the settings chosen here,
    # including the secret key (a random one would differ per worker and void sessions).
    os.environ.update(
        {
            "CLEPATH_DATABASE_URL": settings.database_url,
            "CLEPATH_HOST": settings.host,
            "CLEPATH_PORT": str(settings.port),
            "CLEPATH_SECRET_KEY": settings.secret_key,
        }
    )
    uvicorn.run(
        "clepath.web.app:app_from_env",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )


def db_upgrade(
    database_url: DatabaseOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database schema to the newest revision."""
    from clepath.store import upgrade

    settings = Settings.from_env(database_url=database_url)
    now = upgrade(settings.database_url, revision)
    typer.echo(f"{_shown(settings.database_url)}: schema at revision {now}")


def db_current(database_url: DatabaseOption = None) -> None:
    """Print the database's schema revision and the newest one."""
    from clepath.store import current_revision, head_revision

    settings = Settings.from_env(database_url=database_url)
    current = current_revision(settings.database_url)
    head = head_revision()
    state = "up to date" if current == head else "needs `clepath db upgrade`"
    typer.echo(f"{_shown(settings.database_url)}: revision {current or 'none'}, newest {head}"
               f" ({state})")


def db_backup(
    path: Annotated[Path, typer.Argument(help="The new backup file (never overwritten).")],
    database_url: DatabaseOption = None,
) -> None:
    """Copy the SQLite database to PATH while the app may keep serving (online backup).
    For PostgreSQL use pg_dump (docs/deploy.md)."""
    from clepath.store.backup import backup

    settings = Settings.from_env(database_url=database_url)
    size = backup(settings.database_url, path)
    typer.echo(f"{_shown(settings.database_url)}: backed up to {path} ({size} bytes)")


def db_restore(
    path: Annotated[Path, typer.Argument(help="A file written by `clepath db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the database's contents are replaced.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Replace the SQLite database by a backup (checked first), then migrate it if older."""
    from clepath.store import upgrade
    from clepath.store.backup import check_backup, restore

    settings = Settings.from_env(database_url=database_url)
    revision = check_backup(path)
    if not yes:
        raise CaseError(FieldProblem("--yes", "missing", "restoring replaces every record",
                                     "repeat the command with --yes"))
    restore(path, settings.database_url)
    now = upgrade(settings.database_url)
    typer.echo(f"{_shown(settings.database_url)}: restored from {path} "
               f"(revision {revision}, now {now})")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


def user_add(
    username: Annotated[str, typer.Argument(help="Lower-case letters, digits, . _ @ -")],
    role: Annotated[
        str, typer.Option(help="viewer (reads), clinician (also writes), admin (also users).")
    ] = "clinician",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    update: Annotated[
        bool, typer.Option("--update", help="Set the password and role of an existing user.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Add a user of the web app (argon2-hashed password), or update one with --update."""
    from clepath.knowledge.loader import load_knowledge
    from clepath.store import Store, make_engine, session_factory

    settings = Settings.from_env(database_url=database_url)
    prepare_database(settings)
    password = _password(password_stdin)
    engine = make_engine(settings.database_url)
    try:
        with Store.open(session_factory(engine), load_knowledge()) as store:
            existing = store.users.by_name(username)
            if existing is not None and update:
                store.users.set_password(existing.id, password)
                store.users.set_role(existing.id, role)
                store.users.set_active(existing.id, True)
                store.logins.end_all(existing.id)
                store.audit.record(None, "update", "user", resource_id=existing.id,
                                   detail="command line", username="(cli)")
                verb = "updated"
            else:
                added = store.users.add(username, password, role)
                store.audit.record(None, "create", "user", resource_id=added.id,
                                   detail="command line", username="(cli)")
                verb = "added"
            store.commit()
    finally:
        engine.dispose()
    typer.echo(f"{verb} user {username.strip().lower()} ({role})")


def user_list(database_url: DatabaseOption = None) -> None:
    """List the users of the web app with their roles."""
    from clepath.knowledge.loader import load_knowledge
    from clepath.store import Store, make_engine, session_factory

    settings = Settings.from_env(database_url=database_url)
    prepare_database(settings)
    engine = make_engine(settings.database_url)
    try:
        with Store.open(session_factory(engine), load_knowledge()) as store:
            users = store.users.all()
    finally:
        engine.dispose()
    for user in users:
        typer.echo(f"{user.username}\t{user.role}\t{'active' if user.active else 'stopped'}")


def register(app: typer.Typer) -> None:
    """Add `serve`, `db` and `user` to the clepath application."""
    app.command("serve")(serve)
    db_app = typer.Typer(
        help="The web app's database: migrations, backup and restore.", no_args_is_help=True
    )
    db_app.command("upgrade")(db_upgrade)
    db_app.command("current")(db_current)
    db_app.command("backup")(db_backup)
    db_app.command("restore")(db_restore)
    app.add_typer(db_app, name="db")
    user_app = typer.Typer(help="Users of the web app.", no_args_is_help=True)
    user_app.command("add")(user_add)
    user_app.command("list")(user_list)
    app.add_typer(user_app, name="user")
