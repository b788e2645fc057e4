"""What a screening run writes: flags.csv, flags.parquet, one FHIR Group per rule, counts.csv
with small-cell and complementary suppression, report.html and summary.json."""

from __future__ import annotations

import csv
import html
from pathlib import Path
from typing import Any

import orjson

from clepath.cohort.screen import PACK, ScreenResult
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.screening import ScreenRule

__all__ = ["suppress", "write_outputs"]

_SEXES = ("female", "male", "other", "unknown")


def suppress(cells: dict[str, int], total: int, minimum: int) -> dict[str, int | None]:
    """Counts with every cell under `minimum` hidden (None), and complementary suppression: when
    the total is shown, a lone hidden cell would be total minus the others, so the smallest
    shown non-zero cell is hidden too. A total under `minimum` hides the whole row."""
    if total < minimum:
        return {**dict.fromkeys(cells), "total": None}
    out: dict[str, int | None] = {k: (v if v == 0 or v >= minimum else None)
                                  for k, v in cells.items()}
    hidden = [k for k, v in out.items() if v is None]
    if len(hidden) == 1:
        shown = sorted((v, k) for k, v in out.items() if v)
        if shown:
            out[shown[0][1]] = None
    out["total"] = total
    return out


def _group(rule: ScreenRule, members: list[str], result: ScreenResult) -> dict[str, Any]:
    return {
        "resourceType": "Group", "id": f"clepath-screen-{rule.id.replace('_', '-')}",
        "type": "person", "actual": True, "name": rule.title,
        "code": {"coding": [{"system": "https://clepath.org/fhir/CodeSystem/screening-rule",
                             "code": rule.id, "display": rule.title}]},
        "quantity": len(members),
        "characteristic": [{"code": {"text": "screening date"},
                            "valueReference": {"display": result.as_of.isoformat()},
                            "exclude": False}],
        "member": [{"entity": {"reference": f"Patient/{p}"}} for p in members],
        "extension": [{"url": "https://clepath.org/fhir/StructureDefinition/knowledge-versions",
                       "valueString": ", ".join(f"{k}@{v}" for k, v in
                                                sorted(result.knowledge.items()))}],
    }


