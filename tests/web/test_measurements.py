"""Weight and height as dated observations in the web app (issue 12 item 3): the history page,
the details form's dated entry, and the pages that state which weight was used."""

from __future__ import annotations

import re

from tests.web._html import field_errors
from tests.web.conftest import Browser, World


def _add(doc: Browser, pid: int, name: str, date: str, value: str, unit: str) -> object:
    return doc.submit(f"/patients/{pid}/measurements", {
        "name": name, "date": date, "value_value": value, "value_unit": unit,
    })


def _rows(html: str) -> list[str]:
    body = re.search(r'<table class="measurements">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body is not None
    return [re.sub(r"<[^>]+>", " ", row).split() for row in
            re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)]


class TestHistoryPage:
    def test_pounds_are_saved_in_kilograms_and_named(self, world: World, doc: Browser) -> None:
        """176 lb on 2019-05-28 is saved as 79.8 kg and the page says so."""
        response = _add(doc, world.seed, "weight", "2019-05-28", "176", "lb")
        page = doc.get(response.headers["location"]).text

        assert 303 == response.status_code
        assert "Saved: the weight 79.8 kg of 2019-05-28." in page

    def test_history_newest_first_with_the_one_used(self, world: World, doc: Browser) -> None:
        """Weights of 2019-01-10, 2019-05-28 and 2019-07-01 (as of 2019-06-01): newest first,
        the May weight marked as used and the July one as not used."""
        for date, kg in (("2019-01-10", "58"), ("2019-05-28", "60"), ("2019-07-01", "70")):
            _add(doc, world.seed, "weight", date, kg, "kg")

        rows = _rows(doc.get(f"/patients/{world.seed}/measurements").text)

        assert [r[:4] for r in rows] == [
            ["2019-07-01", "Weight", "70.0", "kg"],
            ["2019-05-28", "Weight", "60.0", "kg"],
            ["2019-01-10", "Weight", "58.0", "kg"],
        ]
        assert ("after", "used", "earlier") == (rows[0][4], rows[1][4], rows[2][4])

    def test_a_back_dated_entry_is_not_marked_used(self, world: World, doc: Browser) -> None:
        """A weight of 2019-05-28 entered first and one of 2019-01-10 entered after it (as of
        2019-06-01): the May weight is the one used, whatever the order of entry, as the plan's
        dosing weight is."""
        for date, kg in (("2019-05-28", "60"), ("2019-01-10", "58")):
            _add(doc, world.seed, "weight", date, kg, "kg")

        rows = _rows(doc.get(f"/patients/{world.seed}/measurements").text)
        marks = {r[0]: r[4] for r in rows}

        assert {"2019-05-28": "used", "2019-01-10": "earlier"} == marks

    def test_undated_values_are_shown_apart(self, world: World, doc: Browser) -> None:
        """The seed's undated 60 kg and 158 cm are shown as recorded without a date."""
        page = re.sub(r"\s+", " ", doc.get(f"/patients/{world.seed}/measurements").text)

        assert "weight 60.0 kg, height 158 cm." in page
        assert "No dated weight or height recorded." in page

    def test_removing_names_the_measurement(self, world: World, doc: Browser) -> None:
        """Removing the 158 cm height of 2019-05-28 says which one was removed."""
        _add(doc, world.seed, "height", "2019-05-28", "158", "cm")
        item = doc.api("GET", f"/api/patients/{world.seed}/measurements").json()[0]

        response = doc.submit(f"/patients/{world.seed}/measurements/{item['id']}/delete")
        page = doc.get(response.headers["location"]).text

        assert "Removed: the height 158 cm of 2019-05-28." in page
        assert [] == doc.api("GET", f"/api/patients/{world.seed}/measurements").json()

    def test_bad_entry_is_refused_at_its_fields(self, world: World, doc: Browser) -> None:
        """A weight without a unit and an impossible date: both named, nothing saved."""
        response = doc.submit(f"/patients/{world.seed}/measurements", {
            "name": "weight", "date": "2019-02-30", "value_value": "60", "value_unit": "",
        })

        assert 422 == response.status_code
        assert "a number without a unit" in " ".join(field_errors(response.text, "value_value"))
        assert field_errors(response.text, "date")
        assert [] == doc.api("GET", f"/api/patients/{world.seed}/measurements").json()

    def test_future_date_asks_first(self, world: World, doc: Browser) -> None:
        """A weight dated 2099 is shown again, unsaved, with the future-date warning."""
        response = _add(doc, world.seed, "weight", "2099-01-01", "60", "kg")

        assert 422 == response.status_code
        assert "is after today" in response.text
        assert [] == doc.api("GET", f"/api/patients/{world.seed}/measurements").json()

    def test_api_add_list_remove(self, world: World, doc: Browser) -> None:
        """The API stores 5 ft 3 in as 160.02 cm and removes it again."""
        added = doc.api("POST", f"/api/patients/{world.seed}/measurements",
                        {"name": "height", "date": "2019-05-28", "value": "5 ft 3 in"})
        listed = doc.api("GET", f"/api/patients/{world.seed}/measurements").json()
        removed = doc.api("DELETE", f"/api/patients/{world.seed}/measurements/{added.json()['id']}")

        assert (201, 160.02, 204) == (
            added.status_code, round(listed[0]["stored"]["value"], 2), removed.status_code
        )


