"""Import of what was actually given or handed over: MedicationAdministration (infusion centres'
IVIG and rituximab) and MedicationDispense (pharmacy fills) grouped into courses, and the one
CodeableConcept walk shared by the importer and the medication recogniser."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.errors import CaseError
from clepath.fhir.concept import texts
from clepath.fhir.importer import bundle_to_case_data, import_bundle
from clepath.fhir.medication import recogniser
from clepath.knowledge.base import KnowledgeBase
from tests.fhir.ehr_fixtures import (
    medication,
    medication_administration,
    medication_dispense,
    medication_request,
    synthea_bundle,
    weight,
)

HCQ_SCD = ("979092", "Hydroxychloroquine Sulfate 200 MG Oral Tablet")
PRIVIGEN = "IMMUNE GLOBULIN (HUMAN) 10 % IV SOLN (PRIVIGEN)"
# induction 2 x 60 g on two days, then 60 g every 4 weeks (the published regimen's shape)
IVIG_DAYS = ("2019-06-03", "2019-06-04", "2019-07-01", "2019-07-29", "2019-08-26",
             "2019-09-23")


def _ivig_bundle(**extra: Any) -> dict[str, Any]:
    given = [medication_administration(f"ma-{i}", day, reference="Medication/priv",
                                       display=PRIVIGEN, grams=60, rate_ml_h=120, **extra)
             for i, day in enumerate(IVIG_DAYS)]
    return synthea_bundle(weight(60.0, "2019-05-20"),
                          medication("priv", PRIVIGEN, form="Solution"), *given)


def _read(bundle: dict[str, Any], as_of: dt.date) -> tuple[list[dict[str, Any]], Any]:
    result = bundle_to_case_data(bundle, KB, as_of=as_of)
    return result.data.get("therapies", []), result.report


@pytest.fixture(autouse=True)
def _kb(kb: KnowledgeBase) -> None:
    global KB
    KB = kb


KB: KnowledgeBase


class TestIvigAdministrations:
    def test_six_privigen_infusions_are_one_ivig_course_of_five_cycles(self) -> None:
        """Six Privigen administrations 2019-06-03…2019-09-23 are one IVIG course: started
        2019-06-03, intravenous, 120 g induction cycle then 60 g cycles every 4 weeks."""
        [course], report = _read(_ivig_bundle(), dt.date(2019, 10, 1))

        assert {"drug": "intravenous immunoglobulin", "route": "intravenous",
                "start": "2019-06-03", "dose": "120 g", "frequency": "every_4_weeks",
                "outcome": "ongoing"} == {k: v for k, v in course.items() if k != "note"}
        assert course["note"].startswith(
            f"6 administrations of {PRIVIGEN} 2019-06-03…2019-09-23 → one intravenous "
            "immunoglobulin course: 5 cycles")
        assert "doses 120 g, 60 g, 60 g, 60 g, 60 g" in course["note"]
        assert course["note"] in [i.reason for i in report.of_kind("inferred")]

    def test_the_course_reaches_the_assessment_as_grams_per_cycle(self) -> None:
        """Through the case parser: the course dose is 120 g (120,000 mg) per cycle, weekly
        rate 0.25 cycles, and 120 g for 60 kg is 2 g/kg, the pack's maximum, so no dose alert."""
        from clepath.engine.assess import assess

        case, _ = import_bundle(_ivig_bundle(), KB, as_of=dt.date(2019, 10, 1))
        [course] = case.therapies
        result = assess(case, KB)

        assert (120000.0, 0.25) == (course.dose_mg, course.doses_per_week)
        assert not {"dose_above_maximum", "duplicate_therapy"} & {a.code for a in result.alerts}

    def test_volume_of_a_10_percent_product_is_grams(self) -> None:
        """600 mL of Privigen 10 % given on one day is a 60 g administration."""
        bundle = synthea_bundle(medication_administration(
            "ma-ml", "2024-01-08", text="Privigen 10 % IV solution", ml=600))
        [course], report = _read(bundle, dt.date(2024, 1, 20))

        assert ("60 g", "intravenous immunoglobulin") == (course["dose"], course["drug"])
        assert any(i.reason == "dose 60 g = 600 mL x 100 mg/mL" for i in report.issues)

    def test_not_done_and_entered_in_error_are_skipped_with_the_reason(self) -> None:
        """A not-done and an entered-in-error infusion are not cycles; each is skipped with
        its status as the reason, and the course keeps 120 g, 60 g from the rest."""
        bundle = synthea_bundle(
            medication_administration("a1", "2024-01-08", text="Privigen 10 %", grams=60),
            medication_administration("a2", "2024-01-09", text="Privigen 10 %", grams=60),
            medication_administration("a3", "2024-02-05", text="Privigen 10 %", grams=60),
            medication_administration("a4", "2024-03-04", text="Privigen 10 %", grams=60,
                                      status="not-done"),
            medication_administration("a5", "2024-03-05", text="Privigen 10 %", grams=90,
                                      status="entered-in-error"))
        [course], report = _read(bundle, dt.date(2024, 3, 10))
        outcomes = {r.where: (r.outcome, r.reason) for r in report.resources}

        assert "120 g" == course["dose"]
        assert "3 administrations of Privigen 10 % 2024-01-08…2024-02-05" in course["note"]
        assert ("skipped", "status 'not-done': the administration was not given") == outcomes[
            "MedicationAdministration/a4"]
        assert ("skipped", "status 'entered-in-error': recorded in error") == outcomes[
            "MedicationAdministration/a5"]

    def test_infusion_rate_is_reported_as_not_read(self) -> None:
        """dosage.rateQuantity (120 mL/h) is named in the report as not read, per infusion."""
        _, report = _read(_ivig_bundle(), dt.date(2019, 10, 1))
        rate = [i for i in report.of_kind("skipped") if i.where.endswith(".dosage.rate")]

        assert 6 == len(rate)
        assert "infusion rate not read" in rate[0].reason

    def test_every_administration_is_accounted_to_the_course(self) -> None:
        """Each of the 6 administrations (and the Medication they name) has one outcome."""
        _, report = _read(_ivig_bundle(), dt.date(2019, 10, 1))
        outcomes = {r.where: r for r in report.resources}

        for i in range(6):
            outcome = outcomes[f"MedicationAdministration/ma-{i}"]
            assert ("inferred", True) == (outcome.outcome, outcome.reason.endswith(
                "→ therapies[0]"))
        assert "imported" == outcomes["Medication/priv"].outcome


