"""What the route modules share: committing a change with its audit row, redirects, JSON of
observations and the choice lists forms draw from the knowledge packs' vocabularies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import RedirectResponse

from clepath.knowledge.base import KnowledgeBase
from clepath.report.jsonable import to_jsonable
from clepath.store import Observation, Store, User, casedata

__all__ = [
    "ENTRY_WRITERS",
    "choices",
    "commit",
    "observation_json",
    "see_other",
]

# How each observation kind is written as a case-file entry (the API's representation).
ENTRY_WRITERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "cle": casedata.cle_entry,
    "findings": casedata.finding_entry,
    "labs": casedata.lab_entry,
    "clasi": casedata.clasi_entry,
    "therapies": casedata.therapy_entry,
    "measurements": casedata.measurement_entry,
}


def commit(
    store: Store,
    user: User | None,
    action: str,
    resource: str,
    *,
    patient_id: int | None = None,
    resource_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Write the audit row for what was just done (or viewed) and commit both together."""
    store.audit.record(
        user, action, resource, patient_id=patient_id, resource_id=resource_id, detail=detail
    )
    store.commit()


def see_other(url: str) -> RedirectResponse:
    """Go to `url` after a successful form (POST-redirect-GET)."""
    return RedirectResponse(url, status_code=303)


def observation_json(kind: str, observation: Observation[Any]) -> dict[str, Any]:
    """An observation for the API: its id, its case-file entry and the stored canonical values."""
    entry = casedata.with_text_dates(ENTRY_WRITERS[kind](observation.item))
    return {
        "id": observation.id,
        "kind": kind,
        "created_at": to_jsonable(observation.created_at),
        "entry": entry,
        "stored": to_jsonable(observation.item),
    }


def choices(kb: KnowledgeBase, vocabulary: str) -> list[tuple[str, str]]:
    """(canonical id, label) pairs of a vocabulary, in the pack's order."""
    return list(kb.vocabulary(vocabulary).labels.items())
