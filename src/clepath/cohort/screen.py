"""`clepath screen`: the screening rules over a Bulk Data export, every flag confirmed by the
assessment engine on the patient's own resources.

1. Each resource type is read by DuckDB with explicit column types (`clepath.cohort.schema`);
   duplicates keep the latest `meta.lastUpdated` and `deleted/` entries are removed.
2. The SQL-on-FHIR views of the `screening` pack are compiled (`clepath.cohort.sof`) and
   materialised; each rule is a SQL pre-filter over them with its thresholds as parameters.
3. Every patient a pre-filter flags is read back as FHIR resources, mapped by
   `clepath.fhir.importer.import_bundle` and assessed by `clepath.engine.assess.assess`, the code
   behind `clepath assess` and the CDS service. A flag is kept only when the engine agrees; a
   disagreement is counted and listed in the run summary, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson

from clepath.cohort.reader import (
    BadLine,
    Export,
    deleted_keys,
    open_text,
    read_export,
    scan_lines,
)
from clepath.cohort.schema import duckdb_columns
from clepath.cohort.sof import compile_view
from clepath.domain.units import convert, normalise_unit
from clepath.engine import therapy as therapy_module
from clepath.engine.assess import assess
from clepath.engine.glucocorticoids import equivalence_ratio
from clepath.fhir.importer import import_bundle
from clepath.fhir.medication import recogniser
from clepath.fhir.terminology import local_system
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.drugs import Drug
from clepath.knowledge.models.screening import ViewRow

__all__ = ["Flag", "ScreenResult", "run_screen"]

PACK = "screening"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
IVIG = "intravenous immunoglobulin"


@dataclass(frozen=True)
class Flag:
    """One patient flagged by one rule."""

    patient: str
    rule: str
    value: float
    threshold: float | None
    unit: str
    evidence: tuple[str, ...]


@dataclass
class ScreenResult:
    """Flags, the run's figures and what went wrong along the way."""

    as_of: dt.date
    flags: list[Flag]
    candidates: dict[str, int]
    disagreements: list[tuple[str, str, str]]  # patient, rule, why the engine disagreed
    files: int
    resources: dict[str, int]
    bad_lines: list[BadLine]
    deleted: int
    seconds: float
    knowledge: dict[str, str]
    population: dict[str, int] = field(default_factory=dict)  # patients by sex
    sex: dict[str, str] = field(default_factory=dict)  # flagged patient -> sex
    not_read: tuple[str, ...] = ()  # resource types in the export that no view reads


def _param(kb: KnowledgeBase, name: str) -> Any:
    return kb.value(f"{PACK}.{name}")


def _deleted(exports: list[Export]) -> tuple[set[tuple[str, str]], list[BadLine]]:
    deleted: set[tuple[str, str]] = set()
    bad: list[BadLine] = []
    for export in exports:
        keys, bad_deleted = deleted_keys(export)
        deleted |= keys
        bad += bad_deleted
    return deleted, bad


