"""The `clepath report` commands: printable documents from the command line.

`clepath report summary CASE --pdf FILE` writes the treatment summary the web app serves at
`/patients/{id}/summary.pdf`: the same `treatment_summary_pdf` of the same assessment and
timeline, so a pharmacist without the web app can print it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clepath.cli.common import DEMO_CASES, knowledge_with, load_case_arg

__all__ = ["register", "report_app"]

report_app = typer.Typer(help="Printable documents (PDF) of a case.", no_args_is_help=True)


@report_app.command("summary")
def summary(
    case: Annotated[Path | None, typer.Argument(help="Case file (YAML or JSON).")] = None,
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="Write the treatment summary (PDF) here.",
                                  metavar="FILE")
    ] = None,
    demo: Annotated[
        str | None,
        typer.Option("--demo", help=f"Use a bundled example case: {', '.join(DEMO_CASES)}.",
                     metavar="NAME"),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a knowledge parameter.", metavar="PACK.PARAM=VALUE"),
    ] = None,
) -> None:
    """Write the treatment summary (the web app's summary.pdf) of a case to a PDF file."""
    from clepath.engine.assess import assess
    from clepath.engine.timeline import build_timeline
    from clepath.errors import CaseError, FieldProblem
    from clepath.report.pdf import treatment_summary_pdf

    if pdf is None:
        raise CaseError(FieldProblem("--pdf", None, "is required", "a file to write, e.g. "
                                     "--pdf summary.pdf"))
    kb = knowledge_with(settings)
    loaded = load_case_arg(case, demo, kb)
    content = treatment_summary_pdf(
        assess(loaded, kb, today=dt.date.today()), timeline=build_timeline(loaded, kb), kb=kb
    )
    pdf.write_bytes(content)
    Console(stderr=True).print(f"Wrote the treatment summary to {pdf}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `report` command group to the clepath application."""
    app.add_typer(report_app, name="report")
