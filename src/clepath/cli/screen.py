"""`clepath screen` (population screening of a FHIR Bulk Data export) and
`clepath generate cohort` (a synthetic CLE cohort export with planted patients)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from clepath.cli.common import knowledge_with
from clepath.errors import CaseError, FieldProblem

__all__ = ["register"]

generate_app = typer.Typer(help="Generate synthetic data.", no_args_is_help=True)


def _date(option: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CaseError(FieldProblem(option, text, "is not a date", "YYYY-MM-DD")) from None


def screen(
    export_dir: Annotated[Path, typer.Argument(help="Bulk Data export folder (NDJSON).")],
    as_of: Annotated[str, typer.Option("--as-of", help="Screening date, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    engine: Annotated[str, typer.Option(
        "--engine", help="duckdb (embedded, the default) or spark (PySpark).")] = "duckdb",
    master: Annotated[str, typer.Option(
        "--master", help="Spark master URL for --engine spark.")] = "local[2]",
    since: Annotated[str | None, typer.Option(
        "--since", help="EXPORT_DIR is an incremental export since this date: apply it on top "
        "of the exports recorded in OUT/state.json.")] = None,
    settings: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a parameter, e.g. --set screening.min_cell_count=5",
        metavar="PACK.PARAM=VALUE")] = None,
) -> None:
    """Screen a FHIR Bulk Data export: flags per patient and rule, Groups, counts, report."""
    from clepath.cohort.output import write_outputs
    from clepath.cohort.screen import run_screen

    day = _date("--as-of", as_of)
    assert day is not None
    since_day = _date("--since", since)
    if engine not in ("duckdb", "spark"):
        raise CaseError(FieldProblem("--engine", engine, "is not a screening engine",
                                     "duckdb or spark"))
    if engine == "spark":
        import importlib.util
        import shutil

        if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
            raise CaseError(FieldProblem("--engine", engine, "needs pyspark and a Java runtime",
                                         "pip install 'clepath[spark]' and a JRE 17+, or duckdb"))
    kb = knowledge_with(settings)
    state_path = out / "state.json"
    exports = [export_dir.resolve()]
    if since_day is not None:
        if not state_path.exists():
            raise CaseError(FieldProblem("--since", since, "needs a kept state",
                                         f"a first full run into {out} (it writes state.json)"))
        kept = orjson.loads(state_path.read_bytes())
        exports = [Path(p) for p in kept["exports"] if Path(p) != exports[0]] + exports
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("reading", total=None)
        result = run_screen(exports, kb, day, engine=engine, master=master,
                            progress=lambda s: bar.update(task, description=s))
    paths = write_outputs(result, kb, out)
    state_path.write_bytes(orjson.dumps({"exports": [str(p) for p in exports],
                                         "as_of": day.isoformat()}))
    console.print(f"[bold]clepath screen[/] as of {day}: {result.files} files, "
                  f"{sum(result.resources.values())} resources, {len(result.bad_lines)} bad "
                  f"lines, {result.deleted} deletions, {result.seconds:.1f} s", highlight=False)
    if result.not_read:
        console.print("  not read (no screening view uses them; read for flagged patients "
                      f"only): {', '.join(result.not_read)}", highlight=False)
    for bad in result.bad_lines[:10]:
        console.print(f"  bad line {bad.file}:{bad.line}: {bad.reason}", markup=False,
                      highlight=False)
    for rule, found in sorted(result.candidates.items()):
        kept_n = sum(1 for f in result.flags if f.rule == rule)
        console.print(f"  {rule}: {kept_n} patients flagged ({found} by SQL, "
                      f"{found - kept_n} not confirmed by the engine)", highlight=False)
    console.print("knowledge: " + ", ".join(f"{k}@{v}" for k, v in
                                            sorted(result.knowledge.items())), highlight=False)
    typer.echo(f"wrote {', '.join(str(p) for p in paths.values())}")


@generate_app.command("cohort")
def generate_cohort_command(
    patients: Annotated[int, typer.Option("--patients", help="Number of patients.", min=1)],
    out: Annotated[Path, typer.Option("--out", help="Export folder to write.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    as_of: Annotated[str, typer.Option("--as-of", help="Reference date of the cohort.")]
    = "2025-06-30",
    plant_every: Annotated[int, typer.Option(
        "--plant-every", min=1, help="Plant one block of cases every N blocks of 8 patients.")]
    = 5,
    gzip_files: Annotated[bool, typer.Option("--gzip", help="Write .ndjson.gz files.")] = False,
) -> None:
    """Write a synthetic CLE cohort as a Bulk Data export, with ground_truth.csv."""
    from clepath.cohort.generate import generate_cohort

    day = _date("--as-of", as_of)
    assert day is not None
    console = Console(stderr=True)
    with Progress(TextColumn("patients"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("patients", total=patients)
        counts = generate_cohort(out, patients, seed=seed, as_of=day, plant_every=plant_every,
                                 gzip_files=gzip_files,
                                 progress=lambda n: bar.advance(task, n))
    typer.echo(f"wrote {sum(counts.values())} resources for {patients} patients to {out} "
               f"(seed {seed}, as of {day}; planted cases in ground_truth.csv)")


def register(app: typer.Typer) -> None:
    """Add `screen` and `generate` to the main CLI."""
    app.command("screen")(screen)
    app.add_typer(generate_app, name="generate")
