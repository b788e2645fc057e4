"""Draft case files and provenance from an extraction, checked by the case-file parser.

A draft is case format 1 with the fields the text does not give left empty (`as_of`, lab dates,
outcomes not stated); `clepath validate` accepts it once a clinician has filled them. The drafts
are checked here with stand-in dates only, so every other problem is reported at ingestion.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clepath import __version__
from clepath.casefile import parse_case
from clepath.errors import CaseError
from clepath.ingest.extract import Extraction, PatientDraft, extract
from clepath.knowledge.base import KnowledgeBase

__all__ = ["IngestResult", "ingest_text", "write_outputs"]

_STAND_IN = dt.date(2000, 1, 1)


@dataclass
class IngestResult:
    """The extraction plus, per patient, the problems the case-file parser still finds."""

    extraction: Extraction
    problems: dict[int, list[dict[str, Any]]]
    knowledge: dict[str, str]


def _check(draft: PatientDraft, kb: KnowledgeBase) -> list[dict[str, Any]]:
    data = copy.deepcopy(draft.case)
    data["as_of"] = _STAND_IN.isoformat()
    for lab in data.get("labs", []):
        if lab.get("date") is None:
            lab["date"] = _STAND_IN.isoformat()
    try:
        parse_case(data, kb)
    except CaseError as exc:
        return [
            {"field": p.field, "value": p.value, "message": p.message, "accepted": p.accepted}
            for p in exc.problems
        ]
    return []


def ingest_text(text: str, kb: KnowledgeBase, name: str = "report") -> IngestResult:
    """Read a report's text; check each patient's draft with the case-file parser."""
    extraction = extract(text, kb, name)
    problems = {p.number: _check(p, kb) for p in extraction.patients}
    return IngestResult(extraction, problems, kb.versions())


def provenance(result: IngestResult, draft: PatientDraft) -> dict[str, Any]:
    """The provenance document of one patient's draft."""
    return {
        "report": result.extraction.name,
        "patient": draft.number,
        "label": draft.label,
        "generated_by": f"clepath {__version__} ingest (rule-based, offline)",
        "knowledge": result.knowledge,
        "offsets": "character offsets into the report text as given (UTF-8 decoded)",
        "fields": draft.fields,
        "unresolved": draft.unresolved,
        "not_in_case_file": draft.notes,
        "suggestions": draft.suggestions,
        "validation": result.problems.get(draft.number, []),
        "background_mentions": result.extraction.background,
    }


def _yaml(draft: PatientDraft, result: IngestResult) -> str:
    header = (
        f"# DRAFT read by clepath ingest from {result.extraction.name!r} ({draft.label}).\n"
        "# Check every field against the report and its provenance file before use;\n"
        "# empty fields (null) are not stated in the text and must be filled or removed.\n"
        f"# Knowledge: {', '.join(f'{k}@{v}' for k, v in result.knowledge.items())}\n"
    )
    return header + yaml.safe_dump(draft.case, sort_keys=False, allow_unicode=True, width=100)


def write_outputs(
    result: IngestResult, out: Path, *, evidence: bool = False, kb: KnowledgeBase | None = None
) -> list[Path]:
    """Write DIR/<report>-<n>.yaml and .provenance.json per patient, or DIR/<report>-cohort.json.

    With `evidence` (and `kb`), also DIR/<report>-<n>.evidence.yaml: a candidate row for the
    evidence pack's IVIG reports, for patients treated with IVIG.
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    name = result.extraction.name
    for draft in result.extraction.patients:
        case_path = out / f"{name}-{draft.number}.yaml"
        case_path.write_text(_yaml(draft, result), encoding="utf-8")
        prov_path = out / f"{name}-{draft.number}.provenance.json"
        prov_path.write_text(
            json.dumps(provenance(result, draft), indent=2, ensure_ascii=False), encoding="utf-8"
        )
        written += [case_path, prov_path]
        if evidence and kb is not None:
            from clepath.ingest.evidence import evidence_row

            row = evidence_row(
                draft, kb, result.extraction.normalised.original, f"{name}-{draft.number}"
            )
            if row is not None:
                row_path = out / f"{name}-{draft.number}.evidence.yaml"
                row_path.write_text(
                    "# Candidate row for packs/evidence/ivig_reports.yaml (tag U until checked).\n"
                    + yaml.safe_dump([row], sort_keys=False, allow_unicode=True, width=100),
                    encoding="utf-8",
                )
                written.append(row_path)
    if result.extraction.cohorts:
        cohort_path = out / f"{name}-cohort.json"
        cohort_path.write_text(
            json.dumps(
                {
                    "report": name,
                    "knowledge": result.knowledge,
                    "cohorts": result.extraction.cohorts,
                },
                indent=2,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        written.append(cohort_path)
    return written
