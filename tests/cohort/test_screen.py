"""Population screening: planted cases found exactly, engine agreement, outputs, bad lines,
deletions and incremental runs."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.cohort.generate import RULES, generate_cohort
from clepath.cohort.output import suppress
from clepath.cohort.screen import run_screen
from clepath.fhir.importer import import_bundle
from clepath.knowledge.loader import load_knowledge

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cohort")
    generate_cohort(out, 480, seed=11, as_of=AS_OF, plant_every=2)
    return out


@pytest.fixture(scope="module")
def result(cohort, kb):
    return run_screen([cohort], kb, AS_OF)


def _truth(folder: Path, kind: str = "planted") -> set[tuple[str, str]]:
    with (folder / "ground_truth.csv").open() as fh:
        return {(r["patient"], r["rule"]) for r in csv.DictReader(fh) if r["kind"] == kind}


def test_planted_cases_found_with_full_precision_and_recall(cohort, result) -> None:
    """Every planted patient is flagged for its rule and nobody else is (decoys included)."""
    flagged = {(f.patient, f.rule) for f in result.flags}
    planted = _truth(cohort)

    assert {r for _, r in planted} == set(RULES)
    assert len(planted) == 4 * 30  # 480 patients, a block of 8 every 2nd block of 8
    assert flagged == planted
    assert not flagged & _truth(cohort, "decoy")


def test_every_flag_agrees_with_the_engine(result) -> None:
    """The SQL pre-filter and clepath's engine modules agree on every flagged patient."""
    assert result.disagreements == []
    assert all(n == 30 for n in result.candidates.values())


def test_hcq_flag_value_is_daily_mg_over_latest_weight(cohort, result) -> None:
    """The HCQ value is 400 mg/day over the latest weight before as_of, above 5 mg/kg."""
    hcq = [f for f in result.flags if f.rule == "hcq_above_5_mg_per_kg"]
    weights: dict[str, list[tuple[str, float]]] = {}
    for line in (cohort / "Observation.ndjson").read_bytes().splitlines():
        res = orjson.loads(line)
        if res["code"]["coding"][0]["code"] == "29463-7":
            day = res["effectiveDateTime"][:10]
            if day <= AS_OF.isoformat():
                pid = res["subject"]["reference"][8:]
                weights.setdefault(pid, []).append((day, res["valueQuantity"]["value"]))
    for flag in hcq:
        latest = max(weights[flag.patient])[1]
        assert flag.value == pytest.approx(400 / latest, abs=1e-3)
        assert flag.value > 5.0 and flag.threshold == 5.0 and flag.unit == "mg/kg/d"


def test_glucocorticoid_flags_are_10_mg_prednisone_for_90_days(result) -> None:
    """Planted prednisone is two 5 mg tablets a day: 10 mg/day over the whole 90-day window."""
    gc = [f for f in result.flags if f.rule == "glucocorticoid_above_target"]
    assert gc and all(f.value == 10.0 and f.threshold == 5.0 for f in gc)


def test_unitless_tablet_count_is_read_as_mg_by_the_importer(kb) -> None:
    """Two tablets of RxNorm 979092 (200 mg), as the screen hands them to the engine, are
    imported as 400 mg of hydroxychloroquine: the screen and `clepath assess` read one way."""
    order = {"resourceType": "MedicationRequest", "id": "m", "status": "active",
             "subject": {"reference": "Patient/p"}, "authoredOn": "2025-01-01",
             "medicationCodeableConcept": {"coding": [{
                 "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "979092"}]},
             "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1,
                                                          "periodUnit": "d"}},
                                    "doseAndRate": [{"doseQuantity": {"value": 2.0}}]}]}
    case, _ = import_bundle([{"resourceType": "Patient", "id": "p"}, order], kb,
                            as_of=dt.date(2025, 6, 30), case_id="p", strict=False)

    (course,) = case.therapies
    assert (course.drug, course.dose_mg, course.daily_dose_mg) == ("hydroxychloroquine", 400.0,
                                                                   400.0)


