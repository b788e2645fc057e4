"""The `clepath assess --json` object (schema: clepath/schemas/assessment.schema.json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clepath import __version__
from clepath.engine.assess import Assessment
from clepath.ingest.similar import SimilarCase
from clepath.report.jsonable import to_jsonable
from clepath.report.similar import SIMILAR_NOTE, similar_to_json

__all__ = ["DISCLAIMER", "SCHEMA_ID", "assessment_to_json"]

SCHEMA_ID = "https://clepath.org/schemas/assessment/1"
DISCLAIMER = (
    "Decision support, not a decision: clepath does not replace the clinician's judgement. "
    "Every recommendation names its source; check doses against the current label."
)


def assessment_to_json(
    a: Assessment, similar: Sequence[SimilarCase] = ()
) -> dict[str, Any]:
    """One JSON object with the whole assessment and the similar published cases given."""
    clasi = None
    if a.clasi is not None:
        latest = a.clasi.latest
        clasi = {
            "date": latest.date,
            "activity": latest.activity,
            "damage": latest.damage,
            "severity": latest.severity,
            "erythema_scale_subtotal": latest.erythema_scale_subtotal,
            "change": a.clasi.change,
            "history": a.clasi.history,
        }
    e = a.eular_acr
    out = {
        "schema": SCHEMA_ID,
        "clepath_version": __version__,
        "case_id": a.case_id,
        "as_of": a.as_of,
        "knowledge": a.knowledge,
        "patient": a.patient,
        "classification": a.classification,
        "scores": {
            "clasi": clasi,
            "sledai_2k": a.sledai,
            "eular_acr_2019": {
                "entry_criterion": e.entry_criterion,
                "entry_evidence": e.entry_evidence,
                "total": e.total,
                "classified": e.classified,
                "clinical_criterion_met": e.clinical_criterion_met,
                "domains": e.domains,
                "criteria": e.criteria,
                "missing": e.missing,
                "notes": e.notes,
            },
            "slicc_2012": a.slicc,
        },
        "labs": {"latest": a.labs, "egfr": a.egfr, "cytopenias": a.cytopenias},
        "therapies": a.therapy.courses,
        "glucocorticoids": a.glucocorticoids,
        "refractory": a.refractory,
        "options": a.options,
        "general_measures": a.measures,
        "alerts": a.alerts,
        "parameters": a.parameters,
        "similar_cases": similar_to_json(similar),
        "similar_cases_note": SIMILAR_NOTE,
        "disclaimer": DISCLAIMER,
    }
    result: dict[str, Any] = to_jsonable(out)
    return result