class TestOtherAdministrations:
    def test_rituximab_two_infusions_two_weeks_apart(self) -> None:
        """Rituximab 1000 mg on 2023-03-01 and 2023-03-15, assessed a year later: one course of
        1000 mg every 2 weeks, intravenous, stopped at 2023-03-15 (stated as inferred)."""
        bundle = synthea_bundle(*(medication_administration(
            f"rtx-{i}", day, text="riTUXimab (RITUXAN) 1,000 mg in sodium chloride 0.9 % IV",
            mg=1000) for i, day in enumerate(("2023-03-01", "2023-03-15"))))
        [course], report = _read(bundle, dt.date(2024, 3, 1))

        assert {"drug": "rituximab", "dose": "1000 mg", "frequency": "every_2_weeks",
                "route": "intravenous", "start": "2023-03-01", "stop": "2023-03-15",
                "outcome": "stopped"} == {k: v for k, v in course.items() if k != "note"}
        assert "nothing after 2023-03-15: outcome 'stopped' inferred" in course["note"]

    def test_synthea_administration_without_dose_is_a_course_without_dose(self) -> None:
        """Synthea-shaped administrations (RxNorm coding, no dosage) give a methylprednisolone
        course with no dose, and the report says the dose is missing."""
        bundle = synthea_bundle(medication_administration(
            "s1", "2022-05-02", code=("6902", "Methylprednisolone")))
        [course], report = _read(bundle, dt.date(2022, 5, 3))

        assert ("methylprednisolone", "2022-05-02") == (course["drug"], course["start"])
        assert "dose" not in course
        assert any(i.where == "MedicationAdministration/s1.dosage.dose"
                   and "no dose given" in i.reason for i in report.issues)

    def test_administrations_of_an_order_in_the_data_are_not_a_second_course(self) -> None:
        """Infusions given under a MedicationRequest whose course was read from the order are
        accounted to that course: one IVIG course, not two."""
        order = medication_request("mr-ivig", text="Privigen 10 % IV solution", tablets=None,
                                   authored="2024-01-02")
        bundle = synthea_bundle(order, medication_administration(
            "a1", "2024-01-08", text="Privigen 10 %", grams=60,
            request="MedicationRequest/mr-ivig"))
        therapies, report = _read(bundle, dt.date(2024, 1, 20))
        outcome = next(r for r in report.resources if r.where == "MedicationAdministration/a1")

        assert 1 == len(therapies)
        assert ("inferred", "given under MedicationRequest/mr-ivig, whose course was read "
                "from the order (not counted twice)") == (outcome.outcome, outcome.reason)


