"""Entry that fits the work (issue 12): a decimal comma is read as a decimal point, a possible
thousands separator is not, and every page has a site icon (no 404)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clepath.web.forms import decimal_point, number_or_text
from tests.web._html import field_errors
from tests.web.conftest import Browser, World


class TestDecimalComma:
    def test_seventy_and_a_half_kilograms(self, doc: Browser) -> None:
        """A new patient weighing "70,5" kg is stored as 70.5 kg."""
        response = doc.submit("/patients", {
            "case_id": "comma-0001", "as_of": "2025-01-10", "sex": "female", "age": "39",
            "weight_value": "70,5", "weight_unit": "kg", "subtype": "SCLE_ANNULAR",
            "sites": ["chest"], "since": "2024-06",
        })
        data = doc.get(response.headers["location"].replace("/patients/", "/api/patients/")
                       ).json()

        assert (303, 70.5) == (response.status_code, data["patient"]["weight_kg"])

    def test_a_thousands_separator_is_not_guessed(self) -> None:
        """"1,000" stays as written (it may mean one thousand), "1,5 mg" becomes "1.5 mg"."""
        assert ("1,000", "1.5 mg", 0.25) == (
            decimal_point("1,000"), decimal_point("1,5 mg"), number_or_text("0,25")
        )

    @given(st.integers(0, 10**6), st.integers(0, 99))
    def test_comma_and_point_give_the_same_number(self, whole: int, cents: int) -> None:
        """For any number with one or two decimals, "w,cc" and "w.cc" read the same."""
        assert number_or_text(f"{whole}.{cents:02d}") == number_or_text(f"{whole},{cents:02d}")


class TestFavicon:
    def test_the_icon_is_served_and_linked(self, doc: Browser) -> None:
        """/favicon.ico answers 200 with an SVG and the patient list links the icon."""
        icon = doc.get("/favicon.ico")
        html = doc.get("/patients").text

        assert (200, "image/svg+xml", True) == (
            icon.status_code, icon.headers["content-type"], 'rel="icon"' in html
        )


class TestConfirmations:
    def test_saved_and_removed_are_named(self, world: World, doc: Browser) -> None:
        """Adding the finding fever of 2019-05-31 says so, its remove button asks about that
        finding by name and date, and removing it says what was removed."""
        added = doc.submit(f"/patients/{world.seed}/findings", {
            "name": "fever", "date": "2019-05-31", "value": "38.5 Cel",
        })
        page = doc.get(added.headers["location"]).text
        item_id = added.headers["location"].rsplit("=", 1)[1]
        removed = doc.submit(f"/patients/{world.seed}/findings/{item_id}/delete")
        after = doc.get(removed.headers["location"]).text

        assert (True, True, True) == (
            "Saved: the finding fever of 2019-05-31." in page,
            'data-confirm="Remove the finding fever of 2019-05-31?"' in page,
            "Removed: the finding fever of 2019-05-31." in after,
        )


    def test_a_lab_result_and_a_course_are_named_by_their_labels(
        self, world: World, doc: Browser
    ) -> None:
        """Removing the seed's anti-Ro result says "the lab result anti-Ro/SSA antibodies of
        2019-05-28" (the labs pack's label, not the id "anti ro"); a saved course of HCQ names
        the drug by the drugs pack's label."""
        labs = doc.get(f"/api/patients/{world.seed}/labs").json()
        anti_ro = next(x["id"] for x in labs if x["entry"]["test"] == "anti_ro")
        removed = doc.submit(f"/patients/{world.seed}/labs/{anti_ro}/delete")
        after = doc.get(removed.headers["location"]).text
        added = doc.submit(f"/patients/{world.seed}/therapies", {
            "drug": "hydroxychloroquine", "dose_value": "200", "dose_unit": "mg",
            "frequency": "twice_daily", "start": "2019-05-01", "outcome": "ongoing",
        })
        saved = doc.get(added.headers["location"]).text

        assert (True, True, False) == (
            "Removed: the lab result anti-Ro/SSA antibodies of 2019-05-28." in after,
            "Saved: the therapy course hydroxychloroquine of 2019-05-01." in saved,
            "anti ro" in after,
        )


DEVELOPER_WORDS = ("{value", "value:", "UCUM", "Cel", "10*9", "{1.73")


class TestMessagesInClinicalWords:
    def test_unit_messages_speak_clinically(self, world: World, doc: Browser) -> None:
        """A weight in "stone3", a WBC in kg and a temperature in kg are refused with messages
        that name °C and ×10⁹/L and hold no case-file syntax or unit codes."""
        weight = doc.submit("/patients", {
            "case_id": "p-1", "as_of": "2025-01-10", "sex": "female",
            "weight_value": "60", "weight_unit": "stone3",
        })
        wbc = doc.submit(f"/patients/{world.seed}/labs", {
            "test": "wbc", "date": "2019-05-01", "value": "3.1", "unit": "kg",
        })
        fever = doc.submit(f"/patients/{world.seed}/findings", {
            "name": "fever", "date": "2019-05-01", "value": "38 kg",
        })
        messages = " ".join([
            *field_errors(weight.text, "weight_value"), *field_errors(wbc.text, "value"),
            *field_errors(fever.text, "value"),
        ])

        assert ([], True, True, True) == (
            [w for w in DEVELOPER_WORDS if w in messages], "°C" in messages,
            "×10⁹/L" in messages, "60 kg" in messages,
        )