def test_cohort_is_reproducible_by_seed(tmp_path) -> None:
    """The same seed writes byte-identical files; another seed does not."""
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate_cohort(tmp_path / name, 40, seed=seed, as_of=AS_OF)
    same = (tmp_path / "a" / "MedicationRequest.ndjson").read_bytes()
    assert same == (tmp_path / "b" / "MedicationRequest.ndjson").read_bytes()
    assert same != (tmp_path / "c" / "MedicationRequest.ndjson").read_bytes()


def test_bad_lines_are_skipped_and_counted_with_file_and_line(cohort, kb, result,
                                                              tmp_path) -> None:
    """A broken line, a wrong resource type and a value of the wrong JSON type (a weight of
    "high") are reported by file and line; flags unchanged."""
    copy = tmp_path / "export"
    shutil.copytree(cohort, copy)
    path = copy / "Observation.ndjson"
    lines = path.read_bytes().splitlines(keepends=True)
    lines.insert(2, b'{"resourceType": "Observation", "id": \n')
    lines.insert(5, b'{"resourceType": "Patient", "id": "x"}\n')
    lines.insert(8, b'{"resourceType": "Observation", "id": "w", "valueQuantity": '
                    b'{"value": "high", "unit": "kg"}}\n')
    path.write_bytes(b"".join(lines))

    again = run_screen([copy], kb, AS_OF)

    assert [(b.file, b.line) for b in again.bad_lines] == [("Observation.ndjson", 3),
                                                            ("Observation.ndjson", 6),
                                                            ("Observation.ndjson", 9)]
    assert "not a Observation" in again.bad_lines[1].reason
    assert again.bad_lines[2].reason == ('refused by the typed read: JSON transform error: '
                                         'Failed to cast value to numerical: "high"')
    assert {(f.patient, f.rule) for f in again.flags} == {(f.patient, f.rule)
                                                          for f in result.flags}


def test_manifest_outcome_key_and_gzip_files_are_read(kb, tmp_path) -> None:
    """An STU4 manifest (`outcome` instead of `error`) over .ndjson.gz files screens the same."""
    generate_cohort(tmp_path / "g", 64, seed=2, as_of=AS_OF, plant_every=1, gzip_files=True)
    manifest = json.loads((tmp_path / "g" / "manifest.json").read_text())
    manifest["outcome"] = manifest.pop("error")
    (tmp_path / "g" / "manifest.json").write_text(json.dumps(manifest))

    flags = run_screen([tmp_path / "g"], kb, AS_OF).flags

    assert {(f.patient, f.rule) for f in flags} == _truth(tmp_path / "g")


def _write_update(base: Path, update: Path, kb) -> tuple[str, str]:
    """A later export: one HCQ patient's weight rises to 95 kg, one IVIG order is deleted."""
    truth = sorted(_truth(base))
    hcq = next(p for p, r in truth if r == "hcq_above_5_mg_per_kg")
    ivig = next(p for p, r in truth if r == "ivig_without_review")
    update.mkdir()
    weight = {"resourceType": "Observation", "id": "update-weight", "status": "final",
              "meta": {"lastUpdated": "2025-06-30T12:00:00Z"},
              "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
              "subject": {"reference": f"Patient/{hcq}"},
              "effectiveDateTime": "2025-06-29T08:00:00Z",
              "valueQuantity": {"value": 95.0, "unit": "kg", "system":
                                "http://unitsofmeasure.org", "code": "kg"}}
    (update / "Observation.ndjson").write_bytes(orjson.dumps(weight) + b"\n")
    lines = (base / "MedicationRequest.ndjson").read_bytes().splitlines()
    order = next(r for r in map(orjson.loads, lines)
                 if r["subject"]["reference"] == f"Patient/{ivig}")
    (update / "deleted").mkdir()
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "DELETE", "url": f"MedicationRequest/{order['id']}"}}]}
    (update / "deleted" / "del.ndjson").write_bytes(orjson.dumps(bundle) + b"\n")
    (update / "manifest.json").write_text(json.dumps({
        "transactionTime": "2025-06-30T12:00:00Z", "output": [
            {"type": "Observation", "url": "Observation.ndjson"}], "error": [],
        "deleted": [{"type": "Bundle", "url": "deleted/del.ndjson"}]}))
    return hcq, ivig


