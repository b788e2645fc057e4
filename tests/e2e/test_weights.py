"""Issue 12 item 3 in headless Chromium: weight and height history — recorded on its own page,
the dosing weight on the IVIG page dated, at 1366×900 and 390×844, with axe-core and
screenshots in test-artefacts/ (weight-history-*.png, weight-ivig-*.png).

The tests share one signed-in tab and run in file order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.e2e.test_browser import open_seed_patient
from tests.e2e.test_workflow import AXE_ENV, AXE_FILE, LAPTOP, PHONE, axe_violations, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _add(page: Page, name: str, value: str, unit: str, date: str) -> None:
    page.get_by_label("Measurement", exact=True).select_option(name)
    page.get_by_label("Value", exact=True).fill(value)
    page.get_by_label("Value unit").select_option(unit)
    page.get_by_label("Measured on").fill(date)
    page.get_by_role("button", name="Add the measurement").click()
    page.wait_for_url(re.compile(r"/measurements\?added=\d+"))


@pytest.fixture(scope="module", autouse=True)
def _leave_the_seed_as_found(page: Page) -> Iterator[None]:
    """The server is shared with the other browser tests: remove every weight and height this
    module added to the seed patient at the end."""
    yield
    patient = open_seed_patient(page)
    csrf = page.request.get("/api/session").json()["csrf_token"]
    api = patient.replace("/patients/", "/api/patients/")
    for item in page.request.get(f"{api}/measurements").json():
        page.request.delete(f"{api}/measurements/{item['id']}", headers={"X-CSRF-Token": csrf})


class TestWeightHistory:
    def test_record_history_and_see_the_weight_used(self, page: Page) -> None:
        """176 lb on 2019-05-28 is saved as 79.8 kg; 70 kg on 2019-07-01 is listed as after
        the assessment date (the list fits a 390 px phone); the IVIG page doses on 79.8 kg of
        2019-05-28 and names the later weight as not used."""
        patient = open_seed_patient(page)
        page.get_by_role("link", name="Weight and height", exact=True).click()
        page.wait_for_url(f"**{patient}/measurements")

        _add(page, "weight", "176", "lb", "2019-05-28")
        saved = page.get_by_role("status").first.inner_text()
        _add(page, "weight", "70", "kg", "2019-07-01")
        rows = page.locator("table.measurements tbody tr").all_inner_texts()
        page.set_viewport_size(PHONE)
        phone_width = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size(LAPTOP)
        shoot(page, "weight-history")

        page.goto(f"{patient}/ivig")
        measured = page.locator('[data-value="weight_measured"]').inner_text()
        body = page.locator("main").inner_text()
        shoot(page, "weight-ivig")

        assert "Saved: the weight 79.8 kg of 2019-05-28." == saved
        assert ["2019-07-01", "2019-05-28"] == [r.split()[0] for r in rows]
        assert "not used" in rows[0] and "used (latest)" in rows[1]
        assert "79.8 kg on 2019-05-28" == measured
        assert phone_width <= 390
        assert "Weight 70.0 kg on 2019-07-01 is after the plan start (2019-06-03): not used" in (
            body
        )

    def test_remove_from_the_page(self, page: Page) -> None:
        """Removing the 70 kg weight from the page asks first, then names what was removed."""
        patient = open_seed_patient(page)
        page.goto(f"{patient}/measurements")
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("table.measurements tbody tr").first.get_by_role("button").click()
        page.wait_for_url(re.compile(r"/measurements\?removed="))

        assert "Removed: the weight 70.0 kg of 2019-07-01." == (
            page.get_by_role("status").first.inner_text()
        )

    def test_history_page_fits_a_phone(self, page: Page) -> None:
        """At 390×844 the weight-and-height page scrolls only downwards."""
        patient = open_seed_patient(page)
        page.set_viewport_size(PHONE)
        page.goto(f"{patient}/measurements")
        width = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size(LAPTOP)

        assert width <= 390


@pytest.mark.skipif(
    not AXE_FILE, reason=f"no axe-core: ${AXE_ENV} unset and tests/node not installed"
)
class TestWeightAccessibility:
    @pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1366x900", "390x844"])
    def test_no_axe_violations(self, page: Page, size: dict[str, int]) -> None:
        """axe-core finds no violation on the weight-and-height page and the details form."""
        patient = open_seed_patient(page)
        page.set_viewport_size(size)
        found = {}
        for path in (f"{patient}/measurements", f"{patient}/edit"):
            page.goto(path)
            found[path.rsplit("/", 1)[-1]] = axe_violations(page)
        page.set_viewport_size(LAPTOP)

        assert {k: [] for k in found} == found
