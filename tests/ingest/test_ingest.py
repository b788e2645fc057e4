"""Reading case-report text: normalisation, patients, drugs, doses, labs, assertion, provenance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from clepath.casefile import parse_case
from clepath.ingest import extract, ingest_text, write_outputs
from clepath.ingest.normalise import normalise
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import ROOT, SHARED

DEV = Path(os.environ.get("CLEPATH_CASE_REPORTS", SHARED / "case-reports"))
SEED_TEXT = SHARED / "seed" / "case-report.txt"

# Written for these tests (the project's own words, not a published text).
TWO_PATIENTS = "\n".join(
    [
        "Two patients with refractory discoid lupus",
        "",
        "Patient 1",
        "A 52-year-old man with generalised DLE had not responded to HCQ and MTX; azathioprine "
        "(AZA) was stopped because of nausea. He was weighing 82 kg. His ANA was 1:320 and "
        "anti-Ro was negative. IVIG $500\\,\\text{mg/kg/day}$ × four days was started, followed "
        "by 1 g/kg monthly for 3 months, and the plaques cleared.",
        "",
        "Patient 2",
        "A 29\u2011year\u2011old woman had subacute lupus induced by terbinafine. She was "
        "currently on mycophenolate (MMF) 1 g twice daily and quinacrine (QC) 100 mg daily. Her "
        "white cell count was 2,900 cells/mm³ and C3 was low.",
    ]
)

COHORT = (
    "We reviewed sixteen patients with cutaneous lupus treated with intravenous "
    "immunoglobulin at our centre. The median dose was 2 g/kg per course."
)


def _by_field(draft: Any) -> dict[str, Any]:
    return {f["field"]: f for f in draft.fields}


class TestNormalise:
    def test_latex_dashes_superscripts_and_number_words(self) -> None:
        """LaTeX, ×, en dashes, superscripts and number words become the grammar's plain form."""
        n = normalise("leukopenia ($1300/\\text{mm}^3$), 5–10 g/day × four days, 10⁹/L, mm³")

        assert "leukopenia (1300/mm3), 5-10 g/day x 4 days, 10^9/L, mm3" == n.text

    @given(st.text(alphabet=st.sampled_from(list("ab 12.$\\{}^–×³⁹-five")), max_size=60))
    def test_offsets_always_point_into_the_original(self, text: str) -> None:
        """Every normalised character maps to a non-empty span inside the original text."""
        n = normalise(text)

        assert len(n.starts) == len(n.text) and all(
            0 <= s < e <= len(text) for s, e in zip(n.starts, n.ends, strict=True)
        )