def _load(con: duckdb.DuckDBPyConnection, exports: list[Export], tmp: Path,
          progress: Callable[[str], None], deleted: set[tuple[str, str]],
          used: set[str]) -> tuple[dict[str, int], list[BadLine], int]:
    """Typed tables of the resource types the views read (latest version of each id,
    deletions applied)."""
    bad: list[BadLine] = []
    counts: dict[str, int] = {}
    files = 0
    kinds = sorted({k for e in exports for k in e.files} & used)
    for kind in kinds:
        progress(kind)
        cols = duckdb_columns(kind)
        paths = [p for export in exports for p in export.files.get(kind, [])]
        files += len(paths)
        read = (f"SELECT * FROM read_json(?, format='newline_delimited', columns={cols!r}, "
                "ignore_errors=FLAG)")
        try:  # the fast path: every line reads with the explicit types
            con.execute(f'CREATE TABLE "{kind}_all" AS {read.replace("FLAG", "false")}',
                        [[str(p) for p in paths]])
        except duckdb.Error:  # find the bad lines file by file, read clean copies
            readable: list[str] = []
            for number, path in enumerate(paths):
                try:
                    con.execute(_STRICT_COUNT.format(read=read.replace('FLAG', 'false')),
                                [[str(path)]])
                    readable.append(str(path))
                except duckdb.Error:
                    clean = tmp / f"clean-{kind}-{number}.ndjson"
                    kept: list[int] = []
                    found, _ = scan_lines(path, kind, clean, kept)
                    misfits = _typed_misfits(con, read, path, clean, kept)
                    bad += sorted(found + misfits, key=lambda b: b.line)
                    readable.append(str(clean))
            con.execute(f'CREATE TABLE "{kind}_all" AS {read.replace("FLAG", "true")}', [readable])
        dels = sorted(rid for k, rid in deleted if k == kind)
        if len(paths) > 1 or dels:  # one file of one export holds each id once
            con.execute(f'CREATE TEMP TABLE "{kind}_deleted" (id VARCHAR)')
            if dels:
                con.executemany(f'INSERT INTO "{kind}_deleted" VALUES (?)', [[d] for d in dels])
            con.execute(
                f'CREATE TABLE "{kind}" AS SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() '
                f'OVER (PARTITION BY id ORDER BY meta.lastUpdated DESC NULLS LAST) AS rn FROM '
                f'"{kind}_all") WHERE rn = 1 AND id NOT IN (SELECT id FROM "{kind}_deleted")')
            con.execute(f'DROP TABLE "{kind}_all"')
        else:
            con.execute(f'ALTER TABLE "{kind}_all" RENAME TO "{kind}"')
        counts[kind] = con.execute(f'SELECT count(*) FROM "{kind}"').fetchone()[0]  # type: ignore[index]
    for kind, schema in duckdb_columns_all().items():
        if kind not in kinds:
            cols_sql = ", ".join(f'"{k}" {v}' for k, v in schema.items())
            con.execute(f'CREATE TABLE "{kind}" ({cols_sql})')
    return counts, bad, files


_LINE = re.compile(r"in line (\d+)")
# every column is hashed so that each value is cast (a bare count(*) would skip the casts)
_STRICT_COUNT = "SELECT count(*) FROM ({read}) t WHERE hash(t) IS NOT NULL"


def _typed_misfits(con: duckdb.DuckDBPyConnection, read: str, path: Path, clean: Path,
                   kept: list[int], limit: int = 1000) -> list[BadLine]:
    """Lines of a clean copy that DuckDB's typed read still refuses (an element of the wrong
    JSON type, such as a string where a number belongs): DuckDB names the line of the first;
    it is reported by its line in the original file, removed, and the copy read again (the
    tolerant read would keep the resource with that element silently emptied)."""
    bad: list[BadLine] = []
    for _ in range(limit):
        try:
            con.execute(_STRICT_COUNT.format(read=read.replace('FLAG', 'false')), [[str(clean)]])
            return bad
        except duckdb.Error as exc:
            match = _LINE.search(str(exc))
            if match is None or not 0 < int(match.group(1)) <= len(kept):
                return bad
            index = int(match.group(1)) - 1
            reason = str(exc).split("\n", 1)[0].split(": ", 1)[-1]
            reason = _LINE.sub("", reason.replace(f'in file "{clean}", ', "")).replace(
                " :", ":")
            bad.append(BadLine(path.name, kept[index], f"refused by the typed read: {reason}"))
            lines = clean.read_bytes().splitlines(keepends=True)
            del lines[index], kept[index]
            clean.write_bytes(b"".join(lines))
    return bad


def duckdb_columns_all() -> dict[str, dict[str, str]]:
    from clepath.cohort.schema import RESOURCES

    return {kind: duckdb_columns(kind) for kind in RESOURCES}


_USE_COLUMNS = ("kind", "id", "patient", "status", "rxnorm", "local_drug", "text", "display",
                "medication", "outcome", "start_at", "end_at", "dose_value", "dose_unit",
                "frequency", "period", "period_unit", "route_text", "supply_days", "request")
