"""The `clepath fhir` commands: a case as a FHIR R4 Bundle and back.

`clepath fhir export CASE [-o FILE]` writes the Bundle (validated against the fhir.resources R4B
models and clepath's own checks before it is written); `clepath fhir import BUNDLE [-o CASE.yaml]`
writes a case file. Both print the mapping report (what was local-only, unmapped, derived) on
standard error; `--report FILE` also writes it as JSON. `clepath fhir definitions [-o DIR]`
writes the local CodeSystems and extension StructureDefinitions the exports use, so that a
validator can load them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from clepath.cli.common import DEMO_CASES, knowledge_with, load_case_arg
from clepath.errors import CaseError, ClepathError, FieldProblem

__all__ = ["fhir_app", "register"]

fhir_app = typer.Typer(help="FHIR R4: export a case as a Bundle, import a Bundle as a case.",
                       no_args_is_help=True)

_SHOWN = ("unmapped", "ambiguous", "dropped")


def _print_report(report: Any, what: str) -> None:
    err = Console(stderr=True, highlight=False)
    if report.resources:
        header = report.header()
        outcomes = ", ".join(f"{n} {k}" for k, n in header["by_outcome"].items())
        err.print(f"{what}: {header['resources']} resources: {outcomes}", markup=False)
        for reason, n in header["not_read_by_reason"].items():
            err.print(f"  {n} x not read: {reason}", markup=False)
    counts = report.to_dict()["counts"]
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "nothing to report"
    err.print(f"{what}: {summary}", markup=False)
    for issue in report.issues:
        if issue.kind in _SHOWN:
            err.print(f"  - {issue}", markup=False)


def _write(text: str, output: Path | None, what: str) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8")
    Console(stderr=True, highlight=False).print(f"Wrote {what} to {output}", markup=False)


@fhir_app.command("export")
def export(
    case: Annotated[Path | None, typer.Argument(help="Case file (YAML or JSON).")] = None,
    demo: Annotated[str | None, typer.Option(
        "--demo", help=f"Use a bundled example case: {', '.join(DEMO_CASES)}.",
        metavar="NAME")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the Bundle here.",
                                                metavar="FILE")] = None,
    report_file: Annotated[Path | None, typer.Option(
        "--report", help="Also write the mapping report as JSON.", metavar="FILE")] = None,
    scores: Annotated[bool, typer.Option(help="Include the CLASI/SLEDAI-2K/EULAR-ACR "
                                              "survey Observations.")] = True,
    ivig: Annotated[bool, typer.Option(help="Include the IVIG CarePlan and course "
                                            "MedicationRequests.")] = True,
    settings: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a knowledge parameter.", metavar="PACK.PARAM=VALUE")] = None,
) -> None:
    """Write a case as a FHIR R4 Bundle (JSON), every clinical fact kept."""
    from clepath.fhir.export import case_to_bundle
    from clepath.fhir.validate import validate_bundle

    kb = knowledge_with(settings)
    loaded = load_case_arg(case, demo, kb)
    result = case_to_bundle(loaded, kb, include_scores=scores, include_ivig=ivig)
    issues = validate_bundle(result.bundle, kb)
    if issues:
        raise ClepathError("the exported Bundle failed validation (a bug in clepath):\n"
                           + "\n".join(str(i) for i in issues))
    _write(json.dumps(result.bundle, indent=2, ensure_ascii=False) + "\n", output, "the Bundle")
    if report_file is not None:
        report_file.write_text(json.dumps(result.report.to_dict(), indent=2) + "\n",
                               encoding="utf-8")
    _print_report(result.report, "export")


def _read_bundle(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CaseError(FieldProblem("BUNDLE", str(path), f"cannot be read ({exc.strerror})",
                                     "a readable FHIR JSON file")) from None
    try:
        if path.suffix == ".ndjson":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(FieldProblem("BUNDLE", f"line {exc.lineno}", f"not valid JSON: {exc.msg}",
                                     "a FHIR Bundle or resource in JSON")) from None


@fhir_app.command("import")
def import_(
    bundle: Annotated[Path, typer.Argument(help="FHIR R4 Bundle, resource (JSON) or NDJSON.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the case file "
                                                "(YAML) here.", metavar="CASE.yaml")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Assessment date (YYYY-MM-DD); default: the Bundle's clepath "
                        "assessment date.", metavar="DATE")] = None,
    case_id: Annotated[str | None, typer.Option("--id", help="Case id to use.")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Fail on any invalid element instead of dropping and reporting it.",
    )] = False,
    report_file: Annotated[Path | None, typer.Option(
        "--report", help="Also write the mapping report as JSON.", metavar="FILE")] = None,
) -> None:
    """Read a FHIR R4 Bundle into a clepath case file; report every code it could not map."""
    import yaml

    from clepath.fhir.importer import import_bundle
    from clepath.fhir.validate import validate_bundle

    kb = knowledge_with(None)
    data = _read_bundle(bundle)
    structural = validate_bundle(data, kb) if isinstance(data, dict) else []
    if structural:
        if strict:
            raise CaseError([FieldProblem(i.where, i.rule, i.message) for i in structural])
        err = Console(stderr=True, highlight=False)
        err.print(f"warning: {len(structural)} FHIR validation problem(s); reading what can "
                  "be read:", markup=False)
        for issue in structural[:20]:
            err.print(f"  - {issue}", markup=False)
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise CaseError(FieldProblem("--as-of", as_of, "is not a date", "YYYY-MM-DD")) from None
    case, result = import_bundle(data, kb, as_of=day, case_id=case_id, strict=strict)
    text = yaml.safe_dump(result.data, sort_keys=False, allow_unicode=True, width=100)
    _write(text, output, f"case {case.id!r}")
    if report_file is not None:
        report_file.write_text(json.dumps(result.report.to_dict(), indent=2) + "\n",
                               encoding="utf-8")
    _print_report(result.report, "import")


@fhir_app.command("definitions")
def definitions_(
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write one JSON file per resource into this folder "
        "(default: one Bundle on standard output).", metavar="DIR")] = None,
) -> None:
    """Write clepath's local CodeSystems and extension StructureDefinitions (FHIR R4 JSON)."""
    from clepath.fhir.definitions import definitions, definitions_bundle

    kb = knowledge_with(None)
    if output is None:
        typer.echo(json.dumps(definitions_bundle(kb), indent=2, ensure_ascii=False))
        return
    output.mkdir(parents=True, exist_ok=True)
    resources = definitions(kb)
    for resource in resources:
        path = output / f"{resource['resourceType']}-{resource['id']}.json"
        path.write_text(json.dumps(resource, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    Console(stderr=True, highlight=False).print(
        f"Wrote {len(resources)} definitions to {output}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the `fhir` command group to the clepath application."""
    app.add_typer(fhir_app, name="fhir")
