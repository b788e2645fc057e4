"""Diagnoses: the cutaneous lupus subtypes present (case-file `cle`), their CLASI-region
sites and since when."""

from __future__ import annotations

from typing import Any

from clepath.knowledge.base import KnowledgeBase
from clepath.web import forms
from clepath.web.routes import _observations as obs
from clepath.web.routes._common import choices
from clepath.web.schemas import CleIn

__all__ = ["DIAGNOSES", "router"]

DIAGNOSES = obs.ObservationKind(
    kind="cle",
    resource="diagnosis",
    path="diagnoses",
    template="observations/diagnoses.html",
    fields={"": "subtype", "subtype": "subtype", "sites": "sites", "since": "since"},
    to_entry=forms.cle_entry,
)


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    subtypes, regions = choices(kb, "cle_subtype"), choices(kb, "clasi_region")
    return {
        "subtypes": subtypes,
        "regions": regions,
        "subtype_labels": dict(subtypes),
        "item_labels": dict(subtypes),
        "region_labels": dict(regions),
    }


router = obs.routes(
    DIAGNOSES, name="diagnosis", item_id="entry_id", schema=CleIn, context=_context,
    words=obs.Words("CLE diagnosis", "CLE diagnoses", listed="Every CLE subtype recorded.",
                    short="CLE subtype"),
    future_dates=False,  # a subtype's `since` is not checked against today
)