# each medication view's columns in the order of _USE_COLUMNS (NULL where the type has none)
_USE_SOURCES = {
    "MedicationRequest": ("medication_order", (
        "id", "patient", "status", "rxnorm", "local_drug", "text", "display", "medication",
        "NULL", "authored", '"end"', "dose_value", "dose_unit", "frequency", "period",
        "period_unit", "route_text", "NULL", "NULL")),
    "MedicationStatement": ("medication_history", (
        "id", "patient", "status", "rxnorm", "local_drug", "text", "display", "medication",
        "outcome", "coalesce(start, effective)", '"end"', "dose_value", "dose_unit",
        "frequency", "period", "period_unit", "route_text", "NULL", "NULL")),
    "MedicationAdministration": ("medication_given", (
        "id", "patient", "status", "rxnorm", "local_drug", "text", "display", "medication",
        "NULL", "coalesce(effective, start)", "NULL", "dose_value", "dose_unit", "NULL",
        "NULL", "NULL", "route_text", "NULL", "request")),
    "MedicationDispense": ("medication_dispense", (
        "id", "patient", "status", "rxnorm", "local_drug", "text", "display", "medication",
        "NULL", "coalesce(handed_over, prepared)", "NULL", "dose_value", "dose_unit",
        "frequency", "period", "period_unit", "route_text", "supply_days", "prescription")),
}
_TYPES = {"start_at": "VARCHAR", "end_at": "VARCHAR", "outcome": "VARCHAR",
          "dose_value": "DOUBLE", "dose_unit": "VARCHAR", "frequency": "BIGINT",
          "period": "DOUBLE", "period_unit": "VARCHAR", "route_text": "VARCHAR",
          "supply_days": "DOUBLE", "request": "VARCHAR"}


def _medication_use(con: duckdb.DuckDBPyConnection) -> None:
    """One table of every medication resource the FHIR importer reads (orders, statements,
    administrations, dispenses), the drug concept taken from the Medication it refers to when
    it names none itself."""
    branches = []
    for kind, (view, exprs) in _USE_SOURCES.items():
        cols = [f"'{kind}' AS kind"]
        for name, expr in zip(_USE_COLUMNS[1:], exprs, strict=True):
            typed = f"CAST({expr} AS {_TYPES[name]})" if name in _TYPES else expr
            cols.append(f"{typed} AS {name}")
        branches.append(f"SELECT {', '.join(cols)} FROM v_{view}")
    concept = ("rxnorm", "local_drug", "text", "display")
    picked = ", ".join(f"coalesce(u.{c}, m.{c}) AS {c}" for c in concept)
    others = ", ".join(f"u.{c}" for c in _USE_COLUMNS if c not in concept)
    con.execute(f"""
CREATE TEMP TABLE med_use AS
SELECT {others}, {picked}, m.form
FROM ({' UNION ALL '.join(branches)}) u LEFT JOIN v_medication m ON m.id = u.medication
""")


# the columns that name a medication concept: a concept is recognised once, then joined back
_CONCEPT = ("rxnorm", "local_drug", "text", "display", "form", "route_text")
_SAME_CONCEPT = " AND ".join(f"c.{k} IS NOT DISTINCT FROM u.{k}" for k in _CONCEPT)


