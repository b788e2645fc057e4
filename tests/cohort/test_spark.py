"""Spark engine golden test: the same flags.csv as DuckDB on the same export (one small run;
skipped when pyspark or a Java runtime is missing locally)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil

import pytest

from clepath.cohort.generate import generate_cohort

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
    reason="pyspark or java missing",
)


def test_spark_writes_the_same_flags_csv_as_duckdb(tmp_path) -> None:
    """On one export both engines write byte-identical flags.csv, planted cases exact."""
    from typer.testing import CliRunner

    from clepath.cli.main import app

    export = tmp_path / "export"
    generate_cohort(export, 96, seed=21, as_of=dt.date(2025, 6, 30), plant_every=1)
    with (export / "Observation.ndjson").open("ab") as fh:
        fh.write(b'{"resourceType": "Observation", "id": \n')  # skipped by both engines
    runner = CliRunner()
    for engine in ("duckdb", "spark"):
        run = runner.invoke(app, ["screen", str(export), "--as-of", "2025-06-30", "--out",
                                  str(tmp_path / engine), "--engine", engine])
        assert run.exit_code == 0, run.output
    duck = (tmp_path / "duckdb" / "flags.csv").read_bytes()
    assert duck == (tmp_path / "spark" / "flags.csv").read_bytes()
    assert duck.count(b"\n") == 1 + 4 * 12  # header + 12 planted patients per rule
