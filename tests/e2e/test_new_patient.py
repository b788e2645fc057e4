"""Issue 12 item 3 in headless Chromium: the published case entered from the keyboard in the
one new-patient form (details, diagnosis, 8 failed and 2 current therapies), the partial-date
pickers, and the form at 1366×900 and 390×844 (no sideways scroll, no axe-core violation,
screenshots `test-artefacts/new-patient-*.png`).

The key presses are counted: every character typed, every Tab, Space and Enter. The tests share
one signed-in tab and run in file order.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import ARTEFACTS
from tests.e2e.test_browser import open_seed_patient
from tests.e2e.test_workflow import AXE_ENV, AXE_FILE, LAPTOP, PHONE, axe_violations, shoot

if TYPE_CHECKING:  # imported by the `browser` fixture, which skips (or fails in CI) without it
    from playwright.sync_api import Page

SITES = ("rest_of_face", "chest", "abdomen", "back_buttocks", "hands", "feet")  # page order
# The published case's past drugs as a clinician abbreviates them (the drugs pack's synonyms);
# each is stored under its generic name.
FAILED = (("HCQ", "hydroxychloroquine"), ("AZA", "azathioprine"), ("MTX", "methotrexate"),
          ("DDS", "dapsone"), ("CYC", "cyclophosphamide"), ("MMF", "mycophenolate mofetil"),
          ("Prograf", "tacrolimus"), ("RTX", "rituximab"))


class Keyboard:
    """Types and presses keys on the page, counting every key press."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0
        self.tabs = 0

    def press(self, *keys: str) -> None:
        """Press each key once."""
        for key in keys:
            self.page.keyboard.press(key)
            self.count += 1

    def type(self, text: str) -> None:
        """Type the text, one key press per character."""
        self.page.keyboard.type(text)
        self.count += len(text)

    def tab_to(self, selector: str) -> None:
        """Press Tab until the element matching `selector` has the focus."""
        for _ in range(250):
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
            self.press("Tab")
            self.tabs += 1
        raise AssertionError(f"Tab never reached {selector}")


def row(n: int, field: str) -> str:
    """The CSS selector of a therapy row's field."""
    return f'[id="f-therapies[{n}].{field}"]'


def enter_details(page: Page, case_id: str) -> Keyboard:
    """Open the new-patient form and type the published case's details and diagnosis from the
    keyboard; the counting keyboard, its focus in the 'since' box."""
    page.goto("/patients/new")
    page.focus("#f-case_id")
    keys = Keyboard(page)
    keys.type(case_id)
    keys.tab_to("#f-as_of")
    keys.type("06012019")  # the date picker's segments: month, day, year (en-US)
    keys.tab_to("#f-sex")
    keys.press("f")
    keys.tab_to("#f-age")
    keys.type("47")
    keys.tab_to("#f-weight_value")
    keys.type("60")
    keys.tab_to("#f-height_value")
    keys.type("158")
    keys.tab_to("#f-subtype")
    keys.press("c", "u")  # "Cutaneous LE, subtype not specified"
    for site in SITES:
        keys.tab_to(f'input[name="sites"][value="{site}"]')
        keys.press("Space")
    keys.tab_to("#f-since_precision")
    keys.press("y")  # year only: the box becomes four digits
    keys.tab_to("#f-since")
    keys.type("2009")
    return keys