def write_outputs(result: ScreenResult, kb: KnowledgeBase, out: Path) -> dict[str, Path]:
    """Write every output file of a run into `out`; return them by name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("flags.csv", "flags.parquet", "counts.csv",
                                            "report.html", "summary.json")}
    header = ["patient", "rule", "value", "unit", "threshold", "evidence", "as_of"]
    rows = [[f.patient, f.rule, f"{f.value:g}", f.unit,
             "" if f.threshold is None else f"{f.threshold:g}", ";".join(f.evidence),
             result.as_of.isoformat()] for f in result.flags]
    with paths["flags.csv"].open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    import duckdb

    con = duckdb.connect()  # flags.parquet from flags.csv, read with explicit types
    con.execute(
        "COPY (SELECT patient, rule, value, unit, threshold, "
        "CASE WHEN evidence = '' THEN [] ELSE string_split(evidence, ';') END AS evidence, "
        "as_of FROM read_csv(?, header = true, columns = {'patient': 'VARCHAR', "
        "'rule': 'VARCHAR', 'value': 'DOUBLE', 'unit': 'VARCHAR', 'threshold': 'DOUBLE', "
        "'evidence': 'VARCHAR', 'as_of': 'DATE'})) TO '" + str(paths["flags.parquet"]).replace(
            "'", "''") + "' (FORMAT parquet)", [str(paths["flags.csv"])])
    con.close()
    rules = kb.table(PACK, "rules", ScreenRule)
    groups = out / "groups"
    groups.mkdir(exist_ok=True)
    minimum = int(kb.value(f"{PACK}.min_cell_count"))
    counts: list[tuple[str, dict[str, int | None]]] = []
    pop = {s: result.population.get(s, 0) for s in _SEXES}
    counts.append(("all_patients", suppress(pop, sum(pop.values()), minimum)))
    for rule in rules:
        members = sorted(f.patient for f in result.flags if f.rule == rule.id)
        (groups / f"{rule.id}.json").write_bytes(
            orjson.dumps(_group(rule, members, result), option=orjson.OPT_INDENT_2))
        cells = {s: sum(1 for m in members if result.sex.get(m) == s) for s in _SEXES}
        counts.append((rule.id, suppress(cells, len(members), minimum)))
    with paths["counts.csv"].open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["rule", *_SEXES, "total", "suppressed_below"])
        for name, cells in counts:
            writer.writerow([name, *("" if cells[s] is None else cells[s] for s in _SEXES),
                             "" if cells["total"] is None else cells["total"], minimum])
    summary = {
        "as_of": result.as_of.isoformat(), "files": result.files,
        "resources": result.resources, "bad_lines": [
            {"file": b.file, "line": b.line, "reason": b.reason} for b in result.bad_lines],
        "deleted": result.deleted, "seconds": round(result.seconds, 3),
        "types_not_read": list(result.not_read),
        "candidates": result.candidates,
        "flags": {r.id: sum(1 for f in result.flags if f.rule == r.id) for r in rules},
        "disagreements": [{"patient": p, "rule": r, "why": w}
                          for p, r, w in result.disagreements],
        "knowledge": result.knowledge,
    }
    paths["summary.json"].write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    paths["report.html"].write_text(_report(result, kb, rules, counts, minimum))
    return paths


def _report(result: ScreenResult, kb: KnowledgeBase, rules: tuple[ScreenRule, ...],
            counts: list[tuple[str, dict[str, int | None]]], minimum: int) -> str:
    e = html.escape
    pack = kb.pack(PACK)
    shown = {name: cells["total"] for name, cells in counts if name != "all_patients"}
    top = max([v for v in shown.values() if v] or [1])
    bars = []
    for i, (name, value) in enumerate(shown.items()):
        width = 0 if value is None else 300 * value / top
        label = f"suppressed (under {minimum})" if value is None else f"{value} patients"
        bars.append(f'<rect x="230" y="{i * 28}" width="{width:.0f}" height="20" fill="#4a6fa5"/>'
                    f'<text x="0" y="{i * 28 + 15}">{e(name)}</text>'
                    f'<text x="{240 + width:.0f}" y="{i * 28 + 15}">{e(label)}</text>')
    chart = (f'<svg role="img" aria-label="patients flagged per rule" width="720" '
             f'height="{28 * len(shown)}" font-size="13">{"".join(bars)}</svg>')
    rule_rows = []
    for rule in rules:
        params = "; ".join(
            f"{p} = {kb.value(f'{PACK}.{p}')} {kb.parameter(f'{PACK}.{p}').unit or ''}"
            for p in rule.parameters)
        cites = "; ".join(s["citation"] for s in kb.cite(PACK, rule.source))
        rule_rows.append(f"<tr><td>{e(rule.id)}</td><td>{e(rule.definition)}</td>"
                         f"<td>{e(params)}</td><td>{e(cites)} [{e(rule.tag or '')}]</td></tr>")
    count_rows = "".join(
        "<tr><td>" + e(name) + "</td>" + "".join(
            f"<td>{'suppressed' if cells[k] is None else cells[k]}</td>"
            for k in (*_SEXES, "total")) + "</tr>" for name, cells in counts)
    versions = ", ".join(f"{k}@{v}" for k, v in sorted(result.knowledge.items()))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clepath screening {result.as_of}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border:1px solid #ccc;
padding:4px;vertical-align:top}}table{{border-collapse:collapse}}</style></head><body>
<h1>Population screening as of {result.as_of}</h1>
<p>Decision support: every flag was confirmed by the clepath assessment engine on the
patient's own resources; it is a prompt to review, not a decision.</p>
<h2>Patients flagged per rule</h2>{chart}
<h2>Counts</h2><p>Cells under {minimum} patients are suppressed, with complementary suppression.</p>
<table><tr><th>rule</th>{''.join(f'<th>{s}</th>' for s in (*_SEXES, 'total'))}</tr>
{count_rows}</table>
<h2>Rules</h2><table><tr><th>rule</th><th>definition</th><th>parameters</th><th>sources</th></tr>
{''.join(rule_rows)}</table>
<h2>Run</h2><p>{result.files} files, {sum(result.resources.values())} resources,
{len(result.bad_lines)} bad lines skipped, {result.deleted} deletions applied,
{len(result.disagreements)} pre-filter flags not confirmed by the engine,
{result.seconds:.1f} s.</p>
<p>Knowledge: {e(versions)} (screening pack {e(pack.ref)}).</p>
</body></html>
"""
