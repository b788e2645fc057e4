"""Entering observations by form: CLASI, labs with units, therapies, findings, diagnoses.

Each refused form shows its problems next to the fields and leaves the record as it was.
"""

from __future__ import annotations

from typing import Any

from clepath.store import case_to_data
from tests.web._html import field_errors, score
from tests.web.conftest import Browser, World


def _record(world: World, patient_id: int) -> dict[str, Any]:
    with world.app.state.clepath.store() as store:
        return case_to_data(store.patients.load(patient_id))  # type: ignore[arg-type]


class TestClasiForm:
    def test_form_has_13_regions_with_level_descriptions(self, world: World, doc: Browser) -> (
        None
    ):
        """Every region has an erythema select; levels are described from the clasi pack."""
        html = doc.get(f"/patients/{world.seed}/clasi/new").text

        assert (13, True, True) == (
            html.count('.erythema" name='),
            "deep red to violaceous" in html,
            "not scored" in html,  # the scalp's scarring cell
        )

    def test_adding_an_exam_changes_the_stored_clasi_a(self, world: World, doc: Browser) -> (
        None
    ):
        """Chest erythema 2 + scale 1, arms erythema 3 and recent hair loss: CLASI-A 7."""
        before = score(doc.get(f"/patients/{world.seed}").text, "clasi_a")

        response = doc.submit(f"/patients/{world.seed}/clasi", {
            "date": "2019-06-01", "chest.erythema": "2", "chest.scale": "1",
            "arms.erythema": "3", "recent_hair_loss": "1",
            "dyspigmentation_lasts_12_months": "no",
        })
        after = doc.get(f"/patients/{world.seed}").text

        assert ("not recorded", 303, "7", "0") == (
            before, response.status_code, score(after, "clasi_a"), score(after, "clasi_d")
        )

    def test_history_lists_each_exam_with_its_scores(self, world: World, doc: Browser) -> None:
        """demo-scle-0001's exams score CLASI-A 15 then 12."""
        html = doc.get(f"/patients/{world.scle}/clasi").text

        assert ["15", "12"] == [s.strip() for s in
                                __import__("re").findall(r'data-score="clasi_a">(\d+)<', html)]

    def test_out_of_range_value_is_refused_at_its_cell(self, world: World, doc: Browser) -> None:
        """Scale 3 on the chest (allowed 0-2) is refused next to that cell; nothing is saved."""
        before = _record(world, world.seed)

        response = doc.submit(f"/patients/{world.seed}/clasi", {
            "date": "2019-06-01", "chest.scale": "3",
        })

        assert (422, True, before) == (
            response.status_code,
            "out of range" in " ".join(field_errors(response.text, "chest.scale")),
            _record(world, world.seed),
        )


class TestLabs:
    def test_lab_in_other_units_is_converted(self, world: World, doc: Browser) -> None:
        """A WBC of 2800 /mm3 is stored as 2.8 x10^9/L and keeps the text typed."""
        doc.submit(f"/patients/{world.seed}/labs", {
            "test": "wbc", "date": "2019-05-30", "value": "2800", "unit": "/mm3",
        })

        labs = doc.get(f"/api/patients/{world.seed}/labs").json()
        stored = next(x for x in labs if x["stored"]["date"] == "2019-05-30")

        assert (2.8, "10*9/L", "2800 /mm3") == (
            round(stored["stored"]["value"], 9), stored["stored"]["unit"],
            stored["stored"]["original"],
        )

    def test_number_without_unit_is_refused(self, world: World, doc: Browser) -> None:
        """A creatinine of 88 with no unit: the message says so at the value; nothing saved."""
        before = _record(world, world.seed)

        response = doc.submit(f"/patients/{world.seed}/labs", {
            "test": "creatinine", "date": "2019-05-30", "value": "88",
        })

        assert (422, before) == (response.status_code, _record(world, world.seed))
        assert field_errors(response.text, "value")[0].startswith(
            "This is a number without a unit."
        )

    def test_unit_that_cannot_convert_is_refused(self, world: World, doc: Browser) -> None:
        """Platelets in mmol/L cannot be converted to 10*9/L: refused at the value."""
        response = doc.submit(f"/patients/{world.seed}/labs", {
            "test": "platelets", "date": "2019-05-30", "value": "150", "unit": "mmol/L",
        })

        assert "not convertible to ×10⁹/L" in " ".join(field_errors(response.text, "value"))

    def test_remove_a_result(self, world: World, doc: Browser) -> None:
        """Removing the seed's WBC leaves three results."""
        first = doc.get(f"/api/patients/{world.seed}/labs").json()[0]["id"]

        doc.submit(f"/patients/{world.seed}/labs/{first}/delete")

        assert 3 == len(doc.get(f"/api/patients/{world.seed}/labs").json())