def _knowledge_tables(con: duckdb.DuckDBPyConnection, kb: KnowledgeBase) -> None:
    """The drug of every distinct medication concept in the export, read by the FHIR import's
    own recogniser (RxNorm strengths, routes and names from the terminology pack), and the
    drugs pack's kinds, escalation lines and prednisone ratios."""
    meds = recogniser(kb)
    local = local_system("drug")
    rows = []
    for rxnorm, local_drug, text, display, form, route_text in con.execute(
            f"SELECT DISTINCT {', '.join(_CONCEPT)} FROM med_use").fetchall():
        codings: list[dict[str, str]] = []
        if local_drug:
            codings.append({"system": local, "code": local_drug})
        if rxnorm:
            codings.append({"system": RXNORM, "code": rxnorm, **(
                {"display": display} if display else {})})
        elif display:
            codings.append({"display": display})
        concept: dict[str, Any] = {"coding": codings}
        if text:
            concept["text"] = text
        route = meds.route_of({"text": route_text}) if route_text else None
        found = meds.concept(concept, route=route, form={"text": form} if form else None)
        if found is None:
            continue
        per_unit = per_ml = None
        if found.strength is not None and found.strength_unit in ("mg", "g", "ug"):
            per_unit = convert(found.strength, found.strength_unit, "mg")
        elif found.strength is not None and found.strength_unit == "mg/mL":
            per_ml = found.strength
        rows.append([rxnorm, local_drug, text, display, form, route_text, found.drug,
                     per_unit, per_ml])
    keys = ", ".join(f"{k} VARCHAR" for k in _CONCEPT)
    con.execute(f"CREATE TEMP TABLE concepts ({keys}, drug VARCHAR, strength_mg DOUBLE, "
                "strength_mg_per_ml DOUBLE)")
    if rows:
        con.executemany(f"INSERT INTO concepts VALUES ({', '.join('?' * 9)})", rows)
    drugs = kb.table("drugs", "drugs", Drug)
    lines = {s.strip() for s in str(_param(kb, "escalation_lines")).split(",")}
    con.execute("CREATE TEMP TABLE drugs (drug VARCHAR, kind VARCHAR, escalation BOOLEAN, "
                "pred_ratio DOUBLE)")
    rows = []
    for d in drugs:
        ratio = equivalence_ratio(kb, d.id) if d.kind == "glucocorticoid" else None
        rows.append([d.id, d.kind, d.line in lines, ratio])
    con.executemany("INSERT INTO drugs VALUES (?, ?, ?, ?)", rows)


# One row per course, as the FHIR importer builds them: an order or a statement is a course;
# the dispenses of one drug are one course (first hand-over to the last plus its supply) and so
# are its administrations (first to last day); dispenses and administrations given under an
# order in the export are that order's course. `status` is 'active' for a current course.
_ORDERS = """
CREATE TEMP TABLE orders AS
WITH r AS (
  SELECT u.kind, u.id, u.patient, u.status, u.request, u.supply_days, u.frequency, u.period,
         u.period_unit, c.drug,
         TRY_CAST(substr(u.start_at, 1, 10) AS DATE) AS start,
         TRY_CAST(substr(u.end_at, 1, 10) AS DATE) AS stop,
         CASE WHEN u.dose_unit = 'mg' THEN u.dose_value
              WHEN u.dose_unit = 'g' THEN u.dose_value * 1000
              WHEN u.dose_unit = 'mL' THEN u.dose_value * c.strength_mg_per_ml
              WHEN u.dose_unit IS NULL THEN u.dose_value * c.strength_mg END AS dose_mg
  FROM med_use u JOIN concepts c ON SAME_CONCEPT),
d AS (
  SELECT *, dose_mg * coalesce(frequency, 1)
           / (coalesce(period, 1) * CASE coalesce(period_unit, 'd')
                WHEN 'd' THEN 1.0 WHEN 'wk' THEN 7.0 WHEN 'h' THEN 1.0 / 24 END) AS daily_mg
  FROM r),
given AS (
  SELECT * FROM d WHERE start IS NOT NULL
    AND (request IS NULL OR request NOT IN (SELECT id FROM v_medication_order))
    AND ((kind = 'MedicationDispense' AND status = 'completed')
         OR (kind = 'MedicationAdministration'
             AND status IN ('completed', 'in-progress', 'stopped')))),
disp AS (
  SELECT arg_min(id, start) AS id, patient, drug, min(start) AS start,
         max(start) + CAST(coalesce(arg_max(supply_days, start), 0) AS INTEGER) AS last_day,
         arg_max(supply_days, start) AS grace, max(daily_mg) AS daily_mg
  FROM given WHERE kind = 'MedicationDispense' GROUP BY patient, drug),
days AS (
  SELECT patient, drug, start AS day, min(id) AS id, max(dose_mg) AS dose_mg
  FROM given WHERE kind = 'MedicationAdministration' GROUP BY patient, drug, start),
gaps AS (
  SELECT *, day - lag(day) OVER (PARTITION BY patient, drug ORDER BY day) AS gap FROM days),
adm AS (
  SELECT arg_min(id, day) AS id, patient, drug, min(day) AS start, max(day) AS last_day,
         median(gap) AS grace, max(dose_mg) / median(gap) AS daily_mg
  FROM gaps GROUP BY patient, drug),
grouped AS (SELECT * FROM disp UNION ALL SELECT * FROM adm)
SELECT id, patient, drug, start, stop, daily_mg,
       CASE WHEN kind = 'MedicationStatement' THEN
              CASE WHEN status = 'active' THEN 'active' ELSE 'stopped' END
            ELSE status END AS status
FROM d
WHERE (kind = 'MedicationRequest' AND status NOT IN ('draft', 'entered-in-error', 'cancelled'))
   OR (kind = 'MedicationStatement' AND status IN ('active', 'completed', 'stopped', 'on-hold'))
UNION ALL
SELECT id, patient, drug, start,
       CASE WHEN ended THEN last_day END AS stop, daily_mg,
       CASE WHEN ended THEN 'stopped' ELSE 'active' END AS status
FROM (SELECT *, (grace IS NULL OR DATE 'AS_OF' - last_day > grace)
                AND last_day <= DATE 'AS_OF' AS ended FROM grouped)
"""