class TestSyntheticReport:
    def test_two_patients_give_two_drafts(self, kb: KnowledgeBase) -> None:
        """ "Patient 1" and "Patient 2" give two drafts whose facts are not merged."""
        drafts = extract(TWO_PATIENTS, kb, "two").patients

        assert [(52, "male"), (29, "female")] == [
            (d.case["patient"]["age"], d.case["patient"]["sex"]) for d in drafts
        ]

    def test_statuses_of_each_drug(self, kb: KnowledgeBase) -> None:
        """HCQ and MTX failed, AZA stopped for nausea, terbinafine a cause, MMF ongoing."""
        first, second = extract(TWO_PATIENTS, kb, "two").patients
        outcomes = {t["drug"]: t["outcome"] for t in first.case["therapies"]}
        second_drugs = {t["drug"]: t.get("outcome") for t in second.case["therapies"]}
        causes = [n["value"] for n in second.notes if n["field"] == "cause_of_disease"]

        assert (
            {
                "hydroxychloroquine": "failed",
                "methotrexate": "failed",
                "azathioprine": "intolerant",
            },
            ["terbinafine"],
            "ongoing",
        ) == (
            {k: outcomes[k] for k in ("hydroxychloroquine", "methotrexate", "azathioprine")},
            causes,
            second_drugs["mycophenolate mofetil"],
        )

    def test_ivig_per_day_dose_times_days_and_monthly_maintenance(self, kb: KnowledgeBase) -> None:
        """500 mg/kg/day x 4 days is a 2 g/kg induction; 1 g/kg monthly for 3 months is 3 cycles."""
        first = extract(TWO_PATIENTS, kb, "two").patients[0]

        assert {
            "induction": {"dose": "2 g/kg", "days": 4},
            "maintenance": {"dose": "1 g/kg", "every": "1 mo", "cycles": 3},
        } == first.case["requests"]["ivig"]

    def test_labs_titre_negation_and_thousands(self, kb: KnowledgeBase) -> None:
        """ANA 1:320, anti-Ro negative, WBC 2900 /mm3 (from '2,900 cells/mm³') and C3 low."""
        first, second = extract(TWO_PATIENTS, kb, "two").patients
        labs = [
            {k: v for k, v in lab.items() if k != "date"}
            for lab in first.case["labs"] + second.case["labs"]
        ]

        assert [
            {"test": "ana", "value": "1:320"},
            {"test": "anti_ro", "result": "negative"},
            {"test": "wbc", "value": 2900.0, "unit": "/mm3"},
            {"test": "c3", "result": "low"},
        ] == labs

    def test_abbreviations_resolve_through_the_drug_vocabulary(self, kb: KnowledgeBase) -> None:
        """MMF 1 g twice daily and QC 100 mg daily are read with their doses and frequencies."""
        second = extract(TWO_PATIENTS, kb, "two").patients[1]
        rows = {t["drug"]: (t.get("dose"), t.get("frequency")) for t in second.case["therapies"]}

        assert {
            "mycophenolate mofetil": ("1 g", "twice daily"),
            "quinacrine": ("100 mg", "daily"),
        } == rows

    def test_weight_is_read_with_its_unit(self, kb: KnowledgeBase) -> None:
        """'weighing 82 kg' gives the patient's weight as 82 kg."""
        first = extract(TWO_PATIENTS, kb, "two").patients[0]

        assert "82 kg" == first.case["patient"]["weight"]

    def test_cohort_summary_gives_no_case_file(self, kb: KnowledgeBase) -> None:
        """'sixteen patients' is a cohort record of 16, never a draft case file."""
        result = extract(COHORT, kb, "cohort")

        assert ([], [16]) == (result.patients, [c["n"] for c in result.cohorts])

    def test_draft_validates_once_dates_are_filled(self, kb: KnowledgeBase) -> None:
        """With as_of and lab dates filled, the first draft is a valid case with 3 IVIG cycles."""
        first = extract(TWO_PATIENTS, kb, "two").patients[0]
        data = dict(first.case, as_of="2024-05-01")
        data["labs"] = [dict(lab, date="2024-04-20") for lab in data["labs"]]

        case = parse_case(data, kb)

        assert 3 == case.ivig_request.maintenance.cycles  # type: ignore[union-attr]


def _check_spans(original: str, fields: list[dict[str, Any]], kb: KnowledgeBase) -> list[str]:
    """Problems where a field's value is not inside its cited span of the original text."""
    bad: list[str] = []
    for f in fields:
        s, e = f["span"]
        cited = original[s:e]
        if cited != f["text"]:
            bad.append(f"{f['field']}: text differs from span")
        plain = normalise(cited).text
        if f["matched"] not in plain:
            bad.append(f"{f['field']}: {f['matched']!r} not in {plain!r}")
        value = f["value"]
        if "vocabulary" in f["rule"]:
            continue  # a term: the matched text (checked above) is the literal behind it
        if f.get("derived"):
            parts = f["components"]
            if f"{parts['per_day']:g}" not in plain or str(parts["days"]) not in plain:
                bad.append(f"{f['field']}: components not in {plain!r}")
        elif "word" in f:
            if f["word"] not in plain:
                bad.append(f"{f['field']}: {f['word']!r} not in {plain!r}")
        elif isinstance(value, bool):
            continue
        elif isinstance(value, (int, float)):
            if f"{value:g}" not in plain.replace(",", ""):
                bad.append(f"{f['field']}: {value} not in {plain!r}")
        elif isinstance(value, str) and any(ch.isdigit() for ch in value):
            if value.split()[0] not in plain:
                bad.append(f"{f['field']}: {value} not in {plain!r}")
    return bad