class TestTherapies:
    def test_add_a_course_with_a_brand_name(self, world: World, doc: Browser) -> None:
        """Plaquenil 200 mg twice daily is stored as hydroxychloroquine, 200 mg 14 times a week."""
        doc.submit(f"/patients/{world.seed}/therapies", {
            "drug": "Plaquenil", "dose_value": "200", "dose_unit": "mg",
            "frequency": "twice_daily", "start": "2019-06-01", "outcome": "ongoing",
        })

        stored = doc.get(f"/api/patients/{world.seed}/therapies").json()[-1]["stored"]

        assert ("hydroxychloroquine", 200, 14) == (
            stored["drug"], stored["dose_mg"], stored["doses_per_week"]
        )

    def test_unknown_drug_suggests_the_nearest(self, world: World, doc: Browser) -> None:
        """`hydroxychlorquine` is refused with hydroxychloroquine suggested."""
        response = doc.submit(f"/patients/{world.seed}/therapies", {
            "drug": "hydroxychlorquine", "outcome": "ongoing",
        })

        assert "Did you mean hydroxychloroquine" in " ".join(
            field_errors(response.text, "drug")
        )

    def test_change_a_course(self, world: World, doc: Browser) -> None:
        """Stopping deflazacort with outcome `failed` changes that course only."""
        courses = doc.get(f"/api/patients/{world.seed}/therapies").json()
        deflazacort = next(c for c in courses if c["stored"]["drug"] == "deflazacort")
        form = doc.get(f"/patients/{world.seed}/therapies/{deflazacort['id']}/edit")

        response = doc.submit(f"/patients/{world.seed}/therapies/{deflazacort['id']}/edit", {
            "drug": "deflazacort", "dose_value": "18", "dose_unit": "mg",
            "frequency": "daily", "start": "2019-05-04", "stop": "2019-05-30",
            "outcome": "failed",
        })
        after = doc.get(f"/api/patients/{world.seed}/therapies").json()

        assert (200, 303, len(courses), "failed") == (
            form.status_code, response.status_code, len(after),
            next(c for c in after if c["id"] == deflazacort["id"])["stored"]["outcome"],
        )

    def test_ongoing_with_a_stop_date_is_refused(self, world: World, doc: Browser) -> None:
        """An `ongoing` course with a stop date is refused at the outcome."""
        response = doc.submit(f"/patients/{world.seed}/therapies", {
            "drug": "dapsone", "start": "2019-01", "stop": "2019-03", "outcome": "ongoing",
        })

        assert "ongoing" in " ".join(field_errors(response.text, "outcome"))


class TestFindingsAndDiagnoses:
    def test_fever_is_stored_in_celsius(self, world: World, doc: Browser) -> None:
        """A fever of 101.3 [degF] is stored as 38.5 Cel."""
        doc.submit(f"/patients/{world.seed}/findings", {
            "name": "fever", "date": "2019-05-31", "value": "101.3 [degF]",
        })

        findings = doc.get(f"/api/patients/{world.seed}/findings").json()
        stored = next(f["stored"] for f in findings if f["stored"]["name"] == "fever")

        assert (38.5, "Cel") == (round(stored["value"]["value"], 2), stored["value"]["unit"])

    def test_add_a_diagnosis(self, world: World, doc: Browser) -> None:
        """Adding DLE on the scalp since 2015 shows on the diagnoses page."""
        doc.submit(f"/patients/{world.seed}/diagnoses", {
            "subtype": "DLE_LOCALIZED", "sites": ["scalp"], "since": "2015",
        })

        entries = doc.get(f"/api/patients/{world.seed}/cle").json()

        assert {"subtype": "DLE_LOCALIZED", "sites": ["scalp"], "since": "2015"} == (
            entries[-1]["entry"]
        )
