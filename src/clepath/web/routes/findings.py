"""Clinical findings: dated findings from the findings vocabulary, with a value and its unit
where the finding has one (a fever in Cel, arthritis as a count of joints)."""

from __future__ import annotations

from typing import Any

from clepath.knowledge.base import KnowledgeBase
from clepath.web import forms
from clepath.web.routes import _observations as obs
from clepath.web.routes._common import choices
from clepath.web.schemas import FindingIn

__all__ = ["FINDINGS", "router"]

FINDINGS = obs.ObservationKind(
    kind="findings",
    resource="finding",
    path="findings",
    template="observations/findings.html",
    fields={"": "name", "name": "name", "date": "date", "value": "value",
            "attributed_to": "attributed_to", "note": "note"},
    to_entry=forms.finding_entry,
)


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    names = choices(kb, "finding")
    return {"names": names, "labels": dict(names), "item_labels": dict(names)}


router = obs.routes(
    FINDINGS, name="finding", item_id="finding_id", schema=FindingIn, context=_context,
    words=obs.Words("finding", "findings", listed="Every finding, oldest first."),
)
