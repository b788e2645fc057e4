"""The therapy form asks before it saves an implausible dose, and refuses a unit slip (issue 9)."""

from __future__ import annotations

import html as html_lib
from typing import Any

from tests.web._html import field_errors
from tests.web.conftest import Browser, World

_DAILY_MTX = {
    "drug": "methotrexate", "dose_value": "15", "dose_unit": "mg", "frequency": "daily",
    "start": "2019-05-01", "outcome": "ongoing",
}


def _courses(doc: Browser, world: World) -> list[dict[str, Any]]:
    return doc.get(f"/api/patients/{world.seed}/therapies").json()  # type: ignore[no-any-return]


class TestConfirmation:
    def test_daily_methotrexate_is_shown_again_and_not_saved(
        self, world: World, doc: Browser
    ) -> None:
        """Methotrexate 15 mg once daily: the form returns with the warning; nothing is saved."""
        before = _courses(doc, world)

        response = doc.submit(f"/patients/{world.seed}/therapies", _DAILY_MTX)
        page = html_lib.unescape(response.text)

        assert 409 == response.status_code
        assert "Methotrexate once daily is not an allowed schedule" in page
        assert 'name="confirm_dose"' in page
        assert before == _courses(doc, world)

    def test_confirmed_daily_methotrexate_is_saved(self, world: World, doc: Browser) -> None:
        """With the box ticked the same course is saved (and the assessment alerts on it)."""
        before = len(_courses(doc, world))

        response = doc.submit(
            f"/patients/{world.seed}/therapies", {**_DAILY_MTX, "confirm_dose": "1"}
        )
        after = _courses(doc, world)

        assert 303 == response.status_code
        assert (before + 1, "methotrexate", "daily") == (
            len(after), after[-1]["stored"]["drug"], after[-1]["stored"]["frequency"]
        )

    def test_patient_page_shows_the_critical_alert(self, world: World, doc: Browser) -> None:
        """After a confirmed daily-methotrexate course the patient page shows a critical
        `dose_frequency_not_allowed` alert and the course as `implausible_dose`."""
        doc.submit(f"/patients/{world.seed}/therapies", {**_DAILY_MTX, "confirm_dose": "1"})

        page = html_lib.unescape(doc.get(f"/patients/{world.seed}").text)

        assert 'class="alert alert-critical" data-code="dose_frequency_not_allowed"' in page
        assert "implausible_dose: not an adequate trial: methotrexate once daily" in page

    def test_editing_to_15000_mg_asks_first(self, world: World, doc: Browser) -> None:
        """Changing deflazacort to methotrexate 15,000 mg weekly re-asks; nothing changes."""
        courses = _courses(doc, world)
        deflazacort = next(c for c in courses if c["stored"]["drug"] == "deflazacort")

        response = doc.submit(f"/patients/{world.seed}/therapies/{deflazacort['id']}/edit", {
            "drug": "methotrexate", "dose_value": "15000", "dose_unit": "mg",
            "frequency": "weekly", "start": "2019-05-04", "outcome": "ongoing",
        })
        page = html_lib.unescape(response.text)

        assert 409 == response.status_code
        assert "15,000 mg/week is above the maximum of 30 mg/week" in page
        assert courses == _courses(doc, world)

    def test_plausible_dose_is_saved_without_asking(self, world: World, doc: Browser) -> None:
        """Methotrexate 15 mg weekly is saved straight away."""
        response = doc.submit(
            f"/patients/{world.seed}/therapies", {**_DAILY_MTX, "frequency": "weekly"}
        )

        assert 303 == response.status_code

    def test_unit_slip_is_refused_at_the_dose(self, world: World, doc: Browser) -> None:
        """Methotrexate 30 g weekly is refused at the dose field, even when confirmed."""
        before = _courses(doc, world)

        response = doc.submit(f"/patients/{world.seed}/therapies", {
            **_DAILY_MTX, "frequency": "weekly", "dose_value": "30", "dose_unit": "g",
            "confirm_dose": "1",
        })

        assert 422 == response.status_code
        assert "unit slip" in " ".join(field_errors(response.text, "dose_value"))
        assert before == _courses(doc, world)
