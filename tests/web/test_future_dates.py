"""Dates after today in the web app (issue 9 item 5): a form is shown again, unsaved, with a
warning until the user confirms the date; the patient page raises `future_date` and its banner
counts therapy courses starting after the assessment date.

`today` is the app's dependency `clepath.web.clock.today`, fixed here at 2026-12-04.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from clepath.store import case_to_data
from clepath.web.clock import today
from tests.web.conftest import Browser, World

TODAY = dt.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _fixed_today(world: World) -> Any:
    world.app.dependency_overrides[today] = lambda: TODAY
    yield
    world.app.dependency_overrides.pop(today, None)


def _record(world: World, patient_id: int) -> dict[str, Any]:
    with world.app.state.clepath.store() as store:
        return case_to_data(store.patients.load(patient_id))  # type: ignore[arg-type]


def _warnings(html: str) -> list[str]:
    block = re.search(r'id="future-dates">(.*?)</div>\s*</div>', html, re.S)
    if block is None:
        return []
    return [re.sub(r"\s+", " ", li).strip()
            for li in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


FINDING = {"name": "fever", "date": "2062-06-01", "value": "38.6 Cel"}


class TestForms:
    def test_future_finding_is_shown_again_unsaved(self, world: World, doc: Browser) -> None:
        """A fever dated 2062-06-01 is not saved; the form warns and keeps the values typed."""
        before = _record(world, world.seed)

        response = doc.submit(f"/patients/{world.seed}/findings", FINDING)

        assert (422, before) == (response.status_code, _record(world, world.seed))
        assert ["Date 2062-06-01 (finding fever) is after today (2026-12-04). A future date is "
                "usually a typing error."] == _warnings(response.text)
        assert 'value="2062-06-01"' in response.text
        assert 'name="confirm_future_date"' in response.text

    def test_confirmed_future_finding_is_saved(self, world: World, doc: Browser) -> None:
        """Ticking 'the date is right' saves the fever of 2062-06-01."""
        response = doc.submit(
            f"/patients/{world.seed}/findings", {**FINDING, "confirm_future_date": "1"}
        )
        dates = [str(f["date"]) for f in _record(world, world.seed)["findings"]]

        assert 303 == response.status_code
        assert "2062-06-01" in dates

    def test_past_finding_needs_no_confirmation(self, world: World, doc: Browser) -> None:
        """A fever on 2019-05-30 is saved at once."""
        response = doc.submit(f"/patients/{world.seed}/findings", {**FINDING,
                                                                   "date": "2019-05-30"})

        assert 303 == response.status_code

    def test_future_lab_is_shown_again(self, world: World, doc: Browser) -> None:
        """A C3 dated 2027-01-10 is held back with a warning naming the lab."""
        response = doc.submit(f"/patients/{world.seed}/labs", {
            "test": "c3", "date": "2027-01-10", "value": "0.7", "unit": "g/L",
        })

        assert 422 == response.status_code
        assert "Date 2027-01-10 (lab c3) is after today" in _warnings(response.text)[0]

    def test_future_therapy_start_is_shown_again(self, world: World, doc: Browser) -> None:
        """A methotrexate course starting 2027-03 is held back with a warning on its start."""
        response = doc.submit(f"/patients/{world.seed}/therapies", {
            "drug": "methotrexate", "dose_value": "15", "dose_unit": "mg",
            "frequency": "weekly", "start": "2027-03", "outcome": "ongoing",
        })

        assert 422 == response.status_code
        assert _warnings(response.text)[0].startswith(
            "Start 2027-03 (methotrexate start) is after today (2026-12-04)."
        )

    def test_future_clasi_exam_is_shown_again(self, world: World, doc: Browser) -> None:
        """A CLASI examination dated 2030-01-01 is held back; the record keeps no exam."""
        response = doc.submit(f"/patients/{world.seed}/clasi", {
            "date": "2030-01-01", "chest.erythema": "2",
            "dyspigmentation_lasts_12_months": "no",
        })

        assert (422, []) == (response.status_code, _record(world, world.seed).get("clasi", []))
        assert "(CLASI examination) is after today" in _warnings(response.text)[0]

    def test_future_assessment_date_is_shown_again(self, world: World, doc: Browser) -> None:
        """Moving as_of to 2031-01-01 asks first; the stored as_of stays 2024-03-15."""
        form = {
            "as_of": "2031-01-01", "sex": "female", "birth_date": "1981-07-02",
            "weight_value": "176", "weight_unit": "lb", "height_value": "5 ft 3 in",
            "smoking": "current", "pregnant": "no", "blood_group": "A",
            "conditions": ["estrogen_use"],
        }

        response = doc.submit(f"/patients/{world.scle}/edit", form)
        confirmed = doc.submit(f"/patients/{world.scle}/edit",
                               {**form, "confirm_future_date": "1"})

        assert 422 == response.status_code
        assert _warnings(response.text)[0].startswith(
            "Assessment date 2031-01-01 (assessment date) is after today (2026-12-04)."
        )
        assert (303, "2031-01-01") == (
            confirmed.status_code, doc.get(f"/api/patients/{world.scle}").json()["as_of"]
        )


class TestPatientPage:
    def test_alert_and_banner_for_a_confirmed_future_course(
        self, world: World, doc: Browser
    ) -> None:
        """A confirmed course starting 2027-03 raises future_date and the banner counts it."""
        doc.submit(f"/patients/{world.seed}/therapies", {
            "drug": "methotrexate", "dose_value": "15", "dose_unit": "mg",
            "frequency": "weekly", "start": "2027-03", "outcome": "ongoing",
            "confirm_future_date": "1",
        })

        html = doc.get(f"/patients/{world.seed}").text

        assert 'data-code="future_date"' in html
        assert "Methotrexate start: 2027-03" in html
        assert re.search(r"1 observation\s+or therapy course dated after the assessment date "
                         r"is not used", html)

    def test_api_assessment_carries_the_alert(self, world: World, doc: Browser) -> None:
        """The JSON assessment of a record with a 2062 finding has one future_date alert."""
        doc.submit(f"/patients/{world.seed}/findings", {**FINDING, "confirm_future_date": "1"})

        alerts = doc.get(f"/api/patients/{world.seed}/assessment").json()["alerts"]

        assert ["Finding fever: 2062-06-01 (findings[2].date) is after today (2026-12-04)."] == [
            a["message"].split(" A future date")[0] for a in alerts if a["code"] == "future_date"
        ]
