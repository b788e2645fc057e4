"""Entry point of the `clepath` command."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from clepath import __version__
from clepath.cli.common import DEMO_CASES, demo_path, knowledge_with, load_case_arg
from clepath.domain.case import Case
from clepath.errors import CaseError, ClepathError, KnowledgeError

__all__ = ["app", "main"]  # noqa: F822 - `app` comes from the module's __getattr__

# The application; `app` (module attribute) is this with every command group registered.
_app = typer.Typer(
    name="clepath",
    help="Decision support for cutaneous lupus erythematosus (it never decides alone).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
knowledge_app = typer.Typer(help="Inspect the knowledge packs.", no_args_is_help=True)
_app.add_typer(knowledge_app, name="knowledge")

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a knowledge parameter, e.g. --set glucocorticoids.deflazacort_ratio=1.3",
        metavar="PACK.PARAM=VALUE",
    ),
]
DemoOption = Annotated[
    str | None,
    typer.Option(
        "--demo",
        help=f"Use a bundled example case: {', '.join(DEMO_CASES)}.",
        metavar="NAME",
    ),
]


@_app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        typer.echo(f"clepath {__version__}")
        raise typer.Exit()


@_app.command()
def assess(
    case: Annotated[Path | None, typer.Argument(help="Case file (YAML or JSON).")] = None,
    demo: DemoOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    sledai_window: Annotated[
        int, typer.Option("--sledai-window", help="SLEDAI-2K look-back in days: 10 or 30.")
    ] = 10,
    settings: SetOption = None,
) -> None:
    """Assess a case: scores, labs, therapy history, refractoriness, options and alerts."""
    from clepath.engine.assess import assess as run_assessment

    if sledai_window not in (10, 30):
        raise CaseError(
            _problem("--sledai-window", sledai_window, "is not a supported window", "10 or 30")
        )
    kb = knowledge_with(settings)
    loaded = load_case_arg(case, demo, kb)
    today = dt.date.today()
    _warn_future_dates(loaded, today)
    result = run_assessment(loaded, kb, sledai_window_days=sledai_window, today=today)
    from clepath.report.similar import assessment_similar

    similar = assessment_similar(loaded, kb)
    if as_json:
        from clepath.report.assessment_json import assessment_to_json

        document = assessment_to_json(result, similar)
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    from clepath.report.assessment_terminal import render_assessment

    render_assessment(result, Console(), similar)


@_app.command()
def validate(
    case: Annotated[Path, typer.Argument(help="Case file (YAML or JSON).")],
) -> None:
    """Check a case file; print every problem with its field, value and accepted form."""
    from clepath.casefile import load_case

    kb = knowledge_with(None)
    loaded = load_case(case, kb)
    _warn_future_dates(loaded, dt.date.today())
    typer.echo(
        f"{case}: valid case {loaded.id!r} as of {loaded.as_of.isoformat()} "
        f"({len(loaded.findings)} findings, {len(loaded.labs)} labs, "
        f"{len(loaded.clasi)} CLASI exams, {len(loaded.therapies)} therapy courses)"
    )


@_app.command()
def example(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(DEMO_CASES)}.")] = "seed",
) -> None:
    """Print a bundled example case file (a starting point for your own)."""
    typer.echo(demo_path(name).read_text(encoding="utf-8"), nl=False)


@knowledge_app.command("list")
def knowledge_list() -> None:
    """List the loaded knowledge packs with their versions and status."""
    kb = knowledge_with(None)
    for pack_id, pack in sorted(kb.packs.items()):
        m = pack.manifest
        rows = sum(len(t) for t in pack.tables.values())
        typer.echo(f"{pack_id}@{m.version}\t{m.status}\t{rows} rows\t{m.title}")


@knowledge_app.command("parameters")
def knowledge_parameters() -> None:
    """List every configurable parameter, its default and whether it is unconfirmed."""
    kb = knowledge_with(None)
    for key, row in sorted(kb.parameters().items()):
        flag = "  [unconfirmed default]" if row.unconfirmed else ""
        unit = f" {row.unit}" if row.unit else ""
        typer.echo(f"{key} = {row.value}{unit}{flag}\n    {row.description}")


@knowledge_app.command("sources")
def knowledge_sources(pack: Annotated[str, typer.Argument(help="Pack id.")]) -> None:
    """List the sources a pack cites."""
    kb = knowledge_with(None)
    for source in kb.pack(pack).manifest.sources:
        link = source.url or (f"doi:{source.doi}" if source.doi else "")
        typer.echo(f"[{source.id}] {source.citation} {link}".rstrip())


def _warn_future_dates(case: Case, today: dt.date) -> None:
    """One warning line on stderr per date of the case after today (issue 9 item 5)."""
    from clepath.domain.future import future_dates

    for found in future_dates(case, today):
        typer.echo(f"warning: {found}: check the date", err=True)


def _problem(field: str, value: object, message: str, accepted: str) -> object:
    from clepath.errors import FieldProblem

    return FieldProblem(field, value, message, accepted)


# The command modules and the command words each adds. A command line whose first word is a
# command of this module, or of one command module, loads only what it runs (a faster cold
# start); any other line (`clepath --help`, a misspelt command) loads them all.
_PLUGINS = ("ivig", "report", "fhir", "cds", "web", "ingest", "care", "screen")
_CORE_COMMANDS = frozenset({"assess", "validate", "example", "knowledge"})
_PLUGIN_COMMANDS = {
    "ivig": ("ivig",),
    "report": ("report", "care"),  # `care` adds `report care`
    "fhir": ("fhir",),
    "cds": ("cds",),
    "serve": ("web",),
    "db": ("web",),
    "user": ("web",),
    "ingest": ("ingest",),
    "similar": ("ingest",),
    "screen": ("screen",),
    "generate": ("screen",),
}
_registered: set[str] = set()


def _register_plugins(names: tuple[str, ...] = _PLUGINS) -> None:
    """Command groups that live in their own modules (IVIG, reports, FHIR, CDS Hooks, web, ingest,
    care, screening), each once, in the order of `_PLUGINS`."""
    import importlib
    import importlib.util

    for name in _PLUGINS:
        if name not in names or name in _registered:
            continue
        _registered.add(name)
        module_name = f"clepath.cli.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(_app)


def __getattr__(name: str) -> Any:
    """`app`: the whole application, every command group registered."""
    if name == "app":
        _register_plugins()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _plugins_for(args: list[str]) -> tuple[str, ...]:
    """The command modules a command line needs (by its first word)."""
    first = args[0] if args else ""
    if first in _CORE_COMMANDS:
        return ()
    return _PLUGIN_COMMANDS.get(first, _PLUGINS)


def _click_exception(exc: Exception) -> Any:
    """The exception as a click exception (usage errors exit 2), whichever click raised it.

    typer vendors its own copy of click; `clepath report` or an unknown option raise that
    copy's UsageError, which the plain `click` package does not recognise.
    """
    import click

    kinds: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as VendoredClickException

        kinds.append(VendoredClickException)
    except ImportError:  # typer without a vendored click
        pass
    return exc if isinstance(exc, tuple(kinds)) else None


class _ErrorConsole:
    """Rich's console on standard error, made (and rich imported) only when there is an error
    to print: a server started from the command line need not load rich."""

    def print(self, *objects: Any, **options: Any) -> None:
        from rich.console import Console

        Console(stderr=True).print(*objects, **options)


def main() -> None:
    """Run the CLI; turn clepath's errors into messages and exit codes, never tracebacks."""
    err = _ErrorConsole()
    _register_plugins(_plugins_for(sys.argv[1:]))
    try:
        _app(standalone_mode=False)
    except CaseError as exc:
        err.print(f"[bold red]invalid input[/] ({len(exc.problems)} problem(s)):")
        for problem in exc.problems:
            err.print(f"  • {problem}", markup=False, highlight=False)
        sys.exit(1)
    except KnowledgeError as exc:
        err.print(f"[bold red]knowledge error:[/] {exc}", highlight=False)
        sys.exit(3)
    except ClepathError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(4)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        usage = _click_exception(exc)
        if usage is not None:
            usage.show()
            sys.exit(usage.exit_code)
        if os.environ.get("CLEPATH_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in clepath; rerun with CLEPATH_DEBUG=1 for details.",
            highlight=False,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
