"""The printable documents: the treatment summary and the IVIG prior-authorisation letter."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clepath.casefile import load_case
from clepath.domain.case import Case
from clepath.engine.assess import Assessment, assess
from clepath.engine.ivig import IvigPlanReport, plan_for_case
from clepath.engine.timeline import build_timeline
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.evidence import IvigReport
from clepath.report.pdf import (
    _adverse_events,
    _drawable,
    ivig_prior_auth_pdf,
    pdf_safe,
    treatment_summary_pdf,
)
from tests.conftest import SCLE_CASE, SEED_CASE
from tests.pdf._text import pdf_text

SEED_FAILED = (
    "hydroxychloroquine",
    "azathioprine",
    "methotrexate",
    "dapsone",
    "cyclophosphamide",
    "mycophenolate mofetil",
    "tacrolimus (systemic)",
    "rituximab",
)


@pytest.fixture(scope="module")
def seed(kb: KnowledgeBase) -> tuple[Case, Assessment, IvigPlanReport]:
    """The seed case, its assessment and its IVIG plan."""
    case = load_case(SEED_CASE, kb)
    return case, assess(case, kb), plan_for_case(case, kb)


@pytest.fixture(scope="module")
def scle(kb: KnowledgeBase) -> tuple[Case, Assessment, IvigPlanReport]:
    """The SCLE example, its assessment and its IVIG plan."""
    case = load_case(SCLE_CASE, kb)
    return case, assess(case, kb), plan_for_case(case, kb)


@pytest.fixture(scope="module")
def seed_letter(seed: tuple[Case, Assessment, IvigPlanReport], kb: KnowledgeBase) -> bytes:
    """The seed's IVIG letter."""
    _, a, plan = seed
    return ivig_prior_auth_pdf(a, plan, kb=kb)


@pytest.fixture(scope="module")
def seed_summary(seed: tuple[Case, Assessment, IvigPlanReport], kb: KnowledgeBase) -> bytes:
    """The seed's treatment summary with its timeline."""
    case, a, _ = seed
    return treatment_summary_pdf(a, timeline=build_timeline(case, kb))


class TestFont:
    def test_clinical_symbols_are_kept(self) -> None:
        """µ, ≤, ≥, ×, ⁹, ², ³ and → are in the bundled font, so they print as themselves."""
        text = "≤ 5 mg, ≥ 20 %, 46 µg/mL, 3.6 ×10⁹/L, 1.73 m², 1300 /mm³, 2021 → now"

        assert text == pdf_safe(text)

    def test_missing_glyphs_become_ascii(self) -> None:
        """A character the font lacks (a CJK ideograph, an emoji) prints as "?", never tofu."""
        assert "WBC ? ?" == pdf_safe("WBC 漢 \U0001fa7a")

    def test_font_is_embedded(self, seed_summary: bytes) -> None:
        """The bundled DejaVu Sans is embedded (subset), not taken from the machine."""
        assert b"+DejaVuSans" in seed_summary

    @given(st.text(max_size=40))
    def test_safe_text_is_drawable(self, text: str) -> None:
        """Whatever the text, every character pdf_safe leaves is ASCII or in the font, and a
        drawable character is never changed."""
        safe = pdf_safe(text)
        drawable = _drawable()

        assert all(ord(c) < 128 or ord(c) in drawable for c in safe)
        if all(ord(c) < 128 or ord(c) in drawable for c in text):
            assert safe == text

    def test_units_are_not_split_at_the_slash(self, scle: tuple[Case, Assessment, IvigPlanReport],
                                              kb: KnowledgeBase) -> None:
        """No line of the SCLE letter ends inside a unit ("400 mg/" then "kg")."""
        _, a, plan = scle
        text = pdf_text(ivig_prior_auth_pdf(a, plan, kb=kb))

        assert [] == re.findall(r"\b(?:mg|g|mL|kg)/ \S+", text)

    def test_units_print_as_written(self, scle: tuple[Case, Assessment, IvigPlanReport],
                                    kb: KnowledgeBase) -> None:
        """The SCLE summary's text shows WBC 3.6 ×10⁹/L, BMI 31.2 kg/m² and eGFR 99
        mL/min/1.73 m² with the real superscripts."""
        case, a, _ = scle
        text = pdf_text(treatment_summary_pdf(a, timeline=build_timeline(case, kb)))

        assert [] == [x for x in ("3.6 ×10⁹/L", "31.2 kg/m²", "99 mL/min/1.73 m²")
                      if x not in text]