class TestNewPatientFromTheKeyboard:
    def test_the_published_case_in_one_form(self, page: Page) -> None:
        """The seed patient (female, 47, 60 kg, 158 cm, CLE since 2009 on six sites, 8 failed
        drugs, deflazacort 18 mg once daily and apremilast 30 mg twice daily since 2019-05-04)
        is saved from one form in one submission, from the keyboard alone, and the page says
        'Patient intake-0001 saved with 10 therapies and 1 diagnosis'."""
        page.set_viewport_size(LAPTOP)
        keys = enter_details(page, "intake-0001")
        for n, (typed, _) in enumerate(FAILED):
            if n >= 3:  # three rows are there; "add another therapy" adds the rest
                keys.tab_to("#add-therapy")
                keys.press("Enter")
            keys.tab_to(row(n, "drug"))
            keys.type(typed)
            keys.tab_to(row(n, "outcome"))
            keys.press("f")  # failed (no adequate response)
        for n, (drug, dose, often) in ((8, ("Calcort", "18", "o")), (9, ("Otezla", "30", "t"))):
            keys.tab_to("#add-therapy")
            keys.press("Enter")
            keys.tab_to(row(n, "drug"))
            keys.type(drug)
            keys.tab_to(row(n, "outcome"))
            keys.press("o")  # ongoing
            keys.tab_to(f'[data-row="{n}"] summary')
            keys.press("Enter")  # open dose, schedule, route, dates
            keys.tab_to(row(n, "dose_value"))
            keys.type(dose)
            keys.tab_to(row(n, "frequency"))
            keys.press(often)  # once daily / twice daily
            keys.tab_to(row(n, "start"))
            keys.type("05042019")
        shown = {
            "as_of": page.input_value("#f-as_of"),
            "subtype": page.input_value("#f-subtype"),
            "since": page.input_value("#f-since"),
            "start": page.input_value(row(9, "start")),
            "frequency": page.input_value(row(9, "frequency")),
        }
        shoot(page, "new-patient")
        keys.tab_to("#save-patient")
        keys.press("Enter")
        page.wait_for_url(re.compile(r"/patients/\d+\?created=1$"))
        message = page.inner_text("#created")
        patient = page.url.split("?")[0].rsplit("/", 1)[1]
        stored = page.request.get(f"/api/patients/{patient}/therapies").json()
        ARTEFACTS.mkdir(exist_ok=True)
        (ARTEFACTS / "new-patient-keys.txt").write_text(
            f"seed case in the new-patient form: {keys.count} key presses "
            f"({keys.tabs} Tab, {keys.count - keys.tabs} other)\n", encoding="utf-8")

        assert {"as_of": "2019-06-01", "subtype": "unspecified", "since": "2009",
                "start": "2019-05-04", "frequency": "twice_daily"} == shown
        assert "Patient intake-0001 saved with 10 therapies and 1 diagnosis." == message
        assert [d for _, d in FAILED] + ["deflazacort", "apremilast"] == [
            s["stored"]["drug"] for s in stored]
        assert (8, "18 mg", "daily", "2019-05-04") == (
            sum(s["stored"]["outcome"] == "failed" for s in stored),
            stored[8]["entry"]["dose"], stored[8]["entry"]["frequency"],
            stored[8]["entry"]["start"],
        )
        assert keys.count <= 215, keys.count  # 213 at this writing (90 of them Tab)


    def test_the_same_case_the_old_way(self, page: Page) -> None:
        """For comparison, the same patient the way it was entered before: the new-patient
        form without therapies, then the therapy page's form once per course (from the top of
        the page each time, as after saving). Only the counts are kept; the record must hold
        the same 10 courses."""
        page.set_viewport_size(LAPTOP)
        keys = enter_details(page, "intake-0002")
        keys.tab_to("#save-patient")
        keys.press("Enter")
        page.wait_for_url(re.compile(r"/patients/\d+\?created=1$"))
        patient = page.url.split("?")[0]
        page.goto(f"{patient}/therapies")  # one click on the "Therapies" tab
        courses = [(typed, "f", None) for typed, _ in FAILED] + [
            ("Calcort", "o", ("18", "o")), ("Otezla", "o", ("30", "t"))]
        for typed, outcome, details in courses:
            keys.tab_to("#f-drug")
            keys.type(typed)
            if details is not None:
                keys.tab_to("#f-dose_value")
                keys.type(details[0])
                keys.tab_to("#f-frequency")
                keys.press(details[1])
                keys.tab_to("#f-start")
                keys.type("05042019")
            keys.tab_to("#f-outcome")
            keys.press(outcome)
            keys.tab_to('form[action$="/therapies#add"] button[type=submit]')
            with page.expect_navigation(url=re.compile(r"/therapies\?added=\d+(#add)?$")):
                keys.press("Enter")
        stored = page.request.get(
            f"/api/patients/{patient.rsplit('/', 1)[1]}/therapies").json()
        ARTEFACTS.mkdir(exist_ok=True)
        with (ARTEFACTS / "new-patient-keys.txt").open("a", encoding="utf-8") as out:
            out.write(f"the same case before (details form, then the therapy page once per "
                      f"course): {keys.count} key presses ({keys.tabs} Tab), 11 submissions, "
                      f"1 click\n")

        assert 10 == len(stored)
        assert keys.count > 213, keys.count


class TestPartialDatePicker:
    def test_precision_changes_the_picker(self, page: Page) -> None:
        """A start picked as 2019-05-04, then 'month only', shows a month picker holding
        2019-05; 'year only' a box holding 2019; back to 'day' the box is emptied rather than
        a month and day invented."""
        page.goto("/patients/new")
        page.click('[data-row="0"] summary')
        page.fill(row(0, "start"), "2019-05-04")
        seen = []
        for precision in ("month", "year", "day"):
            page.select_option(row(0, "start_precision"), precision)
            seen.append((page.get_attribute(row(0, "start"), "type"),
                         page.input_value(row(0, "start"))))

        assert [("month", "2019-05"), ("text", "2019"), ("date", "")] == seen


class TestNewPatientLayout:
    @pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1366x900", "390x844"])
    def test_no_sideways_scroll(self, page: Page, size: dict[str, int]) -> None:
        """The new-patient form (with a therapy row added and its dates open, and a lab row
        added), the seed patient's
        therapy page and a course's edit form are no wider than the screen."""
        patient = open_seed_patient(page)
        page.set_viewport_size(size)
        page.goto("/patients/new")
        page.click("#add-therapy")
        page.click('[data-row="3"] summary')
        page.click("details.first-labs > summary")
        page.click("#add-lab")
        widths = {"new": page.evaluate("document.documentElement.scrollWidth")}
        page.goto(f"{patient}/therapies")
        widths["therapies"] = page.evaluate("document.documentElement.scrollWidth")
        page.click("text=Change")
        widths["edit"] = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size(LAPTOP)

        assert {k: True for k in widths} == {k: w <= size["width"] for k, w in widths.items()}, (
            widths)

    @pytest.mark.skipif(
        not AXE_FILE, reason=f"no axe-core: ${AXE_ENV} unset and tests/node not installed"
    )
    @pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1366x900", "390x844"])
    def test_no_axe_violations(self, page: Page, size: dict[str, int]) -> None:
        """axe-core finds no violation on the new-patient form (empty with the lab rows open and
        one added, and refused with errors at a therapy row) at the laptop and the phone
        size."""
        page.set_viewport_size(size)
        page.goto("/patients/new")
        page.click("details.first-labs > summary")
        page.click("#add-lab")
        found = {"empty": axe_violations(page)}
        page.click("#add-therapy")
        page.fill(row(3, "drug"), "dapsone")
        page.fill("#f-case_id", "intake-axe")
        page.click("#save-patient")
        page.wait_for_selector(".error-summary")
        found["refused"] = axe_violations(page)
        page.set_viewport_size(LAPTOP)

        assert {"empty": [], "refused": []} == found
