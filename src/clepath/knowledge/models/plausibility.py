"""Row models of the `plausibility` pack: the range a value must fall in to be read at all."""

from __future__ import annotations

from typing import Literal

from clepath.knowledge.base import Row

__all__ = ["PlausibleRange"]


class PlausibleRange(Row):
    """Values outside [low, high] (in `unit`) are refused as typing or unit errors.

    These are not reference ranges: they bound what a human body or a drug dose can be, so
    that a slipped unit or separator is caught instead of being assessed.
    """

    id: str  # `patient.weight`, `patient.height`, `patient.age`, `lab.<test id>`, `dose.mass`
    kind: Literal["patient", "lab", "dose"]
    low: float
    high: float
    unit: str  # UCUM
    description: str
