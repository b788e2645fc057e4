"""Row models of the `glucocorticoids` pack: prednisone equivalence and the dose targets.

An `Equivalence` says how many mg of a glucocorticoid match 1 mg of prednisone in
anti-inflammatory potency (pathway.md §5): a fixed `ratio`, or the name of a configurable
`Parameter` that holds it (deflazacort, betamethasone). A `Target` names the two parameters
(threshold and comparison operator) a guideline's maintenance target is read from.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from clepath.knowledge.base import Row

__all__ = ["Equivalence", "Target"]


class Equivalence(Row):
    """mg of one glucocorticoid equal to 1 mg prednisone (fixed, or read from a parameter)."""

    id: str  # drug id (vocabulary `drug`)
    ratio: float | None = Field(default=None, gt=0)
    ratio_parameter: str | None = None  # parameter id in this pack holding the ratio
    equivalent_text: str  # e.g. "6 mg deflazacort = 5 mg prednisone"
    disagreement: str | None = None

    @model_validator(mode="after")
    def _one_ratio(self) -> Self:
        if (self.ratio is None) == (self.ratio_parameter is None):
            raise ValueError(f"{self.id}: give exactly one of ratio and ratio_parameter")
        return self


class Target(Row):
    """A guideline's maintenance glucocorticoid target, read from two parameters."""

    id: str
    guideline: str  # display name, e.g. "EULAR 2023"
    threshold_parameter: str  # parameter id (mg/day prednisone equivalent)
    operator_parameter: str  # parameter id: "<" or "<="
    wording: str
    timeframe: str | None = None
