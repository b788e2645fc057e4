"""The CARE case-report draft: its sections, its clinical content and its de-identification."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clepath.casefile import load_case
from clepath.domain.case import Case
from clepath.knowledge.base import KnowledgeBase
from clepath.report.care import build_care_report, care_markdown, care_pdf
from tests.conftest import ROOT, SCLE_CASE, SEED_CASE
from tests.pdf._text import pdf_text

_ISO_DATE = re.compile(r"\b(?:19|20)\d\d-\d\d(?:-\d\d)?\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def _all_dates(case: Case) -> set[dt.date]:
    dates = {f.date for f in case.findings} | {r.date for r in case.labs}
    dates |= {e.date for e in case.clasi} | {case.as_of}
    for course in case.therapies:
        dates |= {d.earliest for d in (course.start, course.stop) if d is not None}
    if case.patient.birth_date:
        dates.add(case.patient.birth_date)
    if case.ivig_request and case.ivig_request.start:
        dates.add(case.ivig_request.start)
    return dates


def _leaks(text: str, case: Case) -> list[str]:
    """Identifying strings found in `text`: the case id, ISO dates, years, written dates."""
    found = [case.id] if case.id in text else []
    found += _ISO_DATE.findall(text)
    found += [y for y in _YEAR.findall(text.replace("2019 EULAR/ACR", ""))]
    for day in _all_dates(case):
        for form in (day.strftime("%d %B %Y"), day.strftime("%B %d"), day.strftime("%d/%m/%Y")):
            if form in text:
                found.append(form)
    return found


@pytest.mark.parametrize("path", [SEED_CASE, SCLE_CASE], ids=["seed", "scle"])
class TestDeidentified:
    def test_markdown_has_no_identifier_or_calendar_date(
        self, kb: KnowledgeBase, path: Path
    ) -> None:
        """The Markdown draft holds no case id (record number) and no calendar date or year."""
        case = load_case(path, kb)

        assert [] == _leaks(care_markdown(build_care_report(case, kb)), case)

    def test_pdf_has_no_identifier_or_calendar_date(self, kb: KnowledgeBase, path: Path) -> None:
        """The PDF draft's text holds no case id and no calendar date or year either."""
        case = load_case(path, kb)

        assert [] == _leaks(pdf_text(care_pdf(build_care_report(case, kb))), case)


class TestContent:
    def test_every_care_section_is_present(self, kb: KnowledgeBase) -> None:
        """Sections 3 to 13 of the CARE checklist appear in order after title and keywords."""
        text = care_markdown(build_care_report(load_case(SEED_CASE, kb), kb))
        headings = re.findall(r"^## (\d+)\. (.+)$", text, re.MULTILINE)

        assert [
            ("3", "Abstract"), ("4", "Introduction"), ("5", "Patient information"),
            ("6", "Clinical findings"), ("7", "Timeline"), ("8", "Diagnostic assessment"),
            ("9", "Therapeutic intervention"), ("10", "Follow-up and outcomes"),
            ("11", "Discussion"), ("12", "Patient perspective"), ("13", "Informed consent"),
        ] == headings  # fmt: skip

    def test_seed_regimen_and_relative_days(self, kb: KnowledgeBase) -> None:
        """The seed's IVIG regimen is written with its doses, starting on day 30 after day 0."""
        text = care_markdown(build_care_report(load_case(SEED_CASE, kb), kb))

        assert (
            "induction 2 g/kg over 5 day(s) then maintenance 1 g/kg every 28 days for 4 cycle(s) "
            "(starting day 30)"
        ) in text and "| 24 | laboratory | White blood cell count: 1.3 ×10⁹/L |" in text

    def test_clasi_trend_of_the_scle_example(self, kb: KnowledgeBase) -> None:
        """The SCLE example's CLASI activity 15 then 12 (damage 4 then 1) is in the trend table."""
        text = care_markdown(build_care_report(load_case(SCLE_CASE, kb), kb))

        assert (
            "| day 605 | CLASI | activity 15, damage 4 |" in text
            and "| day 893 | CLASI | activity 12, damage 1 |" in text
            and "CLASI activity fell by 3 points (20%)" in text
        )

    def test_age_over_89_is_not_printed_exactly(self, kb: KnowledgeBase) -> None:
        """A 93-year-old patient is described as 'over 89 years', never '93 years'."""
        case = load_case(SEED_CASE, kb)
        old = dataclasses.replace(case, patient=dataclasses.replace(case.patient, age_years=93))
        text = care_markdown(build_care_report(old, kb))

        assert ("over 89 years" in text, "93" in text) == (True, False)

    def test_notes_left_out_unless_asked(self, kb: KnowledgeBase) -> None:
        """The seed's finding note (free text) appears only when notes are asked for."""
        case = load_case(SEED_CASE, kb)
        note = "worsening scaly erythematous plaques"

        assert (False, True) == (
            note in care_markdown(build_care_report(case, kb)),
            note in care_markdown(build_care_report(case, kb, include_notes=True)),
        )

    def test_knowledge_versions_are_stated(self, kb: KnowledgeBase) -> None:
        """The draft names the drugs pack version it was built with."""
        text = care_markdown(build_care_report(load_case(SEED_CASE, kb), kb))

        assert f"drugs@{kb.versions()['drugs']}" in text


class TestCommand:
    def test_report_care_writes_markdown_and_pdf(self, tmp_path: Path) -> None:
        """The CLI writes a Markdown and a PDF draft whose title names IVIG and 'a case report'."""
        md, pdf = tmp_path / "care.md", tmp_path / "care.pdf"
        from clepath.cli.main import app

        names = {c.name for c in app.registered_commands}
        command = ["report-care"] if "report-care" in names else ["report", "care"]
        result = subprocess.run(
            [sys.executable, "-m", "clepath.cli.main", *command, "--demo", "seed",
             "--out", str(md), "--pdf", str(pdf)],
            cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip

        assert 0 == result.returncode, result.stderr
        assert (True, True) == (
            md.read_text().startswith("# Refractory")
            and "intravenous immunoglobulin (IVIG): a case report" in md.read_text(),
            "a case report" in pdf_text(pdf.read_bytes()),
        )