class TestDispenses:
    def test_three_monthly_hcq_fills_are_one_400_mg_daily_course(self) -> None:
        """Three fills of HCQ 200 mg tablets, 2 a day, 30 days' supply each from 2024-01-05:
        one oral course of 400 mg daily from 2024-01-05, ongoing on 2024-03-20."""
        bundle = synthea_bundle(*(medication_dispense(f"d{i}", day, code=HCQ_SCD, tablets=2,
                                                      quantity=60)
                                  for i, day in enumerate(("2024-01-05", "2024-02-04",
                                                           "2024-03-05"))))
        [course], _ = _read(bundle, dt.date(2024, 3, 20))

        assert {"drug": "hydroxychloroquine", "dose": "400 mg", "frequency": "daily",
                "route": "oral", "start": "2024-01-05", "outcome": "ongoing"} == {
                    k: v for k, v in course.items() if k != "note"}
        assert course["note"].startswith("3 dispenses of Hydroxychloroquine Sulfate 200 MG "
                                         "Oral Tablet 2024-01-05…2024-03-05")

    def test_last_fill_plus_supply_ends_the_course(self) -> None:
        """A single 30-day fill on 2023-06-01, assessed 2024-03-20: stopped on 2023-07-01
        (hand-over plus 30 days' supply)."""
        bundle = synthea_bundle(medication_dispense("d1", "2023-06-01", code=HCQ_SCD,
                                                    tablets=2))
        [course], _ = _read(bundle, dt.date(2024, 3, 20))

        assert ("stopped", "2023-07-01") == (course["outcome"], course["stop"])

    def test_dispense_not_handed_over_is_skipped(self) -> None:
        """A dispense in preparation is skipped with the reason; no course."""
        bundle = synthea_bundle(medication_dispense("d1", "2024-03-01", code=HCQ_SCD,
                                                    status="preparation"))
        therapies, report = _read(bundle, dt.date(2024, 3, 20))

        assert [] == therapies
        assert ("skipped", "status 'preparation': not yet handed over") == next(
            (r.outcome, r.reason) for r in report.resources
            if r.where == "MedicationDispense/d1")