class TestTreatmentSummary:
    def test_is_a_pdf(self, seed_summary: bytes) -> None:
        """The bytes are a PDF."""
        assert seed_summary.startswith(b"%PDF")

    def test_deterministic(self, seed: tuple[Case, Assessment, IvigPlanReport]) -> None:
        """The same assessment gives the same bytes."""
        a = seed[1]

        assert treatment_summary_pdf(a) == treatment_summary_pdf(a)

    def test_identity_and_knowledge(self, seed_summary: bytes) -> None:
        """Patient reference, as_of and the pack versions are printed."""
        text = pdf_text(seed_summary)

        for expected in ("idoj-2020-ivig-rescue", "2019-06-01", "clasi@1.0.0", "ivig@1.1.0"):
            assert expected in text

    def test_scores_and_refractory_status(self, seed_summary: bytes) -> None:
        """SLEDAI-2K 7, the missing CLASI and the refractory verdict with its definitions."""
        text = pdf_text(seed_summary)

        assert "SLEDAI-2K 7 (moderate" in text
        assert "no CLASI examination is recorded on or before 2019-06-01" in text
        assert "Status: refractory" in text
        assert "Failure of an antimalarial and an immunosuppressant met" in text

    def test_therapy_history(self, seed_summary: bytes) -> None:
        """Every failed agent is listed with its missing dates and the adequacy judgement."""
        text = pdf_text(seed_summary)

        for drug in ("azathioprine", "cyclophosphamide", "rituximab", "deflazacort"):
            assert drug in text
        assert "dates not recorded" in text and "undocumented" in text

    def test_glucocorticoid_exposure(self, seed_summary: bytes) -> None:
        """15 mg/day prednisone equivalent now and 420 mg cumulative."""
        text = pdf_text(seed_summary)

        assert "Prednisone equivalent now: 15 mg/day" in text
        assert "Cumulative prednisone equivalent: 420 mg" in text

    def test_options_alerts_timeline_and_disclaimer(self, seed_summary: bytes) -> None:
        """Options with stances, alerts, the drawn timeline and the disclaimer are all there."""
        text = pdf_text(seed_summary)

        assert "EDF/EADV S2k guideline for CLE (Kuhn 2017): recommended" in text
        assert "Leukopenia" in text
        assert "Therapies and IVIG infusions" in text and "IVIG infusions" in text
        assert "Decision support, not a decision" in text

    def test_tall_timeline_is_scaled_to_the_page(
        self, seed: tuple[Case, Assessment, IvigPlanReport], kb: KnowledgeBase
    ) -> None:
        """A timeline with sixty therapy rows still fits on one page (scaled down)."""
        case, a, _ = seed
        t = build_timeline(case, kb)
        bar = t.therapies[0]
        tall = dataclasses.replace(
            t, therapies=tuple(dataclasses.replace(bar, label=f"agent {i}") for i in range(60))
        )

        text = pdf_text(treatment_summary_pdf(a, timeline=tall))

        assert "agent 59" in text

    def test_case_id_with_markup(self, seed: tuple[Case, Assessment, IvigPlanReport]) -> None:
        """A case id `a<b&c` prints as written."""
        a = dataclasses.replace(seed[1], case_id="a<b&c")

        assert "a<b&c" in pdf_text(treatment_summary_pdf(a))


