"""Documents: the timeline chart (SVG), the treatment summary and the IVIG letter (PDF), their
links on the patient and IVIG pages, their audit rows, and the error page when no letter can
be made."""

from __future__ import annotations

import re

from clepath.web.routes.documents import NO_REQUEST, document_name
from tests.pdf._text import pdf_text
from tests.web.conftest import Browser, World

SEED_ID = "idoj-2020-ivig-rescue"
CLASI_EXAM = {
    "date": "2019-06-01",
    "regions": {"nose_malar": {"erythema": 2, "scale": 1}, "arms": {"erythema": 1}},
}


def titles(svg: str, label: str) -> list[str]:
    """The tooltips of the marks of one series (`<title>CLASI-A 2019-06-01: 4</title>`)."""
    return re.findall(rf"<title>({re.escape(label)} \d{{4}}-\d\d-\d\d: [^<]*)</title>", svg)


def audit(world: World, resource: str) -> list[tuple[str, str | None, str | None]]:
    """(action, detail, username) of the seed patient's audit rows for one resource."""
    with world.app.state.clepath.store() as store:
        return [(e.action, e.detail, e.username)
                for e in store.audit.events(patient_id=world.seed) if e.resource == resource]


class TestTimeline:
    def test_svg_holds_the_seed_scores(self, world: World, doc: Browser) -> None:
        """The seed chart marks SLEDAI-2K 5 on 2019-05-28 and 7 on 2019-06-01, no CLASI-A."""
        response = doc.get(f"/patients/{world.seed}/timeline.svg")

        assert ("image/svg+xml", ["SLEDAI-2K 2019-05-28: 5", "SLEDAI-2K 2019-06-01: 7"], []) == (
            response.headers["content-type"].split(";")[0],
            [t.split(";")[0] for t in titles(response.text, "SLEDAI-2K")],
            titles(response.text, "CLASI-A"),
        )

    def test_a_new_clasi_exam_adds_a_point(self, world: World, doc: Browser) -> None:
        """After a CLASI exam (nose and malar 2+1, arms 1) the chart has one CLASI-A point of 4."""
        doc.api("POST", f"/api/patients/{world.seed}/clasi", CLASI_EXAM)

        svg = doc.get(f"/patients/{world.seed}/timeline.svg").text

        assert ["CLASI-A 2019-06-01: 4"] == [t.split(";")[0] for t in titles(svg, "CLASI-A")]

    def test_view_is_audited(self, world: World, doc: Browser) -> None:
        """Fetching the chart writes a view row for the timeline, naming the clinician."""
        doc.get(f"/patients/{world.seed}/timeline.svg")

        assert [("view", "svg", "doc")] == audit(world, "timeline")

    def test_api_series_match_the_chart(self, world: World, doc: Browser) -> None:
        """The API's timeline has the same SLEDAI-2K values (5, 7) and 15 mg/day of prednisone."""
        t = doc.get(f"/api/patients/{world.seed}/timeline").json()

        assert ([5, 7], [15], "2019-06-01") == (
            [p["value"] for p in t["sledai"]["points"]],
            [p["value"] for p in t["prednisone_equivalent"]["points"]],
            t["as_of"],
        )

    def test_api_svg_twin(self, world: World, doc: Browser) -> None:
        """`/api/.../timeline.svg` answers the same drawing as the page's image."""
        page = doc.get(f"/patients/{world.seed}/timeline.svg").text

        assert page == doc.get(f"/api/patients/{world.seed}/timeline.svg").text


class TestPages:
    def test_patient_page_shows_the_chart_and_links(self, world: World, doc: Browser) -> None:
        """The patient page embeds the chart and links the summary and the IVIG letter."""
        html = doc.get(f"/patients/{world.seed}").text
        section = html[html.index('<section id="timeline"'):]

        assert (True, True, True) == (
            f'<img src="/patients/{world.seed}/timeline.svg"' in section,
            f'href="/patients/{world.seed}/summary.pdf"' in html,
            f'href="/patients/{world.seed}/ivig/letter.pdf"' in html,
        )

    def test_no_request_no_letter_link(self, world: World, doc: Browser) -> None:
        """Without an IVIG request the patient page offers to request a plan, not the letter."""
        doc.api("DELETE", f"/api/patients/{world.scle}/ivig-request")

        html = doc.get(f"/patients/{world.scle}").text

        assert (False, True) == (
            "/ivig/letter.pdf" in html,
            "request an IVIG plan</a> first" in html,
        )

    def test_ivig_page_links_the_letter(self, world: World, doc: Browser) -> None:
        """The IVIG plan page links the letter beside the calendar."""
        html = doc.get(f"/patients/{world.seed}/ivig").text

        assert f'href="/patients/{world.seed}/ivig/letter.pdf"' in html