def _dev_texts() -> list[Path]:
    return sorted(DEV.glob("*.txt")) + ([SEED_TEXT] if SEED_TEXT.exists() else [])


class TestProvenance:
    def test_every_value_lies_inside_its_span_synthetic(self, kb: KnowledgeBase) -> None:
        """Every field drafted from the bundled texts cites a span that contains its value."""
        for text in (TWO_PATIENTS, COHORT):
            for draft in extract(text, kb, "t").patients:
                assert [] == _check_spans(text, draft.fields, kb)

    @pytest.mark.skipif(not _dev_texts(), reason="development set not present")
    def test_every_value_lies_inside_its_span_dev_set(self, kb: KnowledgeBase) -> None:
        """Over the development set, no drafted value lies outside the text it cites."""
        for path in _dev_texts():
            text = path.read_text(encoding="utf-8")
            for draft in extract(text, kb, path.stem).patients:
                assert [] == _check_spans(text, draft.fields, kb), path.name

    @given(
        dose=st.integers(min_value=1, max_value=900),
        days=st.integers(min_value=2, max_value=9),
        age=st.integers(min_value=18, max_value=89),
        sep=st.sampled_from([" ", "", "\u00a0"]),
    )
    def test_generated_doses_are_cited_where_written(
        self, kb: KnowledgeBase, dose: int, days: int, age: int, sep: str
    ) -> None:
        """A generated report's age and methotrexate dose are read exactly, inside their spans."""
        text = (
            f"A {age}-year-old woman with discoid lupus failed hydroxychloroquine. "
            f"Methotrexate {dose}{sep}mg weekly for {days} weeks was started and she improved."
        )
        draft = extract(text, kb, "g").patients[0]
        fields = _by_field(draft)

        assert (age, float(dose), []) == (
            fields["patient.age"]["value"],
            fields["therapies[1].dose"]["value"],
            _check_spans(text, draft.fields, kb),
        )


@pytest.mark.skipif(not SEED_TEXT.exists(), reason="seed text not present")
class TestSeed:
    def test_eight_failed_drugs(self, kb: KnowledgeBase) -> None:
        """The seed's eight previously failed drugs are all drafted as failed."""
        draft = extract(SEED_TEXT.read_text(encoding="utf-8"), kb, "seed").patients[0]
        failed = [t["drug"] for t in draft.case["therapies"] if t["outcome"] == "failed"]

        assert [
            "hydroxychloroquine",
            "azathioprine",
            "methotrexate",
            "dapsone",
            "cyclophosphamide",
            "mycophenolate mofetil",
            "tacrolimus",
            "rituximab",
            "deflazacort",
            "apremilast",
        ] == failed

    def test_labs_are_affirmed_not_negated(self, kb: KnowledgeBase) -> None:
        """WBC 1300 /mm3, low C4, anti-dsDNA and anti-Ro positive despite 'without any response'."""
        draft = extract(SEED_TEXT.read_text(encoding="utf-8"), kb, "seed").patients[0]

        assert [
            {"test": "wbc", "date": None, "value": 1300.0, "unit": "/mm3"},
            {"test": "c4", "date": None, "result": "low"},
            {"test": "anti_dsdna", "date": None, "result": "positive"},
            {"test": "anti_ro", "date": None, "result": "positive"},
        ] == draft.case["labs"]

    def test_ivig_regimen_and_deflazacort_taper(self, kb: KnowledgeBase) -> None:
        """IVIG 2 g/kg over 5 days, then 1 g/kg monthly x 4; deflazacort 18 mg tapered to 6 mg/d."""
        draft = extract(SEED_TEXT.read_text(encoding="utf-8"), kb, "seed").patients[0]
        deflazacort = [
            (t.get("dose"), t.get("frequency"), t["outcome"])
            for t in draft.case["therapies"]
            if t["drug"] == "deflazacort"
        ]

        assert (
            {
                "induction": {"dose": "2 g/kg", "days": 5},
                "maintenance": {"dose": "1 g/kg", "every": "1 mo", "cycles": 4},
            },
            [("18 mg", None, "failed"), ("6 mg", "daily", "ongoing")],
        ) == (draft.case["requests"]["ivig"], deflazacort)

    def test_background_drugs_are_not_the_patients(self, kb: KnowledgeBase) -> None:
        """Thalidomide, named only in the literature paragraph, is background, not a therapy."""
        result = extract(SEED_TEXT.read_text(encoding="utf-8"), kb, "seed")
        drafted = {t["drug"] for t in result.patients[0].case["therapies"]}

        assert (
            "thalidomide" in {b["drug"] for b in result.background},
            "thalidomide" in drafted,
        ) == (
            True,
            False,
        )


