"""Issue 12 in headless Chromium: the CLASI sheet filled from the keyboard with running totals,
the IVIG plan from the published preset, and the patient page on a phone; screenshots at
1366×900 and 390×844 go to test-artefacts/.

The tests share one signed-in tab and run in file order.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import ARTEFACTS
from tests.e2e.test_browser import open_seed_patient

if TYPE_CHECKING:  # imported by the `browser` fixture, which skips (or fails in CI) without it
    from playwright.sync_api import Page

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot at the laptop and the phone size, then back to the laptop."""
    ARTEFACTS.mkdir(exist_ok=True)
    for size, suffix in ((LAPTOP, "1366x900"), (PHONE, "390x844")):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTEFACTS / f"{name}-{suffix}.png"), full_page=True)
    page.set_viewport_size(LAPTOP)


class Keyboard:
    """Presses keys on the page and counts them."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def press(self, *keys: str) -> None:
        """Press each key once."""
        for key in keys:
            self.page.keyboard.press(key)
            self.count += 1


class TestClasiSheet:
    def test_a_full_examination_from_the_keyboard(self, page: Page) -> None:
        """Every region at erythema 1, scale 1, dyspigmentation 1 and scarring 1 (not the
        scalp), mucosa 1, recent hair loss 1, non-scarring alopecia 2, scarring alopecia 4 and
        dyspigmentation lasting a year: the sheet shows CLASI-A 30 and CLASI-D 42 (13 × 1 × 2
        + 12 + 4) before saving, in under 60 key presses, and the server stores the same."""
        page.set_viewport_size(LAPTOP)
        patient = open_seed_patient(page)
        page.goto(f"{patient}/clasi/new")
        page.fill("#f-date", "2019-08-01")
        page.focus("select.clasi-cell")
        keys = Keyboard(page)
        keys.press(*["1"] * (13 * 4 - 1))  # 13 regions × 4 items, no scarring cell on the scalp
        keys.press("1", "1", "2", "4", "y")  # the items for the whole patient
        shown = (page.inner_text("#clasi-a-total"), page.inner_text("#clasi-d-total"))
        focused = page.evaluate("document.activeElement.id")
        shoot(page, "clasi-sheet")
        keys.press("Enter")
        page.wait_for_url(re.compile(r"/clasi\?added=\d+$"))
        saved = page.locator("tr.added")

        assert (("30", "42"), "clasi-save", 57, "30", "42") == (  # 57 < 60 key presses
            shown, focused, keys.count,
            saved.locator('[data-score="clasi_a"]').inner_text(),
            saved.locator('[data-score="clasi_d"]').inner_text(),
        )

    def test_start_from_the_last_examination(self, page: Page) -> None:
        """'Start from the last examination' fills the sheet with the latest examination's
        values, so the totals read 30 and 42 before anything is typed."""
        patient = open_seed_patient(page)
        page.goto(f"{patient}/clasi/new")
        page.get_by_role("link", name=re.compile("Start from the last examination")).click()
        page.wait_for_url(re.compile(r"from=last$"))

        assert ("30", "42", "4") == (
            page.inner_text("#clasi-a-total"), page.inner_text("#clasi-d-total"),
            page.input_value("#f-scarring_alopecia_scalp"),
        )

    def test_the_sheet_fits_a_tablet(self, page: Page) -> None:
        """On a 1024×768 tablet the whole sheet is as wide as the screen at most, and every
        cell is at least 32 px tall for a finger."""
        patient = open_seed_patient(page)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.goto(f"{patient}/clasi/new")
        width = page.evaluate("document.documentElement.scrollWidth")
        sheet = page.eval_on_selector("table.clasi-sheet", "t => t.getBoundingClientRect().right")
        heights = page.eval_on_selector_all(
            "select.clasi-cell", "cs => cs.map(c => c.getBoundingClientRect().height)"
        )
        page.set_viewport_size(LAPTOP)

        assert (True, True, 56, True) == (
            width <= 1024, sheet <= 1024, len(heights), min(heights) >= 32
        )

    def test_a_level_the_item_does_not_have_is_refused(self, page: Page) -> None:
        """Typing 3 in a scale cell (0-2) leaves it at 0 and the cursor where it was."""
        patient = open_seed_patient(page)
        page.goto(f"{patient}/clasi/new")
        page.focus('[name="scalp.scale"]')
        page.keyboard.press("3")

        assert ("0", "f-scalp.scale") == (
            page.input_value('[name="scalp.scale"]'), page.evaluate("document.activeElement.id")
        )


class TestIvigPreset:
    def test_the_seed_plan_from_the_preset_in_three_clicks(self, page: Page) -> None:
        """With the seed's request removed, IVIG plan → the Singh 2020 preset → Save gives
        120 g over 5 days (2 g/kg × 60 kg), then 4 courses of 60 g (1 g/kg) 4 weeks apart."""
        page.set_viewport_size(LAPTOP)
        patient = open_seed_patient(page)
        page.goto(f"{patient}/ivig")
        page.get_by_role("button", name="Remove the request").click()
        page.wait_for_url(f"**{patient}/ivig")
        page.goto(patient)
        clicks = 0
        page.get_by_role("navigation", name="Patient record").get_by_role(
            "link", name="IVIG plan"
        ).click()
        clicks += 1
        offered = page.eval_on_selector_all("[data-preset]", "as => as.map(a => a.dataset.preset)")
        page.get_by_role("link", name="Seed protocol (Singh 2020)").click()
        clicks += 1
        page.get_by_role("button", name="Save the request and plan").click()
        clicks += 1
        page.wait_for_url(re.compile(r"/ivig(#request)?$"))
        shoot(page, "ivig-plan")
        plan = page.request.get(f"/api/patients/{patient.rsplit('/', 1)[1]}/ivig-plan").json()
        courses = [(c["total_grams"], len(c["days"])) for c in plan["courses"]]

        assert (3, [(120, 5), (60, 1), (60, 1), (60, 1), (60, 1)], "60.00 kg") == (
            clicks, courses, page.locator('[data-value="dosing_weight_kg"]').inner_text()
        )
        assert ("cle_motivating_case", ["sjs_ten_yang_2009", "sjs_ten_trent_2003"]) == (
            offered[0], offered[-2:])

    def test_sjs_ten_presets_come_last_labelled_outside_cle(self, page: Page) -> None:
        """On the IVIG page the two SJS/TEN presets follow every CLE one, each labelled
        "outside CLE … — for reference" with its study; on a phone the list scrolls only down."""
        patient = open_seed_patient(page)
        page.goto(f"{patient}/ivig")
        items = page.eval_on_selector_all(
            ".presets li", "ls => ls.map(l => [l.querySelector('a').dataset.preset, "
            "(l.querySelector('.outside-cle') || {}).textContent || '', "
            "(l.querySelector('cite') || {}).textContent || ''])")
        page.locator(".presets").scroll_into_view_if_needed()
        shoot(page, "ivig-presets")
        page.locator(".presets").screenshot(path=str(ARTEFACTS / "ivig-preset-list-1366x900.png"))
        page.set_viewport_size(PHONE)
        phone_width = page.evaluate("document.documentElement.scrollWidth")
        page.locator(".presets").screenshot(path=str(ARTEFACTS / "ivig-preset-list-390x844.png"))
        page.set_viewport_size(LAPTOP)
        outside = [(i[0], i[1]) for i in items if i[1]]

        assert [("sjs_ten_yang_2009", "outside CLE: SJS/TEN — for reference"),
                ("sjs_ten_trent_2003", "outside CLE: TEN — for reference")] == outside
        assert [i[0] for i in items][-2:] == [o[0] for o in outside]
        assert "Int J Dermatol 2009" in items[-2][2] and "Arch Dermatol 2003" in items[-1][2]
        assert phone_width <= 390


class TestPhone:
    def test_no_page_is_wider_than_a_phone(self, page: Page) -> None:
        """At 390×844 the patient, CLASI sheet, IVIG, therapies and labs pages scroll only
        downwards (the document is at most 390 px wide)."""
        patient = open_seed_patient(page)
        page.set_viewport_size(PHONE)
        widths = {}
        for path in (patient, f"{patient}/clasi/new", f"{patient}/ivig",
                     f"{patient}/therapies", f"{patient}/labs"):
            page.goto(path)
            widths[path] = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size(LAPTOP)

        assert {p: True for p in widths} == {p: w <= 390 for p, w in widths.items()}, widths


class TestPatientPage:
    def test_summary_first_and_no_sideways_scroll_on_a_phone(self, page: Page) -> None:
        """At 390×844 the seed patient's page is no wider than the screen; at 1366×900 its first
        screen holds the summary (refractory), the alerts and the top options, and failed
        agents are folded away."""
        patient = open_seed_patient(page)
        page.set_viewport_size(PHONE)
        page.goto(patient)
        phone_width = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size(LAPTOP)
        page.goto(patient)

        def top(selector: str) -> float:
            return float(page.eval_on_selector(selector, "e => e.getBoundingClientRect().top"))

        first_screen = [top(s) < 900 for s in ("#summary", "#alerts-h", "#top-h")]
        refractory = page.inner_text('[data-summary="refractory"]')
        folded = page.eval_on_selector_all(
            "details.folded", "ds => ds.map(d => d.querySelector('summary').textContent)"
        )
        shoot(page, "patient-page")

        assert (True, [True, True, True], True, True) == (
            phone_width <= 390, first_screen, refractory.startswith("Refractory"),
            any(text.startswith("Failed or not tolerated") for text in folded),
        )


AXE_ENV = "CLEPATH_TEST_AXE"
# `npm ci` in tests/node (run by .ci/run) puts the pinned axe-core here.
AXE_LOCAL = (Path(__file__).resolve().parents[1] / "node" / "node_modules" / "axe-core"
             / "axe.min.js")
AXE_FILE = os.environ.get(AXE_ENV) or (str(AXE_LOCAL) if AXE_LOCAL.is_file() else "")


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on the current page (rule id and how many nodes), run from the
    local file named by $CLEPATH_TEST_AXE or installed in tests/node by `npm ci`."""
    source = Path(AXE_FILE).read_text(encoding="utf-8")
    page.evaluate(source)  # evaluated through the debugging protocol: the page's CSP stays on
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10, "axe-core did not run its rules"
    return [f"{v['id']} ({len(v['nodes'])})" for v in result["violations"]]


@pytest.mark.skipif(
    not AXE_FILE, reason=f"no axe-core: ${AXE_ENV} unset and tests/node not installed"
)
class TestAccessibility:
    @pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1366x900", "390x844"])
    def test_no_axe_violations(self, page: Page, size: dict[str, int]) -> None:
        """axe-core finds no violation on the patient page, the CLASI sheet and the IVIG page,
        at the laptop and the phone size."""
        patient = open_seed_patient(page)
        page.set_viewport_size(size)
        found = {}
        for path in (patient, f"{patient}/clasi/new", f"{patient}/ivig"):
            page.goto(path)
            found[path.rsplit("/", 1)[-1]] = axe_violations(page)
        page.set_viewport_size(LAPTOP)

        assert {k: [] for k in found} == found
