"""Write the project's hostile case files into tests/fuzz/corpus/ (run once; they are committed).

Each file is a small valid case with one hostile change; `expected.json` names the field the
error must name (or "" for a file that is valid and must be answered normally).
Run: .venv/bin/python -m tests.fuzz.make_corpus
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"

BASE = """clepath: 1
id: hostile-{name}
as_of: {as_of}
patient:
  sex: female
  birth_date: {birth}
  weight: {weight}
  height: {height}
labs:
  - {{test: wbc, date: 2021-03-01, value: {wbc}}}
  - {{test: creatinine, date: 2021-03-01, value: {creatinine}}}
clasi:
  - date: 2021-03-01
    regions:
      {region}: {{erythema: 2, scale: 1}}
      chest: {{erythema: 1}}
therapies:
  - {{drug: hydroxychloroquine, dose: {dose}, frequency: daily, start: 2020-01, outcome: ongoing}}
requests:
  ivig:
    induction: {{dose: 2 g/kg, days: 5}}
    start: {start}
"""
GOOD = {
    "as_of": "2021-03-02",
    "birth": "1980-07-14",
    "weight": "64 kg",
    "height": "5 ft 5 in",
    "wbc": "'3,900 /mm3'".replace(",", ""),
    "creatinine": "'0.8 mg/dl'",
    "region": "scalp",
    "dose": "200 mg",
    "start": "2021-03-08",
}


def _yaml(name: str, **changes: str) -> str:
    return BASE.format(name=name, **{**GOOD, **changes})


def files() -> dict[str, tuple[str, str]]:
    """file name -> (content, field the error must name; "" when the case is valid)."""
    bomb = ["clepath: 1", "id: bomb", "as_of: 2021-03-02", "x:"]
    bomb += [f"  - &n{i} [" + ", ".join([f"*n{i - 1}"] * 8 if i else ["ha"] * 8) + "]"
             for i in range(8)]
    bomb.append("y: *n7")
    deep_flow = "clepath: 1\nid: deep\nas_of: 2021-03-02\nfindings: " + "[" * 5000 + "]" * 5000
    deep_json = '{"clepath": 1, "id": "deep", "as_of": "2021-03-02", "labs": ' + (
        "[" * 3000 + "]" * 3000 + "}"
    )
    long_int = '{"clepath": 1, "id": "long", "as_of": "2021-03-02", "patient": {"age": ' + (
        "7" * 6000 + "}}"
    )
    long_weight = (
        '{"clepath": 1, "id": "long", "as_of": "2021-03-02", "patient": '
        '{"weight": {"value": 1' + "0" * 500 + ', "unit": "kg"}}}'
    )
    dup_json = '{"clepath": 1, "id": "dup", "as_of": "2021-03-02", "as_of": "2021-04-01"}'
    return {
        "valid-baseline.yaml": (_yaml("valid"), ""),
        "alias-bomb-8x8.yaml": ("\n".join(bomb) + "\n", "x[1][0]"),
        "as-of-year-1.yaml": (_yaml("year1", as_of="0001-01-01"), "as_of"),
        "birth-date-year-1.yaml": (_yaml("birth1", birth="0001-01-01"), "patient.birth_date"),
        "ivig-start-year-9999.yaml": (_yaml("start9999", start="9999-12-31"),
                                      "requests.ivig.start"),
        "impossible-date-feb-30.yaml": (_yaml("feb30", as_of="2021-02-30"), "as_of"),
        "impossible-month-13.yaml": (_yaml("month13", as_of="2021-13-01"), "as_of"),
        "deep-yaml-flow.yaml": (deep_flow + "\n", "deep-yaml-flow.yaml"),
        "deep-json-list.json": (deep_json, "deep-json-list.json"),
        "huge-integer-age.json": (long_int, "patient.age"),
        "huge-integer-weight.json": (long_weight, "patient.weight.value"),
        "float-overflow-creatinine.yaml": (_yaml("inf", creatinine="'1e308 mg/dL'"),
                                           "labs[1].value"),
        "zero-creatinine.yaml": (_yaml("zero", creatinine="'0 umol/L'"), "labs[1].value"),
        "duplicate-key.yaml": (_yaml("dup").replace("  sex: female\n",
                                                    "  sex: female\n  sex: male\n"),
                               "patient.sex"),
        "duplicate-key.json": (dup_json, "as_of"),
        "megagram-dose.yaml": (_yaml("mg", dose="200 Mg"), "therapies[0].dose"),
        "upper-case-dose.yaml": (_yaml("MG", dose="200 MG"), "therapies[0].dose"),
        "kilogram-dose.yaml": (_yaml("kg", dose="18 kg"), "therapies[0].dose"),
        "separator-wbc.yaml": (_yaml("sep", wbc="'1.300 /mm3'"), "labs[0].value"),
        "feet-14-inches.yaml": (_yaml("ft", height="5 ft 14 in"), "patient.height"),
        "clasi-null-region.yaml": (_yaml("null", region="~"), "clasi[0].regions.~"),
        "yaml-python-tag.yaml": (_yaml("tag").replace("sex: female",
                                                      "sex: !!python/name:os.system female"),
                                 "patient.sex"),
        "two-documents.yaml": (_yaml("two") + "---\nclepath: 1\n", "two-documents.yaml"),
    }


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    expected = {}
    for name, (content, field) in files().items():
        (CORPUS / name).write_text(content, encoding="utf-8")
        expected[name] = field
    (CORPUS / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


if __name__ == "__main__":
    main()
