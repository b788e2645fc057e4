"""The CARE case-report command: `clepath report care CASE` (or `clepath report-care CASE`).

Registered as `care` inside a `report` command group when one exists, otherwise as the
top-level command `report-care`. Parses, calls `clepath.report.care` and writes Markdown (to
stdout or --out) and, with --pdf, a PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clepath.cli.common import DEMO_CASES, knowledge_with, load_case_arg

__all__ = ["care", "register"]


def care(
    case: Annotated[Path | None, typer.Argument(help="Case file (YAML or JSON).")] = None,
    demo: Annotated[
        str | None,
        typer.Option(
            "--demo", help=f"Use a bundled example: {', '.join(DEMO_CASES)}.", metavar="NAME"
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the Markdown here.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write a PDF here.")] = None,
    include_notes: Annotated[
        bool, typer.Option("--include-notes", help="Include free-text notes (off by default).")
    ] = False,
) -> None:
    """Draft a de-identified CARE case report (Markdown; PDF with --pdf) from a case."""
    from clepath.report.care import build_care_report, care_markdown, care_pdf

    kb = knowledge_with(None)
    loaded = load_case_arg(case, demo, kb)
    report = build_care_report(loaded, kb, include_notes=include_notes)
    text = care_markdown(report)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
    if pdf is not None:
        pdf.write_bytes(care_pdf(report))
        typer.echo(f"wrote {pdf}", err=out is None)


def register(app: typer.Typer) -> None:
    """Add `care` to an existing `report` group, else the top-level command `report-care`."""
    for group in app.registered_groups:
        if group.name == "report" and group.typer_instance is not None:
            group.typer_instance.command("care")(care)
            return
    app.command("report-care")(care)