_HCQ = """
WITH w AS (
  SELECT patient, id,
         value * CASE unit WHEN 'kg' THEN 1.0 WHEN 'g' THEN 0.001
                           WHEN '[lb_av]' THEN 0.45359237 END AS kg,
         row_number() OVER (PARTITION BY patient ORDER BY effective DESC, id) AS rn
  FROM v_body_weight
  WHERE unit IN ('kg', 'g', '[lb_av]')
    AND TRY_CAST(substr(effective, 1, 10) AS DATE) <= $as_of),
o AS (
  SELECT patient, list(id ORDER BY id) AS ids, sum(daily_mg) AS mg
  FROM orders
  WHERE drug = 'hydroxychloroquine' AND status = 'active' AND start <= $as_of
    AND (stop IS NULL OR stop > $as_of) AND daily_mg IS NOT NULL
  GROUP BY patient)
SELECT o.patient, o.mg / w.kg AS value, list_append(o.ids, w.id) AS evidence
FROM o JOIN w ON w.patient = o.patient AND w.rn = 1
WHERE o.mg / w.kg > $threshold
"""

_GC = """
WITH gc AS (
  SELECT o.patient, o.id, o.start, coalesce(o.stop, DATE '9999-12-31') AS stop,
         o.daily_mg / d.pred_ratio AS pred
  FROM orders o JOIN drugs d ON d.drug = o.drug
  WHERE d.kind = 'glucocorticoid' AND d.pred_ratio IS NOT NULL AND o.daily_mg IS NOT NULL
    AND o.start IS NOT NULL AND (o.status = 'active' OR o.stop IS NOT NULL)),
win AS (SELECT CAST($as_of AS DATE) - ($days - 1) AS first_day),
days AS (
  SELECT DISTINCT patient, d FROM (
    SELECT patient, (SELECT first_day FROM win) AS d FROM gc
    UNION ALL SELECT patient, start FROM gc
      WHERE start BETWEEN (SELECT first_day FROM win) AND $as_of
    UNION ALL SELECT patient, stop FROM gc
      WHERE stop BETWEEN (SELECT first_day FROM win) AND $as_of)),
tot AS (
  SELECT days.patient, days.d,
         coalesce(sum(gc.pred) FILTER (WHERE gc.start <= days.d AND days.d < gc.stop), 0) AS pred
  FROM days JOIN gc ON gc.patient = days.patient GROUP BY days.patient, days.d)
SELECT tot.patient, min(tot.pred) AS value,
       (SELECT list(id ORDER BY id) FROM gc WHERE gc.patient = tot.patient
          AND gc.stop > (SELECT first_day FROM win) AND gc.start <= $as_of) AS evidence
FROM tot GROUP BY tot.patient HAVING min(tot.pred) > $threshold
"""

