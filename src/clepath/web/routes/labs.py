"""Lab results: the patient's results by date, and a form that takes a value with its unit.

A value is converted to the test's canonical unit (`/mm3` to `10*9/L`) by the case-file
parser; a number without a unit, or a unit that cannot be converted, is refused with the
reason next to the field.
"""

from __future__ import annotations

from typing import Any

from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.labs import LabTest
from clepath.web import forms
from clepath.web.routes import _observations as obs
from clepath.web.schemas import LabIn

__all__ = ["LABS", "router"]

LABS = obs.ObservationKind(
    kind="labs",
    resource="lab",
    path="labs",
    template="observations/labs.html",
    fields={
        "": "value",
        "test": "test",
        "date": "date",
        "value": "value",
        "unit": "unit",
        "result": "result",
        "lower": "lower",
        "upper": "upper",
        "attributed_to": "attributed_to",
    },
    to_entry=forms.lab_entry,
)
# Units offered beside the value box (any UCUM unit or common spelling is accepted).
_UNITS = (
    "10*9/L", "/mm3", "/uL", "g/L", "g/dL", "mg/dL", "mg/L", "umol/L", "mmol/L", "[iU]/mL",
    "U/L", "ng/mL", "mL/min/{1.73_m2}", "g/d", "mg/mg", "/[HPF]", "%",
)


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    tests = [
        (t.id, t.label, t.canonical_unit, t.kind) for t in kb.table("labs", "tests", LabTest)
    ]
    return {
        "tests": tests,
        "labels": {t[0]: t[1] for t in tests},
        "units": _UNITS,
        "results": [(w, w) for w in ("positive", "negative", "low", "high", "normal")],
    }


router = obs.routes(
    LABS, name="lab", item_id="lab_id", schema=LabIn, context=_context,
    words=obs.Words("lab result", "lab results", listed=(
        "Every lab result, oldest first: its case-file entry and the stored canonical values.")),
)
