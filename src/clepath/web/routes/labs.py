"""Lab results: the patient's results by date, and a form that takes a value with its unit.

A value is converted to the test's canonical unit (`/mm3` to `10*9/L`) by the case-file
parser; a number without a unit, or a unit that cannot be converted, is refused with the
reason next to the field.
"""

from __future__ import annotations

import re
from typing import Any

from clepath.domain.display import unit_label
from clepath.domain.units import UnitProblem, is_convertible, normalise_unit
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.labs import LabTest
from clepath.web import forms
from clepath.web.routes import _observations as obs
from clepath.web.schemas import LabIn

__all__ = ["LABS", "lab_choices", "router", "unit_lists"]

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
# Common units offered beside the value box (issue 12); for each test the list keeps those the
# case-file parser converts to the labs pack's unit for it. Any other unit is still accepted.
_UNITS = (
    "10*9/L", "/mm3", "/uL", "g/L", "g/dL", "mg/dL", "mg/L", "umol/L", "mmol/L", "[iU]/mL",
    "U/L", "ng/mL", "mL/min/{1.73_m2}", "g/d", "mg/mg", "/[HPF]", "%",
)


_ARBITRARY = re.compile(r"\[[^\]]+\]")
_RATIOS = ("%", "mg/mg")


def _converts(unit: str, test: LabTest) -> bool:
    """True when the parser turns a value in `unit` into the test's unit (directly, or through
    the pack's molar mass for a mass or substance concentration)."""
    target = test.canonical_unit
    if target is None:
        return False
    # Arbitrary units ([iU], [HPF], [GPL'U]) and pure ratios (%, mg/mg) are all dimensionless
    # to the unit library; offer one only beside the same kind of unit, never IU/mL for a count.
    if _ARBITRARY.findall(unit) != _ARBITRARY.findall(target) or (
        unit in _RATIOS and unit != target
    ):
        return False
    if is_convertible(unit, target):
        return True
    if test.molar_mass_g_per_mol:
        return (is_convertible(unit, "g/L") and is_convertible("mol/L", target)) or (
            is_convertible(unit, "mol/L") and is_convertible("g/L", target)
        )
    return False


def _written(unit: str) -> tuple[str, str]:
    """(what the unit box receives, what the list shows): the unit as people write it when the
    parser reads it back to the same unit (×10⁹/L, µmol/L, IU/mL), else its code."""
    label = unit_label(unit)
    try:
        same = normalise_unit(label) == normalise_unit(unit)
    except UnitProblem:
        same = False
    return (label if same else unit, label)


def unit_lists(tests: list[LabTest]) -> dict[str, list[tuple[str, str]]]:
    """For each numeric test of the labs pack, the units its box offers: the pack's unit first,
    then the common units that convert to it."""
    out = {}
    for test in tests:
        if test.canonical_unit is None:
            continue
        units = [test.canonical_unit] + [u for u in _UNITS if u != test.canonical_unit]
        out[test.id] = [
            _written(u) for u in units if u == test.canonical_unit or _converts(u, test)
        ]
    return out


def _context(kb: KnowledgeBase) -> dict[str, Any]:
    rows = kb.table("labs", "tests", LabTest)
    tests = [(t.id, t.label, t.canonical_unit, t.kind) for t in rows]
    per_test = unit_lists(rows)
    every = list(dict.fromkeys(u for units in per_test.values() for u in units))
    return {
        "tests": tests,
        "labels": {t[0]: t[1] for t in tests},
        "item_labels": {t[0]: t[1] for t in tests},
        "units": every,
        "test_units": per_test,
        "results": [(w, w) for w in ("positive", "negative", "low", "high", "normal")],
    }


lab_choices = _context
"""The choices the lab fields offer (tests, units per test, result words); the new-patient
form's lab rows use them too."""


router = obs.routes(
    LABS, name="lab", item_id="lab_id", schema=LabIn, context=_context,
    words=obs.Words("lab result", "lab results", listed=(
        "Every lab result, oldest first: its case-file entry and the stored canonical values.")),
)