class TestSummary:
    def test_summary_pdf(self, world: World, doc: Browser) -> None:
        """The summary is an attached PDF named by the case id, with SLEDAI-2K 7 and refractory."""
        response = doc.get(f"/patients/{world.seed}/summary.pdf")
        text = pdf_text(response.content)

        assert (
            "application/pdf",
            f'attachment; filename="{SEED_ID}-treatment-summary.pdf"',
            b"%PDF",
            True,
            True,
        ) == (
            response.headers["content-type"],
            response.headers["content-disposition"],
            response.content[:4],
            "SLEDAI-2K" in text and "Treatment summary" in text,
            "Refractory" in text,
        )

    def test_summary_is_audited_and_viewers_may_read_it(
        self, world: World, viewer: Browser
    ) -> None:
        """A viewer downloads the summary; the audit log holds a view row for it."""
        response = viewer.get(f"/patients/{world.seed}/summary.pdf")

        assert (200, [("view", "pdf", "viewer")]) == (
            response.status_code, audit(world, "treatment_summary")
        )

    def test_api_twin(self, world: World, doc: Browser) -> None:
        """`/api/.../summary.pdf` answers a PDF with the same file name."""
        response = doc.get(f"/api/patients/{world.seed}/summary.pdf")

        assert (200, b"%PDF", f'attachment; filename="{SEED_ID}-treatment-summary.pdf"') == (
            response.status_code, response.content[:4], response.headers["content-disposition"]
        )


class TestLetter:
    def test_letter_pdf(self, world: World, doc: Browser) -> None:
        """The letter is an attached PDF asking for IVIG, with the 120 g induction regimen."""
        response = doc.get(f"/patients/{world.seed}/ivig/letter.pdf")
        text = pdf_text(response.content)

        assert (
            "application/pdf",
            f'attachment; filename="{SEED_ID}-ivig-letter.pdf"',
            True,
            True,
            [("view", "pdf", "doc")],
        ) == (
            response.headers["content-type"],
            response.headers["content-disposition"],
            "prior authorisation" in text and "intravenous immunoglobulin" in text,
            "Total requested: 360 g" in text,
            audit(world, "ivig_letter"),
        )

    def test_no_request_shows_the_error_page(self, world: World, doc: Browser) -> None:
        """Without an IVIG request the page says so in plain words (404), with no traceback."""
        doc.submit(f"/patients/{world.seed}/ivig/clear")

        response = doc.get(f"/patients/{world.seed}/ivig/letter.pdf")

        assert (404, "text/html", True, False, True, []) == (
            response.status_code,
            response.headers["content-type"].split(";")[0],
            NO_REQUEST.split(",")[0] in response.text,
            "Traceback" in response.text,
            f'href="/patients/{world.seed}/ivig"' in response.text,
            audit(world, "ivig_letter"),
        )

    def test_no_weight_shows_the_error_page(self, world: World, doc: Browser) -> None:
        """Without a weight the page names the record's patient.weight (422), in a sentence."""
        doc.api("PUT", f"/api/patients/{world.seed}/details",
                {"as_of": "2019-06-01", "patient": {"sex": "female", "age": 47}})

        response = doc.get(f"/patients/{world.seed}/ivig/letter.pdf")

        assert (422, True, "No IVIG letter can be made") == (
            response.status_code,
            "“patient.weight” is required: no body weight is recorded" in response.text,
            re.search(r"<h1>([^<]+)</h1>", response.text).group(1),  # type: ignore[union-attr]
        )

    def test_api_errors_are_json(self, world: World, doc: Browser) -> None:
        """The API twin answers 404 with the reason when no IVIG plan was requested."""
        doc.api("DELETE", f"/api/patients/{world.seed}/ivig-request")

        response = doc.get(f"/api/patients/{world.seed}/ivig-letter.pdf")

        assert (404, NO_REQUEST) == (response.status_code, response.json()["detail"])


class TestFileNames:
    def test_only_the_case_id_is_kept(self) -> None:
        """Characters unsafe in a file name become underscores; nothing else is added."""
        assert ("a_b_c-ivig-letter.pdf", "patient-treatment-summary.pdf") == (
            document_name("a b/c", "-ivig-letter.pdf"),
            document_name("../", "-treatment-summary.pdf"),
        )
