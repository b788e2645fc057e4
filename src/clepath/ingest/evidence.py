"""A candidate row for the evidence pack's IVIG reports, from a confirmed ingested case.

Only for a patient whose draft records IVIG as a treatment. The row has the shape of
`clepath.knowledge.models.evidence.IvigReport`; what the reading cannot know (the year, the
degree of response, the source entry of the manifest) is left for the maintainer, and the row
is tagged U until someone checks it against the article. Adding it to the pack is a knowledge
change like any other: bump the pack version, relock, note it in the CHANGELOG.
"""

from __future__ import annotations

import re
from typing import Any

from clepath.domain.units import parse_quantity_text
from clepath.ingest.extract import PatientDraft
from clepath.knowledge.base import KnowledgeBase

__all__ = ["evidence_row"]

IVIG = "intravenous immunoglobulin"
_RESPONSE = {"responded": "R", "partial": "PR", "failed": "NR"}
_SOURCE_LINE = re.compile(r"^\s*SOURCE:\s*(?P<c>[^|\n]+)", re.MULTILINE)


def _g_per_kg(text: str) -> float:
    return round(parse_quantity_text(text).to("g/kg"), 6)


def evidence_row(
    draft: PatientDraft, kb: KnowledgeBase, report_text: str, report_id: str
) -> dict[str, Any] | None:
    """The candidate IvigReport row of one draft, or None when IVIG was not a treatment."""
    case = draft.case
    ivig_course = next((t for t in case.get("therapies", []) if t["drug"] == IVIG), None)
    request = case.get("requests", {}).get("ivig")
    if ivig_course is None and request is None:
        return None
    labels = kb.vocabulary("drug").labels
    subtypes = kb.vocabulary("cle_subtype").labels
    patient = case.get("patient", {})
    who = " ".join(
        x for x in (f"{patient['age']}-year-old" if "age" in patient else "",
                    {"female": "woman", "male": "man"}.get(patient.get("sex", ""), "")) if x
    )  # fmt: skip
    prior = [
        labels.get(t["drug"], t["drug"])
        for t in case.get("therapies", [])
        if t["drug"] != IVIG and t.get("outcome") in ("failed", "intolerant", "partial")
    ]
    regimen: dict[str, Any] = {}
    text_parts: list[str] = []
    if request and "induction" in request:
        ind = request["induction"]
        regimen["induction_g_per_kg"] = _g_per_kg(ind["dose"])
        if ind.get("days"):
            regimen["induction_days"] = ind["days"]
        text_parts.append(
            f"{ind['dose']}" + (f" over {ind['days']} days" if ind.get("days") else "")
        )
    if request and "maintenance" in request:
        mnt = request["maintenance"]
        regimen["maintenance_g_per_kg"] = _g_per_kg(mnt["dose"])
        if mnt.get("every"):
            regimen["interval_days"] = round(parse_quantity_text(mnt["every"]).to("d"))
        if mnt.get("cycles"):
            regimen["cycles"] = str(mnt["cycles"])
        text_parts.append(
            f"then {mnt['dose']} every {mnt.get('every', '?')}"
            + (f" x {mnt['cycles']}" if mnt.get("cycles") else "")
        )
    citation = _SOURCE_LINE.search(report_text)
    outcome = (ivig_course or {}).get("outcome")
    row: dict[str, Any] = {
        "id": report_id,
        "citation": citation.group("c").strip() if citation else None,
        "year": None,
        "n": 1,
        "patients": who or None,
        "subtype": "; ".join(subtypes.get(c["subtype"], c["subtype"]) for c in case.get("cle", []))
        or None,
        "prior_therapy": ", ".join(prior) if prior else "not stated",
        "regimen_text": ", ".join(text_parts) if text_parts else "not stated",
        "outcome": outcome or "not stated",
        "response": _RESPONSE.get(outcome or "", "unk"),
        "counted_patients": 1 if outcome else 0,
        "verified": "full",
        "source": None,
        "tag": "U",
    }
    if regimen:
        row["regimen"] = regimen
    row["to_complete"] = [k for k, v in row.items() if v is None] + [
        "response degree (CR/PR/R) against the article",
        "a source entry in the evidence manifest",
    ]
    return row