class TestDosingWeightOnThePages:
    def test_ivig_page_uses_the_weight_before_the_start(self, world: World, doc: Browser) -> (
        None
    ):
        """With 65 kg on 2019-05-28 and 70 kg on 2019-07-01, the seed's plan (start
        2019-06-03) takes 65 kg as actual weight (dose-determining weight 56.34 kg at 158 cm,
        115 g induction); the page names the date and the unused weight."""
        _add(doc, world.seed, "weight", "2019-05-28", "65", "kg")
        _add(doc, world.seed, "weight", "2019-07-01", "70", "kg")

        page = doc.get(f"/patients/{world.seed}/ivig").text
        plan = doc.get(f"/api/patients/{world.seed}/ivig-plan").json()

        assert '<span data-value="weight_measured">65.0 kg on 2019-05-28</span>' in page
        assert "Weight 70.0 kg on 2019-07-01 is after the plan start (2019-06-03): not used." in (
            page
        )
        assert (65.0, "2019-05-28", 56.34) == (
            plan["dosing_weight"]["actual_kg"], plan["dosing_weight"]["weight_date"],
            plan["dosing_weight"]["kg"],
        )

    def test_patient_page_shows_weight_date_and_history_link(self, world: World,
                                                             doc: Browser) -> None:
        """The patient page shows the weight of 2019-05-28 with its date and links to the
        history."""
        _add(doc, world.seed, "weight", "2019-05-28", "61", "kg")

        page = doc.get(f"/patients/{world.seed}").text

        assert "weight 61.0 kg on 2019-05-28" in re.sub(r"\s+", " ", page)
        assert f'href="/patients/{world.seed}/measurements"' in page


class TestDetailsForm:
    def test_new_patient_weight_is_dated_the_assessment_date(self, doc: Browser) -> None:
        """A new patient's 70 kg with no date given is recorded on the as-of date."""
        response = doc.submit("/patients", {
            "case_id": "dated-0001", "as_of": "2025-01-10", "sex": "female", "age": "39",
            "weight_value": "70", "weight_unit": "kg",
        })
        pid = re.search(r"/patients/(\d+)", response.headers["location"]).group(1)
        items = doc.api("GET", f"/api/patients/{pid}/measurements").json()

        assert [("weight", "2025-01-10", 70.0)] == [
            (i["entry"]["name"], i["entry"]["date"], i["stored"]["value"]) for i in items
        ]

    def test_details_weight_with_a_date_joins_the_history(self, world: World,
                                                          doc: Browser) -> None:
        """A weight of 62 kg measured 2024-06-01 entered on the details page is a dated
        measurement; the form then shows it with its date."""
        response = doc.submit(f"/patients/{world.scle}/edit", {
            "as_of": "2024-07-02", "sex": "female", "birth_date": "1981-07-02",
            "weight_value": "62", "weight_unit": "kg", "weight_date": "2024-06-01",
        })
        items = doc.api("GET", f"/api/patients/{world.scle}/measurements").json()
        form = doc.get(f"/patients/{world.scle}/edit").text

        assert 303 == response.status_code
        assert [("2024-06-01", 62.0)] == [(i["entry"]["date"], i["stored"]["value"])
                                          for i in items]
        assert 'name="weight_date" type="date" value="2024-06-01"' in form

    def test_saving_unchanged_adds_nothing(self, world: World, doc: Browser) -> None:
        """Saving the details form as shown keeps one weight, not two."""
        _add(doc, world.scle, "weight", "2024-06-01", "62", "kg")
        doc.submit(f"/patients/{world.scle}/edit", {
            "as_of": "2024-07-02", "sex": "female", "birth_date": "1981-07-02",
            "weight_value": "62", "weight_unit": "kg", "weight_date": "2024-06-01",
        })

        assert 1 == len(doc.api("GET", f"/api/patients/{world.scle}/measurements").json())

    def test_bad_weight_date_is_named_on_the_form(self, world: World, doc: Browser) -> None:
        """A weight date that is not a date is shown at the weight-date box."""
        response = doc.submit(f"/patients/{world.scle}/edit", {
            "as_of": "2024-07-02", "sex": "female", "birth_date": "1981-07-02",
            "weight_value": "62", "weight_unit": "kg", "weight_date": "2024-13-01",
        })

        assert 422 == response.status_code
        assert field_errors(response.text, "weight_date")

    def test_case_export_carries_the_history(self, world: World, doc: Browser) -> None:
        """The exported case file lists the dated weight under `measurements`."""
        _add(doc, world.seed, "weight", "2019-05-28", "60", "kg")

        text = doc.get(f"/patients/{world.seed}/case.yaml").text

        assert "measurements:" in text and "2019-05-28" in text