_REFRACTORY = """
WITH f AS (
  SELECT u.patient, u.id, d.kind FROM med_use u JOIN concepts c ON SAME_CONCEPT
  JOIN drugs d ON d.drug = c.drug
  WHERE u.kind = 'MedicationStatement' AND u.outcome IN ('failed', 'intolerant')
    AND TRY_CAST(substr(coalesce(u.end_at, u.start_at), 1, 10) AS DATE) <= $as_of),
escalated AS (
  SELECT o.patient FROM orders o JOIN drugs d ON d.drug = o.drug
  WHERE d.escalation AND o.status = 'active' AND (o.start IS NULL OR o.start <= $as_of)
    AND (o.stop IS NULL OR o.stop > $as_of))
SELECT patient, 1.0 AS value, list(id ORDER BY id) AS evidence FROM f
WHERE patient NOT IN (SELECT patient FROM escalated)
GROUP BY patient
HAVING bool_or(kind = 'antimalarial') AND bool_or(kind = 'immunosuppressant')
"""

_IVIG = """
WITH i AS (
  SELECT patient, min(start) AS first_day, list(id ORDER BY id) AS ids FROM orders
  WHERE drug = 'intravenous immunoglobulin' AND start <= $as_of GROUP BY patient)
SELECT i.patient, CAST($as_of - i.first_day AS DOUBLE) AS value, i.ids AS evidence FROM i
WHERE NOT EXISTS (SELECT 1 FROM v_clasi_exam c WHERE c.patient = i.patient
                  AND TRY_CAST(substr(c.effective, 1, 10) AS DATE) <= i.first_day)
"""


def _prefilter(con: duckdb.DuckDBPyConnection, kb: KnowledgeBase,
               as_of: dt.date) -> dict[str, list[tuple[str, float, tuple[str, ...]]]]:
    con.execute(_ORDERS.replace("AS_OF", as_of.isoformat()).replace("SAME_CONCEPT",
                                                                     _SAME_CONCEPT))
    out: dict[str, list[tuple[str, float, tuple[str, ...]]]] = {}
    specs = {
        "hcq_above_5_mg_per_kg": (_HCQ, {"threshold": _param(kb, "hcq_max_mg_per_kg_per_day")}),
        "glucocorticoid_above_target": (_GC, {
            "threshold": _param(kb, "glucocorticoid_above_mg_per_day"),
            "days": int(_param(kb, "glucocorticoid_min_days"))}),
        "refractory_not_escalated": (_REFRACTORY.replace("SAME_CONCEPT", _SAME_CONCEPT), {}),
        "ivig_without_review": (_IVIG, {}),
    }
    for rule, (sql, params) in specs.items():
        rows = con.execute(sql, {"as_of": as_of, **params}).fetchall()
        out[rule] = sorted((r[0], float(r[1]), tuple(r[2] or ())) for r in rows)
    return out


@dataclass(frozen=True)
class _Judged:
    """What the engine says on the points the rules check (alert codes, refractory status,
    current courses, CLASI examination dates)."""

    alerts: frozenset[str]
    refractory: bool | None
    courses: tuple[therapy_module.CourseReview, ...]
    clasi_dates: tuple[dt.date, ...]


def _judge(case: Any, kb: KnowledgeBase) -> _Judged:
    """What `assess` (the same call as `clepath assess` and the CDS service) says on the points
    the rules check: one truth for the screen, the CLI and the EHR."""
    result = assess(case, kb)
    return _Judged(frozenset(a.code for a in result.alerts), result.refractory.status,
                   result.therapy.courses,
                   tuple(e.date for e in result.clasi.history) if result.clasi else ())


def _confirm(rule: str, judged: _Judged, kb: KnowledgeBase) -> str | None:
    """None when the engine agrees with the flag, else why it does not."""
    if rule == "hcq_above_5_mg_per_kg":
        return None if "hcq_dose_above_5_mg_per_kg" in judged.alerts else "no HCQ dose alert"
    if rule == "glucocorticoid_above_target":
        return None if "glucocorticoid_above_target" in judged.alerts \
            else "no glucocorticoid alert"
    if rule == "refractory_not_escalated":
        if judged.refractory is not True:
            return f"refractory status {judged.refractory}"
        lines = {s.strip() for s in str(_param(kb, "escalation_lines")).split(",")}
        rows = {d.id: d for d in kb.table("drugs", "drugs", Drug)}
        current = [c.drug for c in judged.courses if c.outcome == "ongoing"
                   and c.drug in rows and rows[c.drug].line in lines]
        return f"escalated: {', '.join(current)}" if current else None
    if rule == "ivig_without_review":
        starts = [c.start.earliest for c in judged.courses
                  if c.drug == IVIG and c.start is not None]
        if not starts:
            return "no dated IVIG course"
        if any(day <= min(starts) for day in judged.clasi_dates):
            return "a CLASI examination precedes the first IVIG"
        return None
    return f"unknown rule {rule}"


