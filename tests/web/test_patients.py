"""Patient pages: the list and search, the patient page's assessment, new patients, details."""

from __future__ import annotations

from typing import Any

from clepath.store import case_to_data
from tests.web._html import field_errors, score, status
from tests.web.conftest import Browser, World


def _record(world: World, patient_id: int) -> dict[str, Any]:
    with world.app.state.clepath.store() as store:
        return case_to_data(store.patients.load(patient_id))  # type: ignore[arg-type]


class TestPatientPage:
    def test_seed_patient_shows_sledai_7_and_refractory(self, world: World, doc: Browser) -> (
        None
    ):
        """The published case: SLEDAI-2K 7, refractory, no CLASI recorded, knowledge named."""
        html = doc.get(f"/patients/{world.seed}").text

        assert ("7", "refractory", "not recorded", True) == (
            score(html, "sledai_2k"), status(html), score(html, "clasi_a"),
            "sledai_2k@" in html,
        )

    def test_scle_patient_shows_clasi_12_and_its_alerts(self, world: World, doc: Browser) -> (
        None
    ):
        """demo-scle-0001: CLASI-A 12, damage 1, and the hydroxychloroquine dose alert."""
        html = doc.get(f"/patients/{world.scle}").text

        assert ("12", "1", True) == (
            score(html, "clasi_a"), score(html, "clasi_d"),
            'data-code="hcq_dose_above_5_mg_per_kg"' in html,
        )

    def test_options_show_stances_and_sources(self, world: World, doc: Browser) -> None:
        """The options table names guideline stances and links their sources."""
        html = doc.get(f"/patients/{world.seed}").text

        assert ("EDF/EADV S2k guideline" in html, "https://doi.org/" in html) == (True, True)

    def test_unknown_patient_is_404(self, doc: Browser) -> None:
        """A patient id that does not exist is a 404 page."""
        assert 404 == doc.get("/patients/999999").status_code

    def test_viewing_is_audited(self, world: World, doc: Browser, admin: Browser) -> None:
        """Opening the patient page writes a `view` row naming the user and the patient."""
        doc.get(f"/patients/{world.seed}")

        events = admin.get(f"/api/audit?patient_id={world.seed}").json()

        assert ("doc", "view", "patient") == (
            events[0]["username"], events[0]["action"], events[0]["resource"]
        )


class TestList:
    def test_list_and_search(self, world: World, doc: Browser) -> None:
        """Both patients are listed; searching `scle` keeps only demo-scle-0001."""
        everyone = doc.get("/patients").text
        found = doc.get("/patients", params={"q": "scle"}).text

        assert (True, True, True, False) == (
            "idoj-2020-ivig-rescue" in everyone, "demo-scle-0001" in everyone,
            "demo-scle-0001" in found, "idoj-2020-ivig-rescue" in found,
        )

    def test_start_page_is_the_list(self, doc: Browser) -> None:
        """/ leads to /patients."""
        assert "/patients" == doc.get("/").headers["location"]


class TestNewPatient:
    def test_new_patient_from_the_form(self, doc: Browser) -> None:
        """A new patient with weight in pounds is stored in kilograms."""
        response = doc.submit("/patients", {
            "case_id": "new-0001", "as_of": "2025-01-10", "sex": "female", "age": "39",
            "weight_value": "132", "weight_unit": "lb", "height_value": "5 ft 2 in",
            "height_unit": "cm", "subtype": "SCLE_ANNULAR", "sites": ["chest", "arms"],
            "since": "2024-06",
        })
        data = doc.get(response.headers["location"].replace("/patients/", "/api/patients/")
                       ).json()

        assert (303, 59.87, 157.48) == (
            response.status_code, round(data["patient"]["weight_kg"], 2),
            round(data["patient"]["height_cm"], 2),
        )

    def test_bad_form_shows_field_errors_and_saves_nothing(self, world: World, doc: Browser) -> (
        None
    ):
        """A weight without a unit, a misspelt sex and a taken id: three field messages."""
        response = doc.submit("/patients", {
            "case_id": "idoj-2020-ivig-rescue", "as_of": "2025-01-10", "sex": "femal",
            "weight_value": "60", "weight_unit": "",
        })

        assert (422, 2) == (response.status_code, len(doc.get("/api/patients").json()))
        assert "a number without a unit" in " ".join(field_errors(response.text, "weight_value"))
        assert "already the case id" in " ".join(field_errors(response.text, "case_id"))
        assert "Did you mean female or male?" in " ".join(field_errors(response.text, "sex"))

    def test_form_keeps_what_was_typed(self, doc: Browser) -> None:
        """After a refusal the form shows the values entered."""
        response = doc.submit("/patients", {"case_id": "x-1", "as_of": "not a date"})

        assert 'value="not a date"' in response.text


class TestDetails:
    def test_moving_the_assessment_date(self, world: World, doc: Browser) -> None:
        """Moving as_of of demo-scle-0001 to 2024-07-02 makes her 43."""
        form = {
            "as_of": "2024-07-02", "sex": "female", "birth_date": "1981-07-02",
            "weight_value": "176", "weight_unit": "lb", "height_value": "5 ft 3 in",
            "smoking": "current", "pregnant": "no", "blood_group": "A",
            "conditions": ["estrogen_use"],
        }

        response = doc.submit(f"/patients/{world.scle}/edit", form)
        data = doc.get(f"/api/patients/{world.scle}").json()

        assert (303, "2024-07-02", 43) == (
            response.status_code, data["as_of"], data["patient"]["age_years"]
        )

    def test_refused_details_change_nothing(self, world: World, doc: Browser) -> None:
        """An impossible date is shown at its field; the stored patient is unchanged."""
        before = _record(world, world.seed)

        response = doc.submit(f"/patients/{world.seed}/edit", {"as_of": "2019-02-30"})

        assert (422, ["This is not a calendar date (no such day in that month). "
                      "Expected: an ISO 8601 date, e.g. 2019-06-01."],
                before) == (response.status_code, field_errors(response.text, "as_of"),
                            _record(world, world.seed))

    def test_delete_needs_the_case_id(self, world: World, doc: Browser) -> None:
        """Deleting without typing the case id is refused; with it, the patient is gone."""
        refused = doc.submit(f"/patients/{world.seed}/delete", {"confirm": "yes"})
        done = doc.submit(f"/patients/{world.seed}/delete", {"confirm": "idoj-2020-ivig-rescue"})

        assert (422, 303, 404) == (
            refused.status_code, done.status_code, doc.get(f"/patients/{world.seed}").status_code
        )


class TestAuditPage:
    def test_patients_are_named_by_case_id(self, world: World, doc: Browser, admin: Browser) -> (
        None
    ):
        """The audit log names a viewed patient by case id (idoj-2020-ivig-rescue, linked to
        the patient page), not the database id, and a deleted patient as "deleted patient N"."""
        doc.get(f"/patients/{world.seed}")
        doc.get(f"/patients/{world.scle}")
        doc.submit(f"/patients/{world.scle}/delete", {"confirm": "demo-scle-0001"})
        html = admin.get("/audit").text
        one = admin.get(f"/audit?patient_id={world.seed}").text

        assert (True, True, True) == (
            f'<a href="/patients/{world.seed}">idoj-2020-ivig-rescue</a>' in html,
            f"deleted patient {world.scle}" in html,
            "Audit log of patient idoj-2020-ivig-rescue" in one,
        )
