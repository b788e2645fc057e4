"""One new-patient form with the patient's current and past therapies (issue 12 item 3): one
POST saves everything or nothing, each problem lands at its row's field, therapy dates may be
partial (a year, a month) through the date pickers, and the dose and future-date checks ask
before saving as on the therapy page.

`today` is fixed at 2026-12-04.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from typing import Any

import pytest

from clepath.store import case_to_data
from clepath.web.clock import today
from tests.web._html import field_errors
from tests.web.conftest import Browser, World

TODAY = dt.date(2026, 12, 4)

# The published case (idoj-2020-ivig-rescue) as typed into the one form: 8 failed drugs and 2
# current ones, with its details and diagnosis.
_FAILED = ("hydroxychloroquine", "azathioprine", "methotrexate", "dapsone", "cyclophosphamide",
           "mycophenolate mofetil", "tacrolimus", "rituximab")
SEED_FORM: dict[str, Any] = {
    "case_id": "intake-0001", "as_of": "2019-06-01", "sex": "female", "age": "47",
    "weight_value": "60", "weight_unit": "kg", "height_value": "158", "height_unit": "cm",
    "subtype": "unspecified", "since": "2009", "since_precision": "year",
    "sites": ["back_buttocks", "chest", "abdomen", "rest_of_face", "hands", "feet"],
}
for _row, _drug in enumerate(_FAILED):
    SEED_FORM[f"therapies[{_row}].drug"] = _drug
    SEED_FORM[f"therapies[{_row}].outcome"] = "failed"
SEED_FORM["therapies[6].route"] = "oral"
for _row, (_drug, _dose, _frequency) in enumerate(
    (("deflazacort", "18", "daily"), ("apremilast", "30", "twice_daily")), start=8
):
    SEED_FORM.update({
        f"therapies[{_row}].drug": _drug, f"therapies[{_row}].dose_value": _dose,
        f"therapies[{_row}].dose_unit": "mg", f"therapies[{_row}].frequency": _frequency,
        f"therapies[{_row}].start": "2019-05-04", f"therapies[{_row}].start_precision": "day",
        f"therapies[{_row}].outcome": "ongoing",
    })


@pytest.fixture(autouse=True)
def _fixed_today(world: World) -> Any:
    world.app.dependency_overrides[today] = lambda: TODAY
    yield
    world.app.dependency_overrides.pop(today, None)


def _record(world: World, patient_id: int) -> dict[str, Any]:
    with world.app.state.clepath.store() as store:
        return case_to_data(store.patients.load(patient_id))  # type: ignore[arg-type]


def _patient_count(doc: Browser) -> int:
    return len(doc.get("/api/patients").json())


def _row(row: int, **fields: str) -> dict[str, str]:
    return {f"therapies[{row}].{k}": v for k, v in fields.items()}


class TestOneForm:
    def test_new_form_starts_today_with_three_therapy_rows(self, doc: Browser) -> None:
        """The form's assessment date is today (2026-12-04) and it offers three therapy rows
        without JavaScript, each with a drug list and day/month/year date pickers."""
        page = doc.get("/patients/new").text

        assert 'name="as_of" type="date" value="2026-12-04"' in page
        assert 3 == len(re.findall(r'<fieldset class="therapy-row" data-row="\d+">', page))
        assert 'name="therapies[2].start" type="date"' in page
        assert '<option value="month">month only</option>' in page
        assert '<option value="hydroxychloroquine">' in page

    def test_folded_details_are_saved_and_reopen(self, world: World, doc: Browser) -> None:
        """The folded details start closed; IgA deficiency ticked there is stored, and a
        refused form with it ticked comes back with the section open."""
        empty = doc.get("/patients/new").text
        form = {"case_id": "intake-0012", "as_of": "2019-06-01", "sex": "female", "age": "47",
                "conditions": ["iga_deficiency"]}
        refused = doc.submit("/patients", {**form, "age": "four"})
        saved = doc.submit("/patients", form)
        patient_id = int(saved.headers["location"].split("/")[2].split("?")[0])

        assert '<details class="more-details">' in empty
        assert '<details class="more-details" open>' in refused.text
        assert ["iga_deficiency"] == _record(world, patient_id)["patient"]["conditions"]

    def test_seed_patient_in_one_post(self, world: World, doc: Browser) -> None:
        """The published case in one submission: 10 courses stored (8 failed, deflazacort
        18 mg once daily and apremilast 30 mg twice daily since 2019-05-04), CLE since 2009, and
        the page says 'Patient intake-0001 saved with 10 therapies and 1 diagnosis'."""
        response = doc.submit("/patients", SEED_FORM)
        location = response.headers["location"]
        patient_id = int(re.search(r"/patients/(\d+)", location).group(1))  # type: ignore[union-attr]
        record = _record(world, patient_id)
        page = html_lib.unescape(doc.get(location).text)
        therapies = record["therapies"]

        assert 303 == response.status_code
        assert (10, 8) == (len(therapies), sum(t["outcome"] == "failed" for t in therapies))
        assert {"drug": "deflazacort", "dose": "18 mg", "frequency": "daily",
                "start": "2019-05-04", "outcome": "ongoing"} == therapies[8]
        assert ("apremilast", "30 mg", "twice_daily") == (
            therapies[9]["drug"], therapies[9]["dose"], therapies[9]["frequency"])
        assert ("2009", "oral") == (record["cle"][0]["since"], therapies[6]["route"])
        assert "Patient intake-0001 saved with 10 therapies and 1 diagnosis." in page

    def test_one_bad_dose_saves_nothing_and_names_the_row(self, world: World, doc: Browser) -> (
        None
    ):
        """Row 3's dose '200 mgg' (row 2 left empty) refuses the whole patient: no patient, and
        the message sits at therapies[2].dose_value with the good rows kept as typed."""
        form = {
            "case_id": "intake-0002", "as_of": "2019-06-01", "sex": "female", "age": "47",
            **_row(0, drug="hydroxychloroquine", dose_value="200", dose_unit="mg",
                   frequency="twice_daily", outcome="failed"),
            **_row(2, drug="methotrexate", dose_value="200", dose_unit="mgg",
                   frequency="weekly", outcome="failed"),
        }
        before = _patient_count(doc)

        response = doc.submit("/patients", form)

        assert (422, before) == (response.status_code, _patient_count(doc))
        assert field_errors(response.text, "therapies[2].dose_value")
        assert not field_errors(response.text, "therapies[0].dose_value")
        assert 'name="therapies[0].drug" type="text" value="hydroxychloroquine"' in response.text
        assert 'name="therapies[2].drug" type="text" value="methotrexate"' in response.text

    def test_missing_outcome_is_shown_at_its_row(self, doc: Browser) -> None:
        """A drug without an outcome in the second row: the message is at therapies[1].outcome."""
        form = {"case_id": "intake-0003", "as_of": "2019-06-01", "sex": "female", "age": "47",
                **_row(0, drug="dapsone", outcome="failed"), **_row(1, drug="rituximab")}

        response = doc.submit("/patients", form)

        assert 422 == response.status_code
        assert field_errors(response.text, "therapies[1].outcome")

    def test_rows_added_by_script_come_back(self, doc: Browser) -> None:
        """A refused form with five therapy rows is shown again with all five rows."""
        form = {"case_id": "", "as_of": "2019-06-01", **_row(4, drug="dapsone", outcome="failed")}

        response = doc.submit("/patients", form)

        assert 5 == len(re.findall(r'class="therapy-row" data-row="\d', response.text))


def _lab(row: int, **fields: str) -> dict[str, str]:
    return {f"labs[{row}].{k}": v for k, v in fields.items()}


class TestFirstLabs:
    def test_seed_labs_in_the_same_post(self, world: World, doc: Browser) -> None:
        """The published case's labs of 2019-05-28 with its therapies: WBC 1300 /mm³ stored
        as 1.3 ×10⁹/L, C4 low, anti-dsDNA and anti-Ro positive; the message counts 4 lab
        results."""
        form = {**SEED_FORM, "case_id": "intake-0010",
                **_lab(0, test="wbc", date="2019-05-28", value="1300", unit="/mm³"),
                **_lab(1, test="c4", date="2019-05-28", result="low"),
                **_lab(2, test="anti_dsdna", date="2019-05-28", result="positive"),
                **_lab(3, test="anti_ro", date="2019-05-28", result="positive")}

        response = doc.submit("/patients", form)
        location = response.headers["location"]
        labs = doc.get(location.split("?")[0].replace("/patients/", "/api/patients/")
                       + "/labs").json()
        page = html_lib.unescape(doc.get(location).text)

        assert 303 == response.status_code
        assert (1.3, "10*9/L") == (labs[0]["stored"]["value"], labs[0]["stored"]["unit"])
        assert ["low", "positive", "positive"] == [r["stored"]["result"] for r in labs[1:]]
        assert ("Patient intake-0010 saved with 10 therapies, 4 lab results and 1 diagnosis."
                in page)

    def test_bad_lab_row_saves_nothing(self, doc: Browser) -> None:
        """A creatinine without a unit in the second lab row (the first empty) refuses the
        patient and its therapies; the message sits at labs[1].value, the lab section open."""
        form = {**SEED_FORM, "case_id": "intake-0011",
                **_lab(1, test="creatinine", date="2019-05-28", value="80")}
        before = _patient_count(doc)

        response = doc.submit("/patients", form)

        assert (422, before) == (response.status_code, _patient_count(doc))
        assert "a number without a unit" in " ".join(field_errors(response.text, "labs[1].value"))
        assert '<details class="first-labs" open>' in response.text


class TestChecksBeforeSaving:
    def test_daily_methotrexate_asks_first(self, doc: Browser) -> None:
        """Methotrexate 15 mg once daily in row 1: 409, the warning names 'Therapy 1
        (methotrexate)', nothing is saved; ticking the box saves the patient with it."""
        form = {"case_id": "intake-0004", "as_of": "2019-06-01", "sex": "female", "age": "47",
                **_row(0, drug="methotrexate", dose_value="15", dose_unit="mg",
                       frequency="daily", outcome="ongoing")}
        before = _patient_count(doc)

        asked = doc.submit("/patients", form)
        confirmed = doc.submit("/patients", {**form, "confirm_dose": "1"})
        page = html_lib.unescape(asked.text)

        assert (409, 303, before + 1) == (
            asked.status_code, confirmed.status_code, _patient_count(doc))
        assert "Therapy 1 (methotrexate): Methotrexate once daily is not an allowed" in page

    def test_warning_names_the_row_after_an_empty_one(self, doc: Browser) -> None:
        """Dapsone in row 1, row 2 empty, methotrexate once daily in row 3: the warning names
        'Therapy 3 (methotrexate)'."""
        form = {"case_id": "intake-0013", "as_of": "2019-06-01", "sex": "female", "age": "47",
                **_row(0, drug="dapsone", start="2019-05-01", outcome="failed"),
                **_row(2, drug="methotrexate", dose_value="15", dose_unit="mg",
                       frequency="daily", start="2018", start_precision="year",
                       outcome="ongoing")}

        page = html_lib.unescape(doc.submit("/patients", form).text)

        assert "Therapy 3 (methotrexate): Methotrexate once daily" in page

    def test_unit_slip_is_refused_at_its_row(self, doc: Browser) -> None:
        """Methotrexate 30 g weekly in the second row is refused at that row's dose box even
        with 'save anyway' ticked (a unit slip, not a dose to confirm); nothing is saved."""
        form = {"case_id": "intake-0008", "as_of": "2019-06-01", "sex": "female", "age": "47",
                **_row(0, drug="dapsone", outcome="failed"),
                **_row(1, drug="methotrexate", dose_value="30", dose_unit="g",
                       frequency="weekly", outcome="ongoing"), "confirm_dose": "1"}
        before = _patient_count(doc)

        response = doc.submit("/patients", form)

        assert (422, before) == (response.status_code, _patient_count(doc))
        assert "unit slip" in " ".join(field_errors(response.text, "therapies[1].dose_value"))

    def test_15000_mg_methotrexate_asks_first(self, doc: Browser) -> None:
        """Methotrexate 15,000 mg weekly is shown again (409) with 'above the maximum of
        30 mg/week' for therapy 1, and no patient is saved."""
        form = {"case_id": "intake-0009", "as_of": "2019-06-01", "sex": "female", "age": "47",
                **_row(0, drug="methotrexate", dose_value="15000", dose_unit="mg",
                       frequency="weekly", outcome="ongoing")}
        before = _patient_count(doc)

        response = doc.submit("/patients", form)
        page = html_lib.unescape(response.text)

        assert (409, before) == (response.status_code, _patient_count(doc))
        assert "15,000 mg/week is above the maximum of 30 mg/week" in page
        assert 'name="confirm_dose"' in page

    def test_future_stop_asks_first(self, doc: Browser) -> None:
        """A stop in 2062 (after today, 2026-12-04) is shown again unsaved with the row named;
        confirming the date saves it."""
        form = {"case_id": "intake-0005", "as_of": "2019-06-01", "sex": "female", "age": "47",
                **_row(0, drug="dapsone", start="2019-01", start_precision="month",
                       stop="2062-01-01", stop_precision="day", outcome="failed")}
        before = _patient_count(doc)

        asked = doc.submit("/patients", form)
        confirmed = doc.submit("/patients", {**form, "confirm_future_date": "1"})

        assert (422, 303, before + 1) == (
            asked.status_code, confirmed.status_code, _patient_count(doc))
        assert "Therapy 1 (dapsone): Stop 2062-01-01" in html_lib.unescape(asked.text)