class TestCommand:
    def test_ingest_writes_draft_and_provenance(self, tmp_path: Path) -> None:
        """`clepath ingest` writes one YAML draft and one provenance file per patient."""
        report = tmp_path / "two.txt"
        report.write_text(TWO_PATIENTS, encoding="utf-8")

        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "clepath.cli.main",
                "ingest",
                str(report),
                "--out",
                str(tmp_path / "out"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

        assert 0 == result.returncode, result.stderr
        names = sorted(p.name for p in (tmp_path / "out").iterdir())
        provenance = json.loads((tmp_path / "out" / "two-1.provenance.json").read_text())
        draft = yaml.safe_load((tmp_path / "out" / "two-2.yaml").read_text())
        assert (
            ["two-1.provenance.json", "two-1.yaml", "two-2.provenance.json", "two-2.yaml"],
            "drugs",
            29,
        ) == (names, next(iter(provenance["knowledge"])) and "drugs", draft["patient"]["age"])

    def test_cohort_file(self, kb: KnowledgeBase, tmp_path: Path) -> None:
        """A cohort summary is written to <report>-cohort.json with n = 16 and no YAML."""
        written = write_outputs(ingest_text(COHORT, kb, "c"), tmp_path)

        assert (["c-cohort.json"], 16) == (
            [p.name for p in written],
            json.loads(written[0].read_text())["cohorts"][0]["n"],
        )

    def test_missing_file_is_a_clear_error(self, tmp_path: Path) -> None:
        """A report that does not exist gives exit code 1 and names REPORT, not a traceback."""
        result = subprocess.run(
            [sys.executable, "-m", "clepath.cli.main", "ingest", str(tmp_path / "none.txt")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

        assert (1, True, False) == (
            result.returncode,
            "REPORT" in result.stderr,
            "Traceback" in result.stderr,
        )


class TestTraps:
    def test_ivig_as_cause_of_the_rash_is_not_a_treatment(self, kb: KnowledgeBase) -> None:
        """IVIG given for myositis and blamed for new SCLE is a cause, with no course or request."""
        text = (
            "A 58-year-old woman with dermatomyositis received IVIG 2 g/kg. Two weeks after the "
            "third IVIG infusion she developed annular SCLE lesions on the arms, which we "
            "attributed to IVIG. IVIG was discontinued and the lesions resolved."
        )
        draft = extract(text, kb, "t").patients[0]

        assert (None, None, ["intravenous immunoglobulin"]) == (
            draft.case.get("therapies"),
            draft.case.get("requests"),
            [n["value"] for n in draft.notes if n["field"] == "cause_of_disease"],
        )

    def test_absolute_dose_range_is_left_unresolved(self, kb: KnowledgeBase) -> None:
        """'five–ten g/day' is a 5-10 g/d range: listed unresolved, no dose in the draft."""
        text = "A 40-year-old man with refractory DLE was treated with IVIG five–ten g/day."
        draft = extract(text, kb, "t").patients[0]
        ranges = [(u["low"], u["high"], u["unit"]) for u in draft.unresolved if "low" in u]

        assert ([(5.0, 10.0, "g/d")], None) == (ranges, draft.case["therapies"][0].get("dose"))

    def test_no_dose_stated_means_no_dose_drafted(self, kb: KnowledgeBase) -> None:
        """A report naming IVIG without a dose drafts no dose and no IVIG regimen."""
        text = "A 33-year-old woman with SCLE was given intravenous immunoglobulin and improved."
        draft = extract(text, kb, "t").patients[0]

        assert ([{"drug": "intravenous immunoglobulin", "outcome": "responded"}], None) == (
            draft.case["therapies"],
            draft.case.get("requests"),
        )

    def test_literature_sentence_in_the_story_is_background(self, kb: KnowledgeBase) -> None:
        """Thalidomide cited from the literature ([3]) is a background mention, not a course."""
        text = (
            "A 33-year-old woman with SCLE was given hydroxychloroquine 200 mg twice daily. "
            "Thalidomide has been used in refractory cases [3]."
        )
        result = extract(text, kb, "t")

        assert (["hydroxychloroquine"], ["thalidomide"]) == (
            [t["drug"] for t in result.patients[0].case["therapies"]],
            [b["drug"] for b in result.background],
        )

    def test_negated_history_is_not_a_course(self, kb: KnowledgeBase) -> None:
        """'no history of hydroxychloroquine use' drafts no hydroxychloroquine course."""
        text = "A 61-year-old woman had SCLE. She had no history of hydroxychloroquine use."
        draft = extract(text, kb, "t").patients[0]

        assert (None, ["hydroxychloroquine"]) == (
            draft.case.get("therapies"),
            [n["value"] for n in draft.notes if n["field"] == "negated_drug"],
        )


ORDINAL_PATIENTS = (
    "We describe two patients with refractory cutaneous lupus. The first patient, a "
    "34-year-old woman with DLE, had failed hydroxychloroquine and thalidomide. She received "
    "IVIG 0.4 g/kg/day for 5 days every 4 weeks for 6 cycles with marked improvement. The second "
    "patient, a 51-year-old man with SCLE, was treated with mepacrine 100 mg daily; azathioprine "
    "was discontinued due to hepatotoxicity. His C3 was 0.6 g/L and anti-Ro antibodies were "
    "negative."
)


class TestNarrative:
    def test_ordinal_patients_and_their_failed_drugs(self, kb: KnowledgeBase) -> None:
        """'The first/second patient' split the text; 'had failed' marks HCQ and thalidomide."""
        first, second = extract(ORDINAL_PATIENTS, kb, "n").patients
        failed = [t["drug"] for t in first.case["therapies"] if t["outcome"] == "failed"]

        assert (["hydroxychloroquine", "thalidomide"], 51) == (
            failed,
            second.case["patient"]["age"],
        )

    def test_baseline_labs_after_a_treatment_sentence_are_kept(self, kb: KnowledgeBase) -> None:
        """C3 0.6 g/L and a negative anti-Ro, stated after a treatment sentence, stay labs."""
        second = extract(ORDINAL_PATIENTS, kb, "n").patients[1]

        assert [
            {"test": "c3", "date": None, "value": 0.6, "unit": "g/L"},
            {"test": "anti_ro", "date": None, "result": "negative"},
        ] == second.case["labs"]

    def test_group_subtype_and_repeated_course_are_left_to_confirm(self, kb: KnowledgeBase) -> None:
        """'DLE' names no single subtype and 0.4 g/kg/day x 5 every 4 weeks x 6 is not guessed."""
        first = extract(ORDINAL_PATIENTS, kb, "n").patients[0]
        open_fields = {u["field"] for u in first.unresolved}

        assert (
            {"cle[0].subtype", "requests.ivig.maintenance"} <= open_fields,
            {"induction": {"dose": "2 g/kg", "days": 5}},
        ) == (True, first.case["requests"]["ivig"])
