"""The `clepath ivig` command: plan an IVIG course for a case (terminal, --json, --ics,
--letter).

Parses the options, calls `clepath.engine.ivig.plan_for_case` and renders; bad input raises a
CaseError naming the option, which `clepath.cli.main.main` turns into a message and exit code.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clepath.cli.common import DEMO_CASES, knowledge_with, load_case_arg
from clepath.domain.units import UnitProblem, parse_quantity_text
from clepath.errors import CaseError, FieldProblem

__all__ = ["parse_date", "parse_dose_per_kg", "parse_interval_days", "register"]

_DOSE_FORM = "a dose per kg of dosing weight, e.g. '2 g/kg' or '400 mg/kg'"
_INTERVAL_FORM = "an interval, e.g. '4 weeks' or '28 days'"


def parse_dose_per_kg(option: str, text: str | None) -> float | None:
    """'2 g/kg' or '400 mg/kg' as grams per kg; None when not given."""
    if text is None:
        return None
    try:
        value = parse_quantity_text(text).to("g/kg")
    except UnitProblem as exc:
        raise CaseError(FieldProblem(option, text, str(exc), _DOSE_FORM)) from exc
    if value <= 0:
        raise CaseError(FieldProblem(option, text, "must be positive", _DOSE_FORM))
    return value


def parse_interval_days(option: str, text: str | None) -> int | None:
    """'4 weeks', '28 days' or '1 month' as whole days; None when not given."""
    if text is None:
        return None
    try:
        days = parse_quantity_text(text).to("d")
    except UnitProblem as exc:
        raise CaseError(FieldProblem(option, text, str(exc), _INTERVAL_FORM)) from exc
    if not math.isfinite(days):
        raise CaseError(FieldProblem(option, text, "is not a finite interval", _INTERVAL_FORM))
    whole = round(days)
    if whole < 1:
        raise CaseError(FieldProblem(option, text, "is shorter than a day", _INTERVAL_FORM))
    if whole > 366:
        raise CaseError(FieldProblem(option, text, "is longer than a year", _INTERVAL_FORM))
    return whole


def parse_date(
    option: str, text: str | None, years: tuple[int, int] = (1900, 2100)
) -> dt.date | None:
    """An ISO date (YYYY-MM-DD) within `years`; None when not given."""
    if text is None:
        return None
    try:
        value = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CaseError(FieldProblem(option, text, "is not a date", "YYYY-MM-DD")) from exc
    if not years[0] <= value.year <= years[1]:
        raise CaseError(
            FieldProblem(option, text, f"is outside the years {years[0]}-{years[1]}",
                         f"YYYY-MM-DD in {years[0]}-{years[1]}")
        )
    return value


def _at_most(option: str, value: int | None, high: int) -> None:
    if value is not None and value > high:
        raise CaseError(FieldProblem(option, value, f"is more than {high}", f"1 to {high}"))


def _positive(option: str, value: int | float | None) -> None:
    if value is not None and value <= 0:
        raise CaseError(FieldProblem(option, value, "must be positive", "a positive number"))


def ivig(
    case: Annotated[Path | None, typer.Argument(help="Case file (YAML or JSON).")] = None,
    demo: Annotated[
        str | None,
        typer.Option("--demo", help=f"Use a bundled example case: {', '.join(DEMO_CASES)}.",
                     metavar="NAME"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ics: Annotated[
        Path | None, typer.Option("--ics", help="Write the infusion days as iCalendar.",
                                  metavar="FILE")
    ] = None,
    letter: Annotated[
        Path | None, typer.Option("--letter", help="Write the prior-authorisation letter (PDF).",
                                  metavar="FILE")
    ] = None,
    product: Annotated[str | None, typer.Option(help="IVIG product, e.g. Privigen.")] = None,
    policy: Annotated[
        str | None,
        typer.Option(help="Dosing-weight policy: UK_DDW, US_120, AU_2026, ONTARIO, ACTUAL."),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(help="Regimen preset: cle_motivating_case, cle_ky_2015, "
                          "cle_goodfield_lowdose, cle_highdose_monthly, dm_label_analog; "
                          "outside CLE, for reference: sjs_ten_yang_2009, sjs_ten_trent_2003."),
    ] = None,
    induction_dose: Annotated[
        str | None, typer.Option(help="Induction dose per kg, e.g. '2 g/kg'.", metavar="DOSE")
    ] = None,
    induction_days: Annotated[
        int | None, typer.Option(help="Days to divide the induction over (2-5).")
    ] = None,
    maintenance_dose: Annotated[
        str | None, typer.Option(help="Maintenance dose per kg, e.g. '1 g/kg'.", metavar="DOSE")
    ] = None,
    every: Annotated[
        str | None, typer.Option(help="Maintenance interval, e.g. '4 weeks'.", metavar="INTERVAL")
    ] = None,
    cycles: Annotated[int | None, typer.Option(help="Number of maintenance courses.")] = None,
    start: Annotated[
        str | None, typer.Option(help="First infusion day (YYYY-MM-DD).", metavar="DATE")
    ] = None,
    rounding_step: Annotated[
        float | None,
        typer.Option(help="Round each course total to this many grams (default 5).",
                     metavar="G"),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a knowledge parameter, e.g. "
                                   "--set ivig.adjustment_factor=0.3",
                     metavar="PACK.PARAM=VALUE"),
    ] = None,
) -> None:
    """Plan an IVIG course: dosing weight, grams and vials per day, infusion times, safety gate."""
    from clepath.engine.ivig import plan_for_case

    _positive("--induction-days", induction_days)
    _positive("--cycles", cycles)
    _positive("--rounding-step", rounding_step)
    _at_most("--induction-days", induction_days, 10)
    _at_most("--cycles", cycles, 60)
    kb = knowledge_with(settings)
    years = (
        (
            int(kb.parameter("plausibility.earliest_year").value),
            int(kb.parameter("plausibility.latest_year").value),
        )
        if "plausibility" in kb.packs
        else (1900, 2100)
    )
    loaded = load_case_arg(case, demo, kb)
    report = plan_for_case(
        loaded,
        kb,
        product=product,
        policy=policy,
        preset=preset,
        induction_dose_g_per_kg=parse_dose_per_kg("--induction-dose", induction_dose),
        induction_days=induction_days,
        maintenance_dose_g_per_kg=parse_dose_per_kg("--maintenance-dose", maintenance_dose),
        maintenance_every_days=parse_interval_days("--every", every),
        maintenance_cycles=cycles,
        start=parse_date("--start", start, years),
        rounding_step_g=rounding_step,
    )
    if ics is not None:
        from clepath.report.ivig import ivig_to_ics

        ics.write_bytes(ivig_to_ics(report))
        Console(stderr=True).print(f"Wrote the infusion days to {ics}", highlight=False)
    if letter is not None:
        from clepath.engine.assess import assess
        from clepath.report.pdf import ivig_prior_auth_pdf

        letter.write_bytes(
            ivig_prior_auth_pdf(assess(loaded, kb, today=dt.date.today()), report, kb=kb)
        )
        Console(stderr=True).print(f"Wrote the prior-authorisation letter to {letter}",
                                   highlight=False)
    if as_json:
        from clepath.report.ivig import ivig_to_json

        typer.echo(json.dumps(ivig_to_json(report), indent=2, ensure_ascii=False))
        return
    from clepath.report.ivig import render_ivig

    render_ivig(report, Console())


def register(app: typer.Typer) -> None:
    """Add the `ivig` command to the clepath application."""
    app.command("ivig")(ivig)