class TestPartialDates:
    def test_partial_dates_round_trip(self, world: World, doc: Browser) -> None:
        """A start picked as 2019-05-04 with 'month only' is stored as 2019-05, a stop picked
        2020-03-15 with 'year only' as 2020; the edit form shows a month picker holding 2019-05
        and a year box holding 2020."""
        form = {"case_id": "intake-0006", "as_of": "2021-06-01", "sex": "female", "age": "47",
                **_row(0, drug="dapsone", dose_value="100", dose_unit="mg", frequency="daily",
                       start="2019-05-04", start_precision="month", stop="2020-03-15",
                       stop_precision="year", outcome="failed")}

        response = doc.submit("/patients", form)
        patient_id = int(response.headers["location"].split("/")[2].split("?")[0])
        stored = _record(world, patient_id)["therapies"][0]
        course = doc.get(f"/api/patients/{patient_id}/therapies").json()[0]["id"]
        edit = doc.get(f"/patients/{patient_id}/therapies/{course}/edit").text

        assert ("2019-05", "2020") == (stored["start"], stored["stop"])
        assert 'name="start" type="month" value="2019-05"' in edit
        assert 'name="stop" type="text" value="2020"' in edit
        assert '<option value="year" selected>year only</option>' in edit

    def test_therapy_page_takes_a_year(self, world: World, doc: Browser) -> None:
        """The therapy page's own form stores 'started 2009' when a year is typed with 'year
        only'."""
        response = doc.submit(f"/patients/{world.scle}/therapies", {
            "drug": "hydroxychloroquine", "dose_value": "200", "dose_unit": "mg",
            "frequency": "daily", "start": "2009", "start_precision": "year",
            "outcome": "ongoing",
        })
        courses = doc.get(f"/api/patients/{world.scle}/therapies").json()

        assert 303 == response.status_code
        assert "2009" == courses[-1]["entry"]["start"]

    def test_text_that_is_no_date_is_kept_for_correction(self, doc: Browser) -> None:
        """'May 2019' in a start box is refused at that field and shown again in a text box."""
        form = {"case_id": "intake-0007", "as_of": "2021-06-01", "sex": "female", "age": "47",
                **_row(0, drug="dapsone", start="May 2019", outcome="failed")}

        response = doc.submit("/patients", form)

        assert 422 == response.status_code
        assert field_errors(response.text, "therapies[0].start")
        assert 'name="therapies[0].start" type="text" value="May 2019"' in response.text
