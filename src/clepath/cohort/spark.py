"""`clepath screen --engine spark`: the same compiled views on PySpark (local mode or a cluster).

Spark reads the NDJSON with the explicit schema of `clepath.cohort.schema`, keeps the latest
version of each id, removes deletions, and runs the views compiled to Spark SQL. The view
outputs (flat, much smaller than the export) come back as Arrow tables; the rule pre-filters and
the engine confirmation then run exactly as with DuckDB, so both engines give the same flags.
Spark's reader keeps no line numbers: a file with bad records is scanned line by line afterwards
(the scan the DuckDB path uses), so bad lines are reported by file and line number alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from clepath.cohort.reader import BadLine, Export, find_bad_lines
from clepath.cohort.schema import spark_schema
from clepath.cohort.sof import compile_view

__all__ = ["spark_views"]


def _session(master: str) -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return (SparkSession.builder.master(master).appName("clepath-screen")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate())


def _numbered(rows: list[Any], kind: str) -> list[BadLine]:
    """Spark's bad records with their file and line number: Spark keeps no line numbers, so each
    file it found bad records in is scanned line by line (as the DuckDB path does), matching
    the records Spark's typed read refused by their text."""
    by_file: dict[str, list[str]] = {}
    for row in rows:
        by_file.setdefault(str(row["_file"]), []).append(str(row["_corrupt_record"] or "").strip())
    bad: list[BadLine] = []
    for uri, records in sorted(by_file.items()):
        path = Path(unquote(urlparse(uri).path)) if "://" in uri else Path(uri)
        found = find_bad_lines(path, kind, set(records)) if path.exists() else []
        bad += found
        missing = len(records) - len(found)  # a record Spark refused that no line matches
        bad += [BadLine(path.name, 0, f"refused by Spark's typed read as not a {kind}; no "
                                      "line of the file matches it")] * max(missing, 0)
    return bad


def spark_views(
    exports: list[Export], views: dict[str, dict[str, Any]], deleted: set[tuple[str, str]],
    master: str, progress: Callable[[str], None], used: set[str],
) -> tuple[dict[str, Any], dict[str, int], list[BadLine], int]:
    """Arrow tables of every view, resources per type, bad lines and the number of files."""
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    spark = _session(master)
    spark.sparkContext.setLogLevel("ERROR")
    counts: dict[str, int] = {}
    bad: list[BadLine] = []
    files = 0
    try:
        kinds = sorted({k for e in exports for k in e.files} & used)
        for kind in kinds:
            progress(f"spark: {kind}")
            paths = [str(p) for e in exports for p in e.files.get(kind, [])]
            files += len(paths)
            df = (spark.read.schema(spark_schema(kind) + ", `_corrupt_record` STRING")
                  .option("mode", "PERMISSIVE")
                  .option("columnNameOfCorruptRecord", "_corrupt_record")
                  .json(paths).withColumn("_file", F.input_file_name()).cache())
            broken = df.filter(F.col("_corrupt_record").isNotNull()
                               | F.col("id").isNull()
                               | (F.col("resourceType") != kind))
            bad += _numbered(broken.select("_file", "_corrupt_record").collect(), kind)
            good = df.filter(F.col("_corrupt_record").isNull() & F.col("id").isNotNull()
                             & (F.col("resourceType") == kind)).drop("_corrupt_record", "_file")
            gone = [rid for k, rid in deleted if k == kind]
            if gone:
                good = good.filter(~F.col("id").isin(gone))
            if len(paths) > 1 or gone:
                from pyspark.sql import Window

                latest = Window.partitionBy("id").orderBy(
                    F.col("meta.lastUpdated").desc_nulls_last())
                good = (good.withColumn("_rn", F.row_number().over(latest))
                        .filter(F.col("_rn") == 1).drop("_rn"))
            good.createOrReplaceTempView(kind)
            counts[kind] = good.count()
        from clepath.cohort.schema import RESOURCES

        for kind in RESOURCES:
            if kind not in kinds:
                spark.createDataFrame([], spark_schema(kind)).createOrReplaceTempView(kind)
        out = {}
        for view_id, view in views.items():
            progress(f"spark: view {view_id}")
            out[view_id] = spark.sql(compile_view(view, dialect="spark")).toArrow()
        return out, counts, bad, files
    finally:
        spark.stop()
