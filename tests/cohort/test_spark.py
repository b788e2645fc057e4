"""Spark engine golden test: the same flags.csv as DuckDB on the same export (one small run;
skipped when pyspark or a Java runtime is missing locally)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil

import pytest

from clepath.cohort.generate import generate_cohort

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
    reason="pyspark or java missing",
)


def test_spark_writes_the_same_flags_csv_as_duckdb(tmp_path) -> None:
    """On one export both engines write byte-identical flags.csv, planted cases exact, and
    report the same three bad lines (broken JSON, another resource type, a weight of the wrong
    JSON type) by file and line number."""
    from typer.testing import CliRunner

    from clepath.cli.main import app

    export = tmp_path / "export"
    generate_cohort(export, 96, seed=21, as_of=dt.date(2025, 6, 30), plant_every=1)
    with (export / "Observation.ndjson").open("ab") as fh:
        fh.write(b'{"resourceType": "Observation", "id": \n')  # skipped by both engines
        fh.write(b'{"resourceType": "Patient", "id": "not-an-observation"}\n')
        fh.write(b'{"resourceType": "Observation", "id": "w", "valueQuantity": '
                 b'{"value": "high", "unit": "kg"}}\n')  # a weight of the wrong JSON type
    runner = CliRunner()
    for engine in ("duckdb", "spark"):
        run = runner.invoke(app, ["screen", str(export), "--as-of", "2025-06-30", "--out",
                                  str(tmp_path / engine), "--engine", engine])
        assert run.exit_code == 0, run.output
    duck = (tmp_path / "duckdb" / "flags.csv").read_bytes()
    assert duck == (tmp_path / "spark" / "flags.csv").read_bytes()
    assert duck.count(b"\n") == 1 + 4 * 12  # header + 12 planted patients per rule
    lines = (export / "Observation.ndjson").read_bytes().count(b"\n")
    for engine in ("duckdb", "spark"):  # both name the file and the line of each bad line
        summary = json.loads((tmp_path / engine / "summary.json").read_text())
        assert [("Observation.ndjson", n) for n in (lines - 2, lines - 1, lines)] == [
            (b["file"], b["line"]) for b in summary["bad_lines"]], engine


def test_spark_sql_views_match_duckdb_for_every_supported_feature(tmp_path) -> None:
    """The pack views and the feature views (forEach, forEachOrNull, unionAll, where, join,
    exists, collection, constants) give the same rows in Spark SQL as in DuckDB SQL."""
    import duckdb

    from clepath.cohort.schema import duckdb_columns, spark_schema
    from clepath.cohort.sof import compile_view
    from clepath.cohort.spark import _session
    from clepath.knowledge.loader import load_knowledge
    from clepath.knowledge.models.screening import ViewRow
    from tests.cohort.test_sof import FEATURES

    export = tmp_path / "export"
    generate_cohort(export, 64, seed=8, as_of=dt.date(2025, 6, 30), plant_every=1)
    views = [r.view for r in load_knowledge().table("screening", "views", ViewRow)] + FEATURES
    kinds = {v["resource"] for v in views}
    con = duckdb.connect()
    spark = _session("local[1]")
    try:
        for kind in kinds:
            path = str(export / f"{kind}.ndjson")
            con.execute(f'CREATE TABLE "{kind}" AS SELECT * FROM read_json(?, '
                        f"format='newline_delimited', columns={duckdb_columns(kind)!r})", [path])
            spark.read.schema(spark_schema(kind)).json(path).createOrReplaceTempView(kind)

        def norm(rows):
            return sorted((tuple(list(x) if isinstance(x, list) else x for x in r)
                           for r in rows), key=repr)

        for view in views:
            duck = norm(con.execute(compile_view(view)).fetchall())
            sparked = norm(tuple(r) for r in spark.sql(compile_view(view, dialect="spark"))
                           .collect())
            assert duck and duck == sparked, view.get("name", view["resource"])
    finally:
        spark.stop()