class TestConceptWalk:
    def test_texts_of_a_codeable_concept(self) -> None:
        """A CodeableConcept's text comes first, then each coding's display."""
        concept = {"text": "Plaquenil 200 mg", "coding": [
            {"system": "x", "code": "1", "display": "Hydroxychloroquine Sulfate 200 MG"}]}

        assert ["Plaquenil 200 mg", "Hydroxychloroquine Sulfate 200 MG"] == texts(concept)

    @pytest.mark.parametrize("value", ["Plaquenil 200 mg", 5, None, ["Plaquenil"]])
    def test_anything_but_an_object_has_no_text(self, value: Any) -> None:
        """A bare string (or any non-object) is not a CodeableConcept and names nothing."""
        assert [] == texts(value)

    def test_recogniser_does_not_read_a_bare_string_as_a_drug(self) -> None:
        """medicationCodeableConcept given as the string 'Plaquenil 200 mg' is not read as
        hydroxychloroquine by the recogniser (CDS hooks and import alike)."""
        found, why = recogniser(KB).request({"resourceType": "MedicationRequest",
                                             "medicationCodeableConcept": "Plaquenil 200 mg"})

        assert found is None
        assert "not a CodeableConcept" in str(why)

    def test_import_names_the_malformed_element(self) -> None:
        """The importer skips that order naming the element, its value and 'a JSON object';
        strict import refuses it with the same field."""
        order = medication_request("mr-s", code=HCQ_SCD, tablets=2)
        order["medicationCodeableConcept"] = "Plaquenil 200 mg"
        bundle = synthea_bundle(order)
        therapies, report = _read(bundle, dt.date(2024, 3, 20))

        assert [] == therapies
        reason = next(r.reason for r in report.resources if r.where == "MedicationRequest/mr-s")
        assert "malformed" in reason
        with pytest.raises(CaseError) as exc:
            import_bundle(bundle, KB, as_of=dt.date(2024, 3, 20))
        problem = next(p for p in exc.value.problems
                       if p.field == "MedicationRequest/mr-s.medicationCodeableConcept")
        assert ("Plaquenil 200 mg", "a JSON object") == (problem.value, problem.accepted)


def test_cli_import_reports_the_grouping(tmp_path: Path) -> None:
    """`clepath fhir import` of the six infusions prints the IVIG course (120 g, every 4 weeks)
    and states the grouping in the report it prints."""
    path = tmp_path / "ivig.json"
    path.write_text(json.dumps(_ivig_bundle()))
    run = subprocess.run([sys.executable, "-m", "clepath.cli.main", "fhir", "import", str(path),
                          "--as-of", "2019-10-01"], capture_output=True, text=True, check=False)
    err = " ".join(run.stderr.split())

    assert 0 == run.returncode, run.stderr
    assert "drug: intravenous immunoglobulin" in run.stdout
    assert "dose: 120 g" in run.stdout
    assert "6 inferred" in err
    assert f"6 administrations of {PRIVIGEN} 2019-06-03…2019-09-23" in " ".join(
        (run.stdout + run.stderr).split())


@given(offsets=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=12),
       grams=st.lists(st.sampled_from([10, 25, 30, 35, 60, 70]), min_size=12, max_size=12))
def test_property_ivig_cycles_and_grams(offsets: list[int], grams: list[int]) -> None:
    """Any set of Privigen infusions: one course starting on the first infusion, every
    infusion accounted once, and the course dose is the largest cycle's grams, cycles being
    infusions within 5 days of the cycle's first one."""
    start = dt.date(2023, 1, 2)
    days = [start + dt.timedelta(days=o) for o in offsets]
    given_ = [medication_administration(f"a{i}", d.isoformat(), text="Privigen 10 %",
                                        grams=grams[i]) for i, d in enumerate(days)]
    [course], report = _read(synthea_bundle(*given_), dt.date(2024, 12, 31))

    cycles: list[tuple[dt.date, int]] = []  # (first day, grams)
    for day, g in sorted(zip(days, grams, strict=False)):
        if cycles and (day - cycles[-1][0]).days < 5:
            cycles[-1] = (cycles[-1][0], cycles[-1][1] + g)
        else:
            cycles.append((day, g))
    accounted = [r.where for r in report.resources if r.where.startswith("Medication")]
    assert min(days).isoformat() == course["start"]
    assert f"{max(g for _, g in cycles)} g" == course["dose"]
    assert f"{len(cycles)} cycle{'s' if len(cycles) != 1 else ''} " in course["note"]
    assert sorted(f"MedicationAdministration/a{i}" for i in range(len(days))) == sorted(
        accounted)
