"""Row models of the `slicc_2012` pack: the SLICC 2012 classification criteria for SLE.

Petri M, et al. Derivation and validation of the SLICC classification criteria for SLE.
Arthritis Rheum 2012;64:2677-86. Eleven clinical and six immunologic numbered criteria, each in
our own words with what satisfies it, plus the biopsy-proven nephritis route.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from clepath.knowledge.base import Row
from clepath.knowledge.models.findings import Condition, Route, routes_of

__all__ = ["SliccCriterionRow", "SliccNephritisRoute"]


class SliccCriterionRow(Row):
    """One numbered criterion (clinical 1-11, immunologic 1-6) and what satisfies it."""

    id: str
    number: int = Field(ge=1, le=11)
    kind: Literal["clinical", "immunologic"]
    label: str
    definition: str
    satisfied_by: tuple[Condition | tuple[Condition, ...], ...] = ()
    not_counted_with: tuple[str, ...] = ()  # criterion ids whose presence voids this one
    note_when_met: str | None = None

    @property
    def routes(self) -> tuple[Route, ...]:
        """Alternatives, each a set of conditions that must all hold."""
        return routes_of(self.satisfied_by)


class SliccNephritisRoute(Row):
    """Classification by biopsy-proven lupus nephritis with ANA or anti-dsDNA."""

    id: str
    label: str
    definition: str
    biopsy: tuple[Condition, ...] = Field(min_length=1)  # any one
    with_criteria: tuple[str, ...] = Field(min_length=1)  # any one of these criterion ids met
