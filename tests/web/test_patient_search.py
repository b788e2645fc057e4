"""Patient search by name, date of birth or record number (issue 12 item 3): the rows found show
the stored name and date of birth; the audit row counts matches without the search text."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import Browser, World

ANNA = {"patient_name": "Anna Example", "birth_date": "1972-03-14", "record_number": "MRN-55821"}


def _rows(html: str) -> list[list[str]]:
    """The patient table's body rows as lists of cell texts."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def anna(world: World, doc: Browser) -> int:
    """The seeded IVIG patient with Anna Example's letter details saved."""
    saved = doc.submit(f"/patients/{world.seed}/ivig/letter-details", ANNA)
    assert 303 == saved.status_code
    return world.seed


class TestSearchByIdentifier:
    @pytest.mark.parametrize("typed", ["anna", "EXAMPLE", "1972-03-14", "14/03/1972",
                                       "MRN-55821"])
    def test_each_form_finds_only_anna(self, anna: int, doc: Browser, typed: str) -> None:
        """Part of the name in any case, the birth date as ISO or day-first, or the record
        number finds the one row idoj-2020-ivig-rescue | Anna Example | 1972-03-14."""
        rows = _rows(doc.get("/patients", params={"q": typed}).text)

        assert [["idoj-2020-ivig-rescue", "Anna Example", "1972-03-14"]] == [r[:3] for r in rows]

    @pytest.mark.parametrize("typed", ["MRN-5582", "mrn-55821", "03/14/1972", "1972-03-15"])
    def test_near_misses_find_nobody(self, anna: int, doc: Browser, typed: str) -> None:
        """Part of a record number, another case, a month-first date or the next day find no
        patient, and the page says so."""
        html = doc.get("/patients", params={"q": typed}).text

        assert ([], True) == (_rows(html), "No patient’s case id, name, date of birth" in html)

    def test_list_shows_name_where_stored(self, anna: int, doc: Browser) -> None:
        """Without a search, Anna's row shows her name and birth date; the other patient's row
        says "not stored"."""
        rows = {r[0]: r[1:3] for r in _rows(doc.get("/patients").text)}

        assert {"idoj-2020-ivig-rescue": ["Anna Example", "1972-03-14"],
                "demo-scle-0001": ["not stored", "not stored"]} == rows

    def test_case_id_search_still_works(self, anna: int, doc: Browser) -> None:
        """Searching `scle` still finds demo-scle-0001 by its case id."""
        rows = _rows(doc.get("/patients", params={"q": "scle"}).text)

        assert ["demo-scle-0001"] == [r[0] for r in rows]

    def test_page_says_which_forms_are_accepted(self, doc: Browser) -> None:
        """The search box names both date forms it accepts."""
        html = doc.get("/patients").text

        assert (True, True) == ("1972-03-14" in html, "14/03/1972 (day first)" in html)

    def test_audit_counts_without_the_text(self, world: World, anna: int, doc: Browser) -> None:
        """The audit row of a search says "search" and "1 matched", never the name, date or
        record number typed."""
        for typed in ("Anna", "14/03/1972", "MRN-55821"):
            doc.get("/patients", params={"q": typed})
        with world.app.state.clepath.store() as store:
            rows = [(e.action, e.detail or "") for e in store.audit.events(limit=50)
                    if e.resource == "patients" and e.action == "search"]
        text = " ".join(d for _, d in rows)

        assert (3, {"1 matched"}, False) == (
            len(rows), {d for _, d in rows},
            any(t in text for t in ("Anna", "1972", "MRN")),
        )

    def test_api_search_finds_by_record_number(self, anna: int, doc: Browser) -> None:
        """GET /api/patients?q=MRN-55821 returns the one patient, without the identifiers."""
        found = doc.api("GET", "/api/patients?q=MRN-55821").json()

        assert (["idoj-2020-ivig-rescue"], False) == (
            [p["case_id"] for p in found], "Anna Example" in str(found)
        )