def test_incremental_run_equals_full_run_over_the_union(cohort, kb, result, tmp_path) -> None:
    """Base + update gives the flags of one export holding the union; the changes count."""
    hcq, ivig = _write_update(cohort, tmp_path / "update", kb)
    incremental = run_screen([cohort, tmp_path / "update"], kb, AS_OF)
    union = tmp_path / "union"
    shutil.copytree(cohort, union)
    with (union / "Observation.ndjson").open("ab") as fh:
        fh.write((tmp_path / "update" / "Observation.ndjson").read_bytes())
    (union / "deleted").mkdir()
    shutil.copy(tmp_path / "update" / "deleted" / "del.ndjson", union / "deleted")
    full = run_screen([union], kb, AS_OF)

    got = {(f.patient, f.rule, f.value) for f in incremental.flags}
    assert got == {(f.patient, f.rule, f.value) for f in full.flags}
    before = {(f.patient, f.rule) for f in result.flags}
    after = {(f.patient, f.rule) for f in incremental.flags}
    assert before - after == {(hcq, "hcq_above_5_mg_per_kg"), (ivig, "ivig_without_review")}
    assert incremental.deleted == 1


def test_cli_outputs(cohort, tmp_path) -> None:
    """The command writes flags.csv, parquet, Groups, suppressed counts and a report."""
    from typer.testing import CliRunner

    from clepath.cli.main import app

    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["screen", str(cohort), "--as-of", "2025-06-30",
                                   "--out", str(out)])
    assert run.exit_code == 0, run.output
    rows = list(csv.DictReader((out / "flags.csv").read_text().splitlines()))
    assert len(rows) == 120
    hcq = next(r for r in rows if r["rule"] == "hcq_above_5_mg_per_kg")
    assert hcq["unit"] == "mg/kg/d" and hcq["threshold"] == "5" and float(hcq["value"]) > 5
    assert len(hcq["evidence"].split(";")) == 2  # the order and the weight
    group = json.loads((out / "groups" / "ivig_without_review.json").read_text())
    assert group["resourceType"] == "Group" and group["quantity"] == 30
    assert len(group["member"]) == 30
    page = (out / "report.html").read_text()
    assert "screening@0.2.0" in page and "EULAR recommendations" in page
    import duckdb

    assert duckdb.sql(f"SELECT count(*) FROM '{out / 'flags.parquet'}'").fetchall() == [(120,)]
    counts = list(csv.DictReader((out / "counts.csv").read_text().splitlines()))
    assert counts[0]["rule"] == "all_patients" and counts[0]["total"] == "480"


def test_screen_refuses_a_missing_folder_and_a_bad_date(tmp_path) -> None:
    """Bad input gets a field-by-field error and exit code 1, not a traceback."""
    from typer.testing import CliRunner

    from clepath.cli.main import main

    for args in (["screen", str(tmp_path / "nope"), "--as-of", "2025-06-30", "--out", "o"],
                 ["screen", str(tmp_path), "--as-of", "30/06/2025", "--out", "o"]):
        import sys

        old = sys.argv
        sys.argv = ["clepath", *args]
        try:
            with pytest.raises(SystemExit) as exit_info:
                main()
        finally:
            sys.argv = old
        assert exit_info.value.code == 1
    del CliRunner


@given(st.dictionaries(st.sampled_from(["female", "male", "other", "unknown"]),
                       st.integers(0, 40), min_size=4, max_size=4), st.integers(1, 15))
