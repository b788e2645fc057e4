"""FHIR import reaches the same dose check: an imported daily methotrexate course is flagged."""

from __future__ import annotations

import dataclasses

from clepath.casefile import load_case
from clepath.domain.case import TherapyCourse
from clepath.domain.dates import PartialDate
from clepath.engine.assess import assess
from clepath.fhir.export import case_to_bundle
from clepath.fhir.importer import import_bundle
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE


def test_imported_daily_methotrexate_is_critical_and_not_adequate(kb: KnowledgeBase) -> None:
    """Methotrexate 15 mg once daily exported to FHIR and read back: critical schedule alert,
    adequacy `implausible_dose`."""
    case = load_case(SCLE_CASE, kb)
    daily = TherapyCourse(
        drug="methotrexate", dose_mg=15.0, dose_text="15 mg", frequency="daily",
        doses_per_week=7.0, start=PartialDate(2023, 1, 1), stop=PartialDate(2023, 9, 1),
        outcome="failed",
    )
    bundle = case_to_bundle(dataclasses.replace(case, therapies=(daily,)), kb).bundle

    imported, _ = import_bundle(bundle, kb, as_of=case.as_of)
    result = assess(imported, kb)

    alert = next(a for a in result.alerts if a.code == "dose_frequency_not_allowed")
    assert "critical" == alert.severity
    assert ["implausible_dose"] == [
        c.adequacy for c in result.therapy.courses if c.drug == "methotrexate"
    ]
