"""Cross-surface truth: every number a person sees is written the same way, by the one formatter,
on the patient page, the IVIG page, both PDFs, the terminal reports and the .ics calendar."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clepath.casefile import parse_case
from clepath.casefile.read import read_case_data
from clepath.domain.case import Case
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE, SEED_CASE
from tests.surfaces._surfaces import (
    ICS,
    IVIG_PAGE,
    LETTER_PDF,
    PATIENT_PAGE,
    SUMMARY_PDF,
    TERMINAL,
    TERMINAL_IVIG,
    UCUM_CODES,
    Site,
    expected_numbers,
    missing,
    shows,
    surfaces_of,
)

_IDS = itertools.count(1)
ASSESSMENT_SURFACES = (PATIENT_PAGE, SUMMARY_PDF, TERMINAL)
PLAN_SURFACES = (IVIG_PAGE, LETTER_PDF, TERMINAL_IVIG, ICS)


def _data(path: Any) -> dict[str, Any]:
    data: dict[str, Any] = read_case_data(path.read_text(encoding="utf-8"), name=path.name)
    return data


SEED = _data(SEED_CASE)
SCLE = _data(SCLE_CASE)


def _case(kb: KnowledgeBase, base: dict[str, Any], **changes: Any) -> Case:
    """A copy of an example case file with a fresh id and some fields changed."""
    data = copy.deepcopy(base)
    data["id"] = f"surface-{next(_IDS):04d}"
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split(".")
        for key in path:
            target = target.setdefault(key, {})
        target[last] = value
    return parse_case(data, kb)


def _assert_everywhere(surfaces: dict[str, str], text: str, where: tuple[str, ...],
                       wrong: str | None = None) -> None:
    for surface in where:
        assert shows(surfaces[surface], text, surface), f"{surface} does not show {text!r}"
        if wrong is not None:
            assert not shows(surfaces[surface], wrong, surface), f"{surface} shows {wrong!r}"


def _assert_all_numbers(surfaces: dict[str, str], case: Case, kb: KnowledgeBase) -> None:
    problems = list(missing(surfaces, expected_numbers(case, kb)))
    assert not problems, "\n".join(problems)


def _assert_no_ucum(surfaces: dict[str, str]) -> None:
    for surface, text in surfaces.items():
        for code in UCUM_CODES:
            assert code not in text, f"{surface} shows the UCUM code {code!r}"


# --- the two examples -----------------------------------------------------------------------


@pytest.mark.parametrize("base", [SEED, SCLE], ids=["seed", "scle"])
def test_examples_show_every_number_everywhere(site: Site, kb: KnowledgeBase,
                                               base: dict[str, Any]) -> None:
    """Both examples: each JSON number shows, identically formatted, on every surface."""
    case = _case(kb, base)
    surfaces = surfaces_of(site, case)
    assert set(surfaces) == {PATIENT_PAGE, SUMMARY_PDF, TERMINAL, *PLAN_SURFACES}
    _assert_all_numbers(surfaces, case, kb)
    _assert_no_ucum(surfaces)


def test_scle_example_named_numbers(site: Site, kb: KnowledgeBase) -> None:
    """demo-scle-0001: DDW 63.37 kg, 25 g = 250 mL a day of Privigen 100 mg/mL, eGFR 99."""
    surfaces = surfaces_of(site, _case(kb, SCLE))
    _assert_everywhere(surfaces, "63.37 kg", PLAN_SURFACES)
    _assert_everywhere(surfaces, "25 g", PLAN_SURFACES)
    _assert_everywhere(surfaces, "99 mL/min/1.73 m²", ASSESSMENT_SURFACES)
    _assert_everywhere(surfaces, "5.01 mg/kg/day", ASSESSMENT_SURFACES)


# --- the numbers, each on every surface ----------------------------------------------


def test_60_g_ivig_shows_600_ml(site: Site, kb: KnowledgeBase) -> None:
    """Seed case, 60 kg, Privigen: a 60 g maintenance day is 600 mL (never "6 mL") everywhere."""
    case = _case(kb, SEED, **{"requests.ivig.product": "privigen",
                              "requests.ivig.policy": "ACTUAL"})
    surfaces = surfaces_of(site, case)
    _assert_everywhere(surfaces, "60 g", PLAN_SURFACES)
    _assert_everywhere(surfaces, "600 mL", PLAN_SURFACES, wrong="6 mL")


def test_25_g_is_250_ml(site: Site, kb: KnowledgeBase) -> None:
    """SCLE case, Privigen 10 %: 25 g a day is 250 mL (never "25 mL") everywhere."""
    surfaces = surfaces_of(site, _case(kb, SCLE))
    _assert_everywhere(surfaces, "250 mL", PLAN_SURFACES, wrong="25 mL")


def test_privigen_100_mg_per_ml(site: Site, kb: KnowledgeBase) -> None:
    """Privigen is 100 mg/mL (never "1 mg/mL") on the IVIG page, letter and terminal."""
    surfaces = surfaces_of(site, _case(kb, SCLE))
    _assert_everywhere(surfaces, "100 mg/mL", (IVIG_PAGE, LETTER_PDF, TERMINAL_IVIG),
                       wrong="1 mg/mL")


def test_height_170_cm(site: Site, kb: KnowledgeBase) -> None:
    """A height of 170 cm reads 170 cm (never "17 cm") on every surface that shows it."""
    case = _case(kb, SEED, **{"patient.height": "170 cm"})
    surfaces = surfaces_of(site, case)
    where = (*ASSESSMENT_SURFACES, IVIG_PAGE, LETTER_PDF, TERMINAL_IVIG)
    _assert_everywhere(surfaces, "170 cm", where, wrong="17 cm")


def test_egfr_90(site: Site, kb: KnowledgeBase) -> None:
    """A lab-reported eGFR of 90 reads 90 mL/min/1.73 m² (never "9") on every surface."""
    labs = [lab for lab in SCLE["labs"] if lab["test"] != "creatinine"]
    labs.append({"test": "egfr", "date": dt.date(2024, 3, 12), "value": 90,
                 "unit": "mL/min/{1.73_m2}"})
    surfaces = surfaces_of(site, _case(kb, SCLE, labs=labs))
    _assert_everywhere(surfaces, "90 mL/min/1.73 m²", ASSESSMENT_SURFACES,
                       wrong="9 mL/min/1.73 m²")
    _assert_no_ucum(surfaces)


def test_100_kg_weight_and_100_g_day(site: Site, kb: KnowledgeBase) -> None:
    """100 kg actual weight at 1 g/kg in one day: 100.0 kg, 100 g and 1,000 mL everywhere."""
    case = _case(kb, SEED, **{"patient.weight": "100 kg", "patient.height": "190 cm",
                              "requests.ivig.product": "privigen",
                              "requests.ivig.policy": "ACTUAL"})
    surfaces = surfaces_of(site, case)
    _assert_everywhere(surfaces, "100.0 kg", (*ASSESSMENT_SURFACES, IVIG_PAGE, LETTER_PDF,
                                               TERMINAL_IVIG))
    _assert_everywhere(surfaces, "100 g", PLAN_SURFACES, wrong="10 g")
    _assert_everywhere(surfaces, "1,000 mL", PLAN_SURFACES, wrong="1 mL")


def test_prednisone_420_mg_cumulative(site: Site, kb: KnowledgeBase) -> None:
    """Prednisone 10 mg daily for 42 days: cumulative 420 mg (never "42 mg") everywhere."""
    therapies = [t for t in SEED["therapies"] if t["drug"] != "deflazacort"]
    therapies.append({"drug": "prednisone", "dose": "10 mg", "frequency": "daily",
                      "start": dt.date(2019, 4, 20), "outcome": "ongoing"})
    surfaces = surfaces_of(site, _case(kb, SEED, therapies=therapies))
    _assert_everywhere(surfaces, "420 mg", ASSESSMENT_SURFACES, wrong="42 mg")
    _assert_everywhere(surfaces, "10 mg/day", ASSESSMENT_SURFACES)


def test_no_ucum_codes_for_people(site: Site, kb: KnowledgeBase) -> None:
    """WBC in /mm3, anti-dsDNA in [iU]/mL, eGFR: no UCUM code on any person-facing surface."""
    _assert_no_ucum(surfaces_of(site, _case(kb, SEED)))
    surfaces = surfaces_of(site, _case(kb, SCLE))
    _assert_no_ucum(surfaces)
    _assert_everywhere(surfaces, "3.6 ×10⁹/L", (PATIENT_PAGE, SUMMARY_PDF, TERMINAL))


# --- generated cases --------------------------------------------------------------------------

# values that format to the numbers the old helper cut (100, 170, 250, 600, 90) are drawn often
_weights = st.one_of(st.sampled_from([60.0, 100.0, 70.0, 50.0, 125.0]),
                     st.integers(400, 1500).map(lambda x: x / 10))
_heights = st.one_of(st.sampled_from([170, 150, 160, 180, 190, 200]), st.integers(145, 200))
_creatinine = st.one_of(st.sampled_from([60, 70, 90, 100]), st.integers(40, 300))
_prednisone = st.sampled_from([5, 7.5, 10, 20, 40, 60])
_doses = st.sampled_from(["2 g/kg", "1 g/kg", "0.4 g/kg", "1.5 g/kg", "400 mg/kg"])


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(weight=_weights, height=_heights, creatinine=_creatinine, prednisone=_prednisone,
       dose=_doses, days=st.integers(2, 5), product=st.sampled_from(["privigen", None]))
def test_generated_cases_show_every_number_everywhere(
    site: Site, kb: KnowledgeBase, weight: float, height: int, creatinine: int,
    prednisone: float, dose: str, days: int, product: str | None,
) -> None:
    """Generated weights, heights, creatinine, prednisone and IVIG doses: every JSON number
    shows, identically formatted, on every surface, and no UCUM code does."""
    labs = [lab for lab in SCLE["labs"] if lab["test"] != "creatinine"]
    labs.append({"test": "creatinine", "date": dt.date(2024, 3, 12), "value": creatinine,
                 "unit": "umol/L"})
    therapies = [t for t in SCLE["therapies"] if t["drug"] != "prednisolone"]
    therapies.append({"drug": "prednisone", "dose": f"{prednisone:g} mg", "frequency": "daily",
                      "start": dt.date(2023, 9, 1), "outcome": "ongoing"})
    ivig: dict[str, Any] = {"induction": {"dose": dose, "days": days}, "policy": "UK_DDW",
                            "start": dt.date(2024, 4, 2)}
    if product:
        ivig["product"] = product
    case = _case(kb, SCLE, **{"patient.weight": f"{weight:g} kg",
                              "patient.height": f"{height} cm", "labs": labs,
                              "therapies": therapies, "requests.ivig": ivig})
    surfaces = surfaces_of(site, case)
    _assert_all_numbers(surfaces, case, kb)
    _assert_no_ucum(surfaces)


def test_dated_weight_and_its_date_everywhere(site: Site, kb: KnowledgeBase) -> None:
    """Weights of 176 lb on 2019-05-28 and 70 kg on 2019-07-01 (after the 3 June start): every
    surface states "79.8 kg on 2019-05-28"; the plan surfaces name the later weight as not used
    and every number of both JSONs still shows."""
    data = copy.deepcopy(SEED)
    del data["patient"]["weight"]
    data["measurements"] = [
        {"name": "weight", "date": "2019-05-28", "value": "176 lb"},
        {"name": "weight", "date": "2019-07-01", "value": "70 kg"},
    ]
    data["id"] = f"surface-{next(_IDS):04d}"
    case = parse_case(data, kb)
    surfaces = surfaces_of(site, case)

    _assert_everywhere(surfaces, "79.8 kg on 2019-05-28", (*ASSESSMENT_SURFACES, *PLAN_SURFACES))
    _assert_everywhere(surfaces, "70.0 kg on 2019-07-01 is after the plan start",
                       (IVIG_PAGE, LETTER_PDF, TERMINAL_IVIG))
    _assert_all_numbers(surfaces, case, kb)