def test_no_suppressed_cell_can_be_recovered_by_subtraction(cells, minimum) -> None:
    """Shown cells are 0 or at least the minimum, and no row has exactly one hidden cell
    beside a shown total, so subtraction never reveals a hidden count."""
    total = sum(cells.values())
    out = suppress(cells, total, minimum)
    shown = [v for k, v in out.items() if k != "total" and v is not None]
    hidden = [k for k, v in out.items() if k != "total" and v is None]

    assert all(v == 0 or v >= minimum for v in shown)
    if out["total"] is not None:
        assert out["total"] >= minimum
        assert len(hidden) != 1
        if hidden:  # what subtraction gives is the sum of at least two hidden cells
            assert out["total"] - sum(shown) == sum(cells[k] for k in hidden)
    for k in cells:
        if 0 < cells[k] < minimum:
            assert out[k] is None


def test_cli_since_applies_an_update_on_the_kept_state(cohort, kb, tmp_path) -> None:
    """`--since` after a full run gives the union's flags: a heavier weight clears one HCQ flag
    and a deleted IVIG order clears one IVIG flag; `state.json` lists both exports."""
    from typer.testing import CliRunner

    from clepath.cli.main import app

    hcq, ivig = _write_update(cohort, tmp_path / "update", kb)
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["screen", str(cohort), "--as-of", "2025-06-30", "--out",
                                str(out)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["screen", str(tmp_path / "update"), "--as-of", "2025-06-30",
                                "--out", str(out), "--since", "2025-06-30"])
    assert again.exit_code == 0, again.output

    rows = list(csv.DictReader((out / "flags.csv").read_text().splitlines()))
    pairs = {(r["patient"], r["rule"]) for r in rows}
    assert len(rows) == 118
    assert (hcq, "hcq_above_5_mg_per_kg") not in pairs
    assert (ivig, "ivig_without_review") not in pairs
    state = json.loads((out / "state.json").read_text())
    assert [Path(p).name for p in state["exports"]] == [cohort.name, "update"]


def test_export_without_manifest_is_read_by_file_name(cohort, kb, result, tmp_path) -> None:
    """With no manifest (e.g. only a log.ndjson), files are typed by name; same flags."""
    copy = tmp_path / "plain"
    shutil.copytree(cohort, copy)
    (copy / "manifest.json").unlink()
    (copy / "log.ndjson").write_text('{"eventId": "kickoff"}\n')

    flags = run_screen([copy], kb, AS_OF).flags

    assert flags == result.flags


def test_weight_in_pounds_is_converted_not_read_as_kg(cohort, kb, tmp_path) -> None:
    """A latest weight of 132 lb (59.9 kg) flags HCQ 400 mg/day at 6.68 mg/kg, as assess does."""
    copy = tmp_path / "lb"
    shutil.copytree(cohort, copy)
    pid = "lb-patient"
    resources = [
        {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1980-01-01"},
        {"resourceType": "Observation", "id": "lb-w", "status": "final",
         "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
         "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": "2025-06-01",
         "valueQuantity": {"value": 132, "unit": "lb", "system": "http://unitsofmeasure.org",
                           "code": "[lb_av]"}},
        {"resourceType": "MedicationRequest", "id": "lb-hcq", "status": "active",
         "intent": "order", "authoredOn": "2024-01-01",
         "subject": {"reference": f"Patient/{pid}"},
         "medicationCodeableConcept": {"coding": [{
             "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "979092"}]},
         "dosageInstruction": [{"timing": {"repeat": {"frequency": 2, "period": 1,
                                                      "periodUnit": "d"}},
                                "doseAndRate": [{"doseQuantity": {"value": 1.0}}]}]},
    ]
    for res in resources:
        with (copy / f"{res['resourceType']}.ndjson").open("ab") as fh:
            fh.write(orjson.dumps(res) + b"\n")

    flags = [f for f in run_screen([copy], kb, AS_OF).flags if f.patient == pid]

    assert [(f.rule, f.value) for f in flags] == [
        ("hcq_above_5_mg_per_kg", round(400 / (132 * 0.45359237), 3))]