def _mentions(line: bytes, wanted: set[bytes]) -> bool:
    """True when a line names one of the wanted ids after a `"Patient/` (a cheap superset of
    its Patient references; the parsed subject is checked afterwards)."""
    start = line.find(b'"Patient/')
    while start >= 0:
        end = line.find(b'"', start + 9)
        if end < 0:
            return False
        if line[start + 9:end] in wanted:
            return True
        start = line.find(b'"Patient/', end + 1)
    return False


def _patient_resources(exports: list[Export], patients: set[str],
                       deleted: set[tuple[str, str]]) -> dict[str, list[dict[str, Any]]]:
    """Every current resource of the given patients, as FHIR JSON (latest version of each).

    A byte-level search for Patient references picks the candidate lines; only those are
    parsed, and kept when their subject (or, for a Patient, its id) is one of the patients."""
    out: dict[str, dict[tuple[str, str], dict[str, Any]]] = {p: {} for p in patients}
    wanted = {p.encode() for p in patients}
    for kind in ("Patient", "Observation", "Condition", *_MEDICATION_KINDS):
        for path in (p for e in exports for p in e.files.get(kind, [])):
            with open_text(path) as src:
                for line in src:
                    if kind != "Patient" and not _mentions(line, wanted):
                        continue
                    try:
                        res = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        continue
                    if not isinstance(res, dict) or res.get("resourceType") != kind:
                        continue
                    if kind == "Patient":
                        pid = res.get("id")
                    else:
                        ref = (res.get("subject") or {}).get("reference") or ""
                        pid = ref[8:] if ref.startswith("Patient/") else None
                    if pid not in out or (kind, res.get("id")) in deleted:
                        continue
                    key = (kind, str(res.get("id")))
                    old = out[pid].get(key)
                    stamp = (res.get("meta") or {}).get("lastUpdated") or ""
                    if old is None or stamp >= ((old.get("meta") or {}).get("lastUpdated")
                                                or ""):
                        out[pid][key] = res
    # the Medications the patients' resources refer to (they name no patient themselves)
    wanted_meds: dict[str, set[str]] = {}
    for pid, found in out.items():
        for (kind, _), res in found.items():
            ref = (res.get("medicationReference") or {}).get("reference") \
                if kind in _MEDICATION_KINDS else None
            if isinstance(ref, str) and "Medication/" in ref:
                mid = ref.rsplit("Medication/", 1)[1].split("/_history")[0]
                wanted_meds.setdefault(mid, set()).add(pid)
    if wanted_meds:
        keys = {m.encode() for m in wanted_meds}
        for path in (p for e in exports for p in e.files.get("Medication", [])):
            with open_text(path) as src:
                for line in src:
                    if not any(k in line for k in keys):
                        continue
                    try:
                        res = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        continue
                    mid = res.get("id") if isinstance(res, dict) else None
                    if (res.get("resourceType") != "Medication" or mid not in wanted_meds
                            or ("Medication", mid) in deleted):
                        continue
                    for pid in wanted_meds[mid]:
                        key = ("Medication", mid)
                        old = out[pid].get(key)
                        stamp = (res.get("meta") or {}).get("lastUpdated") or ""
                        if old is None or stamp >= ((old.get("meta") or {}).get(
                                "lastUpdated") or ""):
                            out[pid][key] = res
    return {p: list(v.values()) for p, v in out.items()}


_MEDICATION_KINDS = ("MedicationRequest", "MedicationStatement", "MedicationAdministration",
                     "MedicationDispense")


