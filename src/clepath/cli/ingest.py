"""The `clepath ingest` command: draft case files from a published case report's text.

Reads the text, calls `clepath.ingest.ingest_text` and writes, per patient, a draft case file and
its provenance (or a cohort record); prints what was found and what is left to confirm.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from clepath.cli.common import DEMO_CASES, knowledge_with, load_case_arg
from clepath.errors import CaseError, FieldProblem

__all__ = ["ingest", "register", "similar"]


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseError(
            FieldProblem("REPORT", str(path), f"cannot be read ({exc.strerror})", "a text file")
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(
            FieldProblem("REPORT", str(path), "is not UTF-8 text", "a UTF-8 text file")
        ) from None


def ingest(
    report: Annotated[Path, typer.Argument(help="The case report as plain text (UTF-8).")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the drafts and provenance files.")
    ] = Path("."),
    evidence: Annotated[
        bool,
        typer.Option(
            "--evidence-row",
            help="Also write a candidate evidence-pack row for each patient treated with IVIG.",
        ),
    ] = False,
) -> None:
    """Draft a case file per patient (plus provenance) from a published case report's text."""
    from clepath.ingest import ingest_text, write_outputs

    text = _read_text(report)
    if not text.strip():
        raise CaseError(FieldProblem("REPORT", str(report), "is empty", "a case report's text"))
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", report.stem).strip("-") or "report"
    kb = knowledge_with(None)
    result = ingest_text(text, kb, name)
    written = write_outputs(result, out, evidence=evidence, kb=kb)
    extraction = result.extraction
    typer.echo(
        f"{report}: {len(extraction.patients)} patient draft(s), "
        f"{len(extraction.cohorts)} cohort record(s); knowledge "
        + ", ".join(f"{k}@{v}" for k, v in result.knowledge.items())
    )
    for draft in extraction.patients:
        therapies = draft.case.get("therapies", [])
        failed = [t["drug"] for t in therapies if t.get("outcome") == "failed"]
        open_fields = [u["field"] for u in draft.unresolved]
        typer.echo(
            f"  {draft.label}: {len(draft.fields)} fields with provenance, "
            f"{len(draft.case.get('labs', []))} labs, {len(therapies)} therapy courses"
            + (f" (failed: {', '.join(failed)})" if failed else "")
        )
        typer.echo(f"    to confirm ({len(open_fields)}): {', '.join(open_fields)}")
        for problem in result.problems.get(draft.number, []):
            typer.echo(f"    check: {problem['field']}: {problem['message']}")
    for cohort in extraction.cohorts:
        typer.echo(f"  cohort: {cohort['n']} {cohort['unit']} ({cohort['text']!r}); no case file")
    if not extraction.patients and not extraction.cohorts:
        typer.echo("  no patient story found; nothing drafted")
    for path in written:
        typer.echo(f"  wrote {path}")
    typer.echo("Drafts are unconfirmed: check each field against the report before use.")


def similar(
    case: Annotated[Path | None, typer.Argument(help="Case file (YAML or JSON).")] = None,
    demo: Annotated[
        str | None,
        typer.Option(
            "--demo", help=f"Use a bundled example: {', '.join(DEMO_CASES)}.", metavar="NAME"
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many reports to list.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """List published IVIG case reports similar to a case (subtype, failed drugs, rescue agent)."""
    import dataclasses
    import json

    from clepath.ingest.similar import similar_cases

    if limit < 1:
        raise CaseError(FieldProblem("--limit", limit, "must be at least 1", "a whole number"))
    kb = knowledge_with(None)
    loaded = load_case_arg(case, demo, kb)
    found = similar_cases(loaded, kb, limit=limit)
    versions = {k: v for k, v in kb.versions().items() if k == "evidence"}
    if as_json:
        typer.echo(
            json.dumps(
                {"knowledge": kb.versions(), "similar": [dataclasses.asdict(s) for s in found]},
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    typer.echo(
        f"Similar published cases (evidence@{versions.get('evidence', '?')}; "
        "a reading aid, not a measure of evidence):"
    )
    if not found:
        typer.echo("  none share the subtype, the failed drugs or the rescue agent")
    for item in found:
        typer.echo(f"- {item.citation}  [score {item.score:g}; response {item.response}]")
        for reason in item.reasons:
            typer.echo(f"    • {reason}")
        typer.echo(f"    regimen: {item.regimen}")


def register(app: typer.Typer) -> None:
    """Add the `ingest` and `similar` commands to the clepath application."""
    app.command("ingest")(ingest)
    app.command("similar")(similar)
