"""A clinician's session in headless Chromium against the real server: sign in, open the seed
patient, record a CLASI examination, see the timeline change, download the treatment summary
and the IVIG letter; screenshots of the patient page and the IVIG plan page are saved.

The tests share one signed-in tab and run in file order (the CLASI examination recorded in one
is the chart change checked in the same test; later tests do not depend on it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.conftest import ARTEFACTS, Server, new_context, sign_in
from tests.pdf._text import pdf_text

if TYPE_CHECKING:  # imported by the `browser` fixture, which skips (or fails in CI) without it
    from playwright.sync_api import Browser, Page

SEED_ID = "idoj-2020-ivig-rescue"
CLASI_A = re.compile(r"<title>CLASI-A (\d{4}-\d\d-\d\d): (\d+)")


def open_seed_patient(page: Page) -> str:
    """Go from the patient list to the seed patient's page; its path (`/patients/N`)."""
    page.goto("/patients")
    page.get_by_role("link", name=SEED_ID, exact=True).click()
    page.wait_for_url(re.compile(r"/patients/\d+$"))
    return "/" + page.url.split("/", 3)[3]


def chart_svg(page: Page, patient_path: str) -> str:
    """The timeline image the patient page shows, fetched with the browser's session."""
    src = page.locator("#timeline img").get_attribute("src")
    assert src == f"{patient_path}/timeline.svg"
    response = page.request.get(src)
    assert response.headers["content-type"].startswith("image/svg+xml")
    return response.text()


def image_loaded(page: Page, selector: str) -> bool:
    """True when the browser drew the image (it loaded and decoded, CSP allowing)."""
    return bool(page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot in test-artefacts/ (created if missing)."""
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


class TestClinicianSession:
    def test_sign_in_through_the_form(self, browser: Browser, server: Server) -> None:
        """A new browser asking for the patient list is sent to sign in, then sees the seed."""
        context = new_context(browser, server)
        try:
            page = context.new_page()
            page.goto("/patients")
            sent_to = page.url
            sign_in(page, server)
            listed = page.get_by_role("link", name=SEED_ID, exact=True).count()
        finally:
            context.close()

        assert (True, 1) == ("/login?next=/patients" in sent_to, listed)

    def test_seed_patient_page(self, page: Page) -> None:
        """The seed patient shows SLEDAI-2K 7, refractory, and the timeline image drawn."""
        open_seed_patient(page)

        assert ("7", "refractory", True) == (
            page.locator('[data-score="sledai_2k"]').first.inner_text().strip(),
            page.locator(".refractory .verdict").get_attribute("data-status"),
            image_loaded(page, "#timeline img"),
        )

    def test_a_clasi_exam_changes_the_chart(self, page: Page) -> None:
        """A CLASI exam (nose and malar erythema 2, scale 1; arms erythema 1) entered through
        the form puts a CLASI-A point of 4 on the chart, which had none."""
        patient = open_seed_patient(page)
        before = CLASI_A.findall(chart_svg(page, patient))

        page.get_by_role("navigation", name="Patient record").get_by_role(
            "link", name="CLASI", exact=True
        ).click()
        page.get_by_role("link", name="Record a CLASI examination").click()
        page.get_by_label("Date of the examination").fill("2019-06-01")
        page.get_by_label("Nose (incl. malar area): Erythema").select_option("2")
        page.get_by_label("Nose (incl. malar area): Scale/hypertrophy").select_option("1")
        page.get_by_label("Arms: Erythema").select_option("1")
        page.get_by_role("button", name="Save the examination").click()
        page.wait_for_url(re.compile(r"/clasi\?added=\d+$"))
        page.goto(patient)
        after = CLASI_A.findall(chart_svg(page, patient))
        shown = page.locator('[data-score="clasi_a"]').first.inner_text().strip()
        drawn = image_loaded(page, "#timeline img")
        screenshot(page, "patient-page.png")

        assert ([], [("2019-06-01", "4")], "4", True) == (before, after, shown, drawn)

    def test_download_the_treatment_summary(self, page: Page) -> None:
        """The summary link downloads a PDF named by the case id, with SLEDAI-2K in it."""
        open_seed_patient(page)
        with page.expect_download() as info:
            page.get_by_role("link", name="Treatment summary (PDF)", exact=True).click()
        download = info.value
        content = Path(download.path()).read_bytes()

        assert (f"{SEED_ID}-treatment-summary.pdf", b"%PDF", True) == (
            download.suggested_filename, content[:4], "SLEDAI-2K" in pdf_text(content)
        )

    def test_ivig_plan_page_and_letter(self, page: Page) -> None:
        """The IVIG plan page shows 120 g over 5 days at 60 kg; its letter link downloads the
        prior-authorisation letter."""
        patient = open_seed_patient(page)
        page.get_by_role("navigation", name="Patient record").get_by_role(
            "link", name="IVIG plan"
        ).click()
        page.wait_for_url(f"**{patient}/ivig")
        weight = page.locator('[data-value="dosing_weight_kg"]').inner_text()
        screenshot(page, "ivig-plan.png")
        with page.expect_download() as info:
            page.get_by_role("link", name="Prior-authorisation letter (PDF)", exact=True).click()
        download = info.value
        content = Path(download.path()).read_bytes()
        text = pdf_text(content)

        assert ("60.00 kg", f"{SEED_ID}-ivig-letter.pdf", b"%PDF", True) == (
            weight, download.suggested_filename, content[:4],
            "prior authorisation" in text and "intravenous immunoglobulin" in text,
        )