def run_screen(
    export_dirs: list[Path], kb: KnowledgeBase, as_of: dt.date, *, engine: str = "duckdb",
    master: str = "local[2]", progress: Callable[[str], None] = lambda _s: None,
) -> ScreenResult:
    """Screen one export (or a base export and later ones applied in order) with DuckDB or
    Spark reading the files and computing the views."""
    started = time.perf_counter()
    # the unit registry the FHIR importer needs takes about a second to build: build it while
    # DuckDB (which releases the GIL) reads the files
    warm = threading.Thread(target=normalise_unit, args=("kg",), daemon=True)
    warm.start()
    exports = [read_export(p) for p in export_dirs]
    deleted_set, bad = _deleted(exports)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    views = {row.id: row.view for row in kb.table(PACK, "views", ViewRow)}
    used = {view["resource"] for view in views.values()}  # other types are not read
    with tempfile.TemporaryDirectory(prefix="clepath-screen-") as tmp:
        if engine == "spark":
            from clepath.cohort.spark import spark_views

            tables, counts, bad_read, files = spark_views(exports, views, deleted_set, master,
                                                          progress, used)
            for view_id, table in tables.items():
                con.register(f"arrow_{view_id}", table)
                con.execute(f'CREATE TEMP TABLE "v_{view_id}" AS SELECT * FROM arrow_{view_id}')
                con.unregister(f"arrow_{view_id}")
        else:
            counts, bad_read, files = _load(con, exports, Path(tmp), progress, deleted_set,
                                            used)
            for view_id, view in views.items():
                progress(f"view {view_id}")
                con.execute(f'CREATE TEMP TABLE "v_{view_id}" AS {compile_view(view)}')
        bad += bad_read
        deleted = len(deleted_set)
        _medication_use(con)
        _knowledge_tables(con, kb)
        progress("rules")
        found = _prefilter(con, kb, as_of)
        candidates = {rule: len(rows) for rule, rows in found.items()}
        wanted = {p for rows in found.values() for p, _, _ in rows}
        progress(f"confirming {len(wanted)} patients with the engine")
        resources = _patient_resources(exports, wanted, deleted_set) if wanted else {}
    warm.join()
    units = {"hcq_above_5_mg_per_kg": ("mg/kg/d", "hcq_max_mg_per_kg_per_day"),
             "glucocorticoid_above_target": ("mg/d", "glucocorticoid_above_mg_per_day"),
             "refractory_not_escalated": ("1", None), "ivig_without_review": ("d", None)}
    flags: list[Flag] = []
    disagreements: list[tuple[str, str, str]] = []
    judged: dict[str, _Judged | str] = {}
    for patient in sorted(wanted):
        try:
            case, _ = import_bundle(resources.get(patient, []), kb,
                                    as_of=as_of, case_id=patient, strict=False)
            judged[patient] = _judge(case, kb)
        except Exception as exc:  # noqa: BLE001 - a disagreement to report, not a crash
            judged[patient] = f"import failed: {exc}"
    for rule, rows in found.items():
        unit, param = units[rule]
        threshold = float(_param(kb, param)) if param else None
        for patient, value, evidence in rows:
            verdict = judged[patient]
            why = verdict if isinstance(verdict, str) else _confirm(rule, verdict, kb)
            if why is None:
                flags.append(Flag(patient, rule, round(value, 3), threshold, unit, evidence))
            else:
                disagreements.append((patient, rule, why))
    population = dict(con.execute(
        "SELECT coalesce(gender, 'unknown'), count(*) FROM v_patient GROUP BY ALL").fetchall())
    sex = dict(con.execute("SELECT id, coalesce(gender, 'unknown') FROM v_patient").fetchall()) \
        if flags else {}
    con.close()
    flags.sort(key=lambda f: (f.rule, f.patient))
    return ScreenResult(
        as_of=as_of, flags=flags, candidates=candidates, disagreements=disagreements,
        files=files, resources=counts, bad_lines=bad, deleted=deleted,
        seconds=time.perf_counter() - started, knowledge=kb.versions(), population=population,
        sex={f.patient: sex.get(f.patient, "unknown") for f in flags},
        not_read=tuple(sorted({k for e in exports for k in (*e.files, *e.ignored)} - used)),
    )
