"""The `clepath ivig` command: options, outputs and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clepath.cli.ivig import parse_date, parse_dose_per_kg, parse_interval_days, register
from clepath.errors import CaseError
from tests.conftest import SCLE_CASE, SEED_CASE


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """A Typer application holding only the ivig command."""
    application = typer.Typer()
    register(application)

    @application.callback()
    def _root() -> None:  # keeps `ivig` a sub-command
        """Test root."""

    return application


def _run(app: typer.Typer, *args: str) -> object:
    return CliRunner().invoke(app, ["ivig", *args])


class TestParsing:
    def test_dose_strings(self) -> None:
        """'2 g/kg', '2g/kg' and '400 mg/kg' are read in grams per kg."""
        assert (2.0, 2.0, 0.4) == (
            parse_dose_per_kg("--x", "2 g/kg"), parse_dose_per_kg("--x", "2g/kg"),
            round(parse_dose_per_kg("--x", "400 mg/kg"), 9),  # type: ignore[arg-type]
        )

    def test_interval_strings(self) -> None:
        """'4 weeks', '4weeks' and '28 days' are 28 days."""
        assert (28, 28, 28) == (
            parse_interval_days("--every", "4 weeks"), parse_interval_days("--every", "4weeks"),
            parse_interval_days("--every", "28 days"),
        )

    @pytest.mark.parametrize(
        ("func", "text"),
        [(parse_dose_per_kg, "2 kg"), (parse_dose_per_kg, "2"), (parse_interval_days, "4"),
         (parse_date, "03/06/2019")],
    )
    def test_bad_values_name_the_option(self, func, text: str) -> None:  # type: ignore[no-untyped-def]
        """A value in the wrong unit or form is a CaseError naming the option."""
        with pytest.raises(CaseError) as info:
            func("--opt", text)

        assert "--opt" == info.value.problems[0].field


class TestCommand:
    def test_json_output(self, app: typer.Typer) -> None:
        """--json prints one JSON object with the seed's 120 g induction."""
        result = _run(app, str(SEED_CASE), "--json")
        out = json.loads(result.stdout)  # type: ignore[attr-defined]

        assert (0, 120.0) == (result.exit_code, out["courses"][0]["total_grams"])  # type: ignore[attr-defined]

    def test_options_reach_the_plan(self, app: typer.Typer) -> None:
        """--policy ACTUAL --induction-dose '1 g/kg' --induction-days 2 --product privigen."""
        result = _run(app, str(SCLE_CASE), "--json", "--policy", "ACTUAL", "--induction-dose",
                      "1 g/kg", "--induction-days", "2", "--product", "privigen")
        out = json.loads(result.stdout)  # type: ignore[attr-defined]

        assert ("actual", 80.0, 2) == (
            out["dosing_weight"]["basis"], out["courses"][0]["total_grams"],
            len(out["courses"][0]["days"]),
        )

    def test_maintenance_options(self, app: typer.Typer) -> None:
        """--maintenance-dose, --every and --cycles add maintenance courses."""
        result = _run(app, str(SCLE_CASE), "--json", "--maintenance-dose", "1 g/kg", "--every",
                      "4 weeks", "--cycles", "2", "--start", "2024-04-08")
        out = json.loads(result.stdout)  # type: ignore[attr-defined]

        assert [("induction", "2024-04-08"), ("maintenance", "2024-05-06"),
                ("maintenance", "2024-06-03")] == [(c["kind"], c["start"])
                                                   for c in out["courses"]]

    def test_ics_file_is_written(self, app: typer.Typer, tmp_path: Path) -> None:
        """--ics writes a calendar with one event per infusion day."""
        target = tmp_path / "plan.ics"
        result = _run(app, str(SEED_CASE), "--ics", str(target))

        assert 0 == result.exit_code  # type: ignore[attr-defined]
        assert 9 == target.read_bytes().count(b"BEGIN:VEVENT")

    def test_terminal_output(self, app: typer.Typer) -> None:
        """Without --json the readable report is printed."""
        result = _run(app, str(SEED_CASE))

        assert "IVIG plan" in result.stdout and "Dosing weight" in result.stdout  # type: ignore[attr-defined]

    def test_unknown_product_is_a_case_error(self, app: typer.Typer) -> None:
        """A misspelt product raises a CaseError naming --product with suggestions."""
        result = _run(app, str(SEED_CASE), "--product", "privigan")

        assert isinstance(result.exception, CaseError)  # type: ignore[attr-defined]
        assert "privigen" in result.exception.problems[0].suggestions  # type: ignore[attr-defined]