class TestIvigLetter:
    def test_is_a_pdf(self, seed_letter: bytes) -> None:
        """The bytes are a PDF."""
        assert seed_letter.startswith(b"%PDF")

    def test_failed_therapies_without_dates(self, seed_letter: bytes) -> None:
        """Each of the eight failures is named and its missing dates are said."""
        text = pdf_text(seed_letter)

        assert [] == [d for d in SEED_FAILED if d not in text]
        assert 8 == text.count("dates not recorded not known not recorded failed")

    def test_scores(self, seed_letter: bytes) -> None:
        """SLEDAI-2K and the absent CLASI are stated."""
        text = pdf_text(seed_letter)

        assert "SLEDAI-2K" in text and "CLASI not recorded" in text

    def test_guideline_stance(self, seed_letter: bytes) -> None:
        """The S2k stance is printed as the seed gives it, and IVIG is off-guideline."""
        text = pdf_text(seed_letter)

        assert "EDF/EADV S2k guideline for CLE (Kuhn 2017) not recommended" in text
        assert "The S2k guideline does not suggest IVIG for CLE" in text
        assert "off-guideline for CLE" in text

    def test_evidence_with_citations(self, seed_letter: bytes) -> None:
        """Fairley 2020's summary and the IVIG-in-CLE reports are cited."""
        text = pdf_text(seed_letter)

        assert "the data on IVIG are conflicting" in text
        assert "Ky C, et al. Dermatol Reports 2015;7:5804" in text
        assert "https://doi.org/10.4081/dr.2015.5804" in text
        assert "Fairley JL, Oon S, Saracino AM, Nikpour M" in text

    def test_regimen_in_grams(self, seed_letter: bytes) -> None:
        """120 g induction, 60 g per maintenance course, on 60.0 kg actual weight."""
        text = pdf_text(seed_letter)

        assert "120 g" in text and "60 g" in text
        assert "Total requested: 360 g over 5 courses" in text
        assert "60.00 kg (actual weight)" in text
        assert "ivig.policies.UK_DDW.no_trigger" in text

    def test_safety_screen(self, seed_letter: bytes) -> None:
        """The gate's result, its alerts and the checklist are printed."""
        text = pdf_text(seed_letter)

        assert "Result: no hard stop" in text
        assert "Baseline CLASI-A required" in text
        assert "Serum creatinine (eGFR) and urea not recorded" in text

    def test_blank_signature_block(self, seed_letter: bytes) -> None:
        """The clinician's fields are printed with blanks to fill in."""
        text = pdf_text(seed_letter)

        assert "Requesting clinician ____" in text and "Signature ____" in text

    def test_dated_history_and_dose_determining_weight(
        self, scle: tuple[Case, Assessment, IvigPlanReport], kb: KnowledgeBase
    ) -> None:
        """The SCLE letter gives methotrexate's dates and length and 125 g on 63.4 kg DDW."""
        _, a, plan = scle

        text = pdf_text(ivig_prior_auth_pdf(a, plan, kb=kb))

        assert "methotrexate 2023-06-15 to 2023-11-20 23 weeks" in text
        assert "hydroxychloroquine 2021-10-10 to now 127 weeks" in text
        assert "125 g" in text
        assert "63.37 kg (dose-determining weight)" in text
        assert "CLASI-A 12 (moderate)" in text

    def test_knowledge_is_loaded_when_not_given(
        self, seed: tuple[Case, Assessment, IvigPlanReport], seed_letter: bytes
    ) -> None:
        """Without a knowledge base the default packs are read, giving the same letter."""
        _, a, plan = seed

        assert seed_letter == ivig_prior_auth_pdf(a, plan)


class TestAdverseEvents:
    ROW = dict(id="x", citation="A. 2000", year=2000, subtype="SCLE", prior_therapy="HCQ",
               regimen_text="2 g/kg", outcome="Improved.", response="CR", source="x", tag="V")

    def test_unmentioned_in_a_partly_read_report(self) -> None:
        """"none mentioned in the visible text" of a first-page read becomes not reported, not
        confirmed in the full text."""
        row = IvigReport(**self.ROW, adverse_events="none mentioned in the visible text",
                         verified="first_page")

        assert "Adverse events: not reported (not confirmed in the full text)" == (
            _adverse_events(row))

    def test_unmentioned_in_a_fully_read_report(self) -> None:
        """The same remark on a fully read report is simply "not reported"."""
        row = IvigReport(**self.ROW, adverse_events="none mentioned in the visible text",
                         verified="full")

        assert "Adverse events: not reported" == _adverse_events(row)

    def test_reported_events_are_kept(self) -> None:
        """A stated adverse event is printed as the pack gives it."""
        row = IvigReport(**self.ROW, adverse_events="1 acute cutaneous vasculitis",
                         verified="abstract")

        assert "Adverse events: 1 acute cutaneous vasculitis" == _adverse_events(row)
