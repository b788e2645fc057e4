"""Letter details (issue 12): the patient's identifiers, payer, member number and prescriber are
stored with the patient, printed on the prior-authorisation letter, audited without their
values, and never exported in the case file."""

from __future__ import annotations

from tests.pdf._text import pdf_text
from tests.web._html import field_errors
from tests.web.conftest import Browser, World

DETAILS = {
    "patient_name": "Anna Example", "birth_date": "1972-03-14", "record_number": "MRN-55821",
    "payer": "Example Health Insurance", "payer_address": "Prior Authorisation Unit, 1 Main St",
    "member_number": "EHI-0099417", "prescriber_name": "Dr Jo Derm",
    "prescriber_registration": "GMC 7654321", "prescriber_contact": "Dermatology, tel 0100 200",
}


class TestLetterDetails:
    def test_details_reach_the_letter(self, world: World, doc: Browser) -> None:
        """Saved details put the payer after "To:", the name, date of birth and member number
        under it and the prescriber in the signature block."""
        saved = doc.submit(f"/patients/{world.seed}/ivig/letter-details", DETAILS)
        text = " ".join(pdf_text(doc.get(f"/patients/{world.seed}/ivig/letter.pdf").content)
                        .split())

        assert (303, True, True, True, True, True) == (
            saved.status_code,
            "To: Example Health Insurance; Prior Authorisation Unit, 1 Main St" in text,
            "Patient: Anna Example" in text and "Date of birth: 1972-03-14" in text,
            "Member number: EHI-0099417" in text,
            "Dr Jo Derm" in text and "GMC 7654321" in text,
            "Hospital record number: MRN-55821" in text,
        )

    def test_audited_without_values_and_never_exported(self, world: World, doc: Browser) -> (
        None
    ):
        """The audit row names the fields changed, not their values; the YAML and JSON exports
        of the case carry neither the name nor the member number."""
        doc.submit(f"/patients/{world.seed}/ivig/letter-details", DETAILS)
        with world.app.state.clepath.store() as store:
            rows = [(e.action, e.detail or "") for e in store.audit.events(patient_id=world.seed)
                    if e.resource == "letter_details"]
        exports = doc.get(f"/patients/{world.seed}/case.yaml").text + doc.get(
            f"/patients/{world.seed}/case.json").text

        assert (1, "update", True, False, False) == (
            len(rows), rows[0][0], "member_number" in rows[0][1],
            "EHI-0099417" in rows[0][1] + exports, "Anna Example" in rows[0][1] + exports,
        )

    def test_a_future_birth_date_is_refused(self, world: World, doc: Browser) -> None:
        """A date of birth in 2999 is refused at its field and nothing is stored."""
        response = doc.submit(f"/patients/{world.seed}/ivig/letter-details",
                              {**DETAILS, "birth_date": "2999-01-01"})
        with world.app.state.clepath.store() as store:
            stored = store.letters.get(world.seed)

        assert (422, True, {}) == (
            response.status_code,
            "future" in " ".join(field_errors(response.text, "birth_date")),
            stored,
        )

    def test_without_details_the_letter_has_blank_lines(self, world: World, doc: Browser) -> (
        None
    ):
        """With nothing saved, "To:" is followed by a blank line and no "Patient:" line."""
        text = pdf_text(doc.get(f"/patients/{world.seed}/ivig/letter.pdf").content)

        assert (True, False) == ("To: ____" in text, "Patient:" in text)
