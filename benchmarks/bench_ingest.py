"""Field-level precision and recall of `clepath ingest` on the development set, and its speed.

The development set (real public case texts, licences that keep them out of this repository)
lives in `../shared/case-reports/` beside the repository, or where CLEPATH_CASE_REPORTS points.
A field counts as correct only when its value and its unit both match the expected fact.

Run: .venv/bin/python benchmarks/bench_ingest.py [--dir PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from clepath.ingest import ingest_text
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = Path(os.environ.get("CLEPATH_CASE_REPORTS", ROOT.parent / "shared" / "case-reports"))
_DOSE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mg|g)(?:/(kg|d))?\s*$")


def _dose(text: Any) -> tuple[float, str] | None:
    m = _DOSE.match(str(text))
    if not m:
        return None
    return float(m.group(1)), m.group(2) + (f"/{m.group(3)}" if m.group(3) == "kg" else "")


def expected_facts(patient: dict[str, Any], kb: KnowledgeBase) -> dict[str, set[tuple[Any, ...]]]:
    """The facts of one expected patient, per field, as comparable tuples."""
    drug = kb.vocabulary("drug").resolve
    facts: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    if "age" in patient:
        facts["age"].add((patient["age"]["value"], patient["age"].get("unit", "a")))
    if "sex" in patient:
        facts["sex"].add((patient["sex"]["value"],))
    subtype = patient.get("disease", {}).get("cle_subtype")
    for item in subtype if isinstance(subtype, list) else []:
        # the expected files spell subtypes loosely (dle_generalised); try the usual spellings
        words = item.replace("_", " ")
        tries = (item, words, words.replace("generalised", "generalized"),
                 " ".join(reversed(words.split())))  # fmt: skip
        resolved = next((r for t in tries if (r := kb.vocabulary("cle_subtype").resolve(t))), None)
        facts["cle_subtype"].add((resolved or item,))
    for name in patient.get("failed_drugs", []) or []:
        facts["failed_drug"].add((drug(name) or name,))
    for key in ("current_drugs_at_ivig", "drugs", "current_drugs"):
        for item in patient.get(key, []) or []:
            if not isinstance(item, dict) or drug(str(item.get("drug"))) is None:
                continue
            dose = _dose(item.get("dose"))
            if dose:
                facts["drug_dose"].add((drug(item["drug"]), *dose))
    for item in patient.get("other_changes", []) or []:
        dose = _dose(item.get("new_dose"))
        if dose and drug(item["drug"]):
            facts["drug_dose"].add((drug(item["drug"]), *dose))
    for lab in patient.get("labs", []) or []:
        test = lab["test"]
        if "value" in lab and "unit" in lab:
            facts["lab"].add((test, float(lab["value"]), lab["unit"]))
        elif "titre" in lab:
            facts["lab"].add((test, str(lab["titre"])))
        elif "result" in lab:
            facts["lab"].add((test, lab["result"]))
    ivig = patient.get("ivig")
    if isinstance(ivig, dict) and ivig.get("role") == "treatment":
        ind, mnt = ivig.get("induction", {}), ivig.get("maintenance", {})
        if ind:
            facts["ivig_induction"].add((*(_dose(ind["total_dose"]) or ()), ind.get("days")))
        if mnt:
            facts["ivig_maintenance"].add(
                (*(_dose(mnt["dose"]) or ()), mnt.get("every"), mnt.get("cycles"))
            )
    return facts


def found_facts(case: dict[str, Any]) -> dict[str, set[tuple[Any, ...]]]:
    """The same facts read from a draft case file."""
    facts: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    patient = case.get("patient", {})
    if "age" in patient:
        facts["age"].add((patient["age"], "a"))
    if "sex" in patient:
        facts["sex"].add((patient["sex"],))
    for entry in case.get("cle", []):
        if entry["subtype"] != "unspecified":
            facts["cle_subtype"].add((entry["subtype"],))
    for t in case.get("therapies", []):
        if t.get("outcome") == "failed" and not t.get("dose"):
            facts["failed_drug"].add((t["drug"],))
        elif t.get("outcome") == "failed":
            pass  # a failed course with a dose is a current drug that failed, not the list
        dose = _dose(t["dose"]) if t.get("dose") else None
        if dose and not dose[1].endswith("/kg"):
            facts["drug_dose"].add((t["drug"], *dose))
    for lab in case.get("labs", []):
        if "unit" in lab:
            facts["lab"].add((lab["test"], float(lab["value"]), lab["unit"]))
        elif "value" in lab:
            facts["lab"].add((lab["test"], str(lab["value"])))
        elif "result" in lab:
            facts["lab"].add((lab["test"], lab["result"]))
    ivig = case.get("requests", {}).get("ivig", {})
    if "induction" in ivig:
        ind = ivig["induction"]
        facts["ivig_induction"].add((*(_dose(ind["dose"]) or ()), ind.get("days")))
    if "maintenance" in ivig:
        m = ivig["maintenance"]
        facts["ivig_maintenance"].add((*(_dose(m["dose"]) or ()), m.get("every"), m.get("cycles")))
    return facts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT)
    args = parser.parse_args()
    texts = sorted(args.dir.glob("*.txt"))
    if not texts:
        print(f"no development set in {args.dir}; nothing measured")
        return 0
    t0 = time.perf_counter()
    kb = load_knowledge()
    ingest_text("warm-up: a 30-year-old woman received hydroxychloroquine 200 mg daily.", kb)
    print(f"first load (knowledge + warm-up): {time.perf_counter() - t0:.2f} s")
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    times: list[float] = []
    for path in texts:
        expected_path = path.with_suffix(".expected.yaml")
        if not expected_path.exists():
            continue
        expected = yaml.safe_load(expected_path.read_text(encoding="utf-8"))
        text = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        result = ingest_text(text, kb, path.stem)
        times.append(time.perf_counter() - start)
        drafts = result.extraction.patients
        wanted = expected.get("patients", [])
        print(
            f"{path.stem}: {len(drafts)} draft(s) for {len(wanted)} expected patient(s), "
            f"{times[-1] * 1000:.0f} ms"
        )
        for i in range(max(len(drafts), len(wanted))):
            exp = expected_facts(wanted[i], kb) if i < len(wanted) else {}
            got = found_facts(drafts[i].case) if i < len(drafts) else {}
            for field in set(exp) | set(got):
                e, g = exp.get(field, set()), got.get(field, set())
                tp[field] += len(e & g)
                fp[field] += len(g - e)
                fn[field] += len(e - g)
                for miss in sorted(map(str, e - g)):
                    print(f"   missed  {field}: {miss}")
                for extra in sorted(map(str, g - e)):
                    print(f"   extra   {field}: {extra}")
    print(f"\n{'field':18} {'tp':>3} {'fp':>3} {'fn':>3} {'precision':>9} {'recall':>7}")
    for field in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[field] / (tp[field] + fp[field]) if tp[field] + fp[field] else float("nan")
        r = tp[field] / (tp[field] + fn[field]) if tp[field] + fn[field] else float("nan")
        print(f"{field:18} {tp[field]:>3} {fp[field]:>3} {fn[field]:>3} {p:>9.2f} {r:>7.2f}")
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(
        f"{'all':18} {total_tp:>3} {total_fp:>3} {total_fn:>3} "
        f"{total_tp / (total_tp + total_fp):>9.2f} {total_tp / (total_tp + total_fn):>7.2f}"
    )
    print(
        f"time per report after first load: max {max(times) * 1000:.0f} ms, "
        f"median {statistics.median(times) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
