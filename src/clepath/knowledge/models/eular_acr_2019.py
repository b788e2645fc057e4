"""Row models of the `eular_acr_2019` pack: the SLE classification criteria of 2019.

Aringer M, et al. 2019 EULAR/ACR classification criteria for SLE. Ann Rheum Dis
2019;78:1151-9 and Arthritis Rheumatol 2019;71:1400-12. Domains are clinical or immunologic;
each criterion has its weight, a definition in our own words and what satisfies it; the entry
criterion (ANA) is a row of its own; CLE subtypes map to the two skin criteria.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from clepath.knowledge.base import Row
from clepath.knowledge.models.findings import Condition, Route, routes_of

__all__ = ["EularAcrCriterionRow", "EularAcrDomain", "EularAcrEntry"]


class EularAcrDomain(Row):
    """A domain: only its highest-weighted criterion met counts."""

    id: str
    label: str
    kind: Literal["clinical", "immunologic"]


class EularAcrCriterionRow(Row):
    """One weighted criterion of one domain and what satisfies it."""

    id: str
    domain: str
    label: str
    points: int = Field(ge=1, le=10)
    definition: str
    satisfied_by: tuple[Condition | tuple[Condition, ...], ...] = ()
    note_when_met: str | None = None

    @property
    def routes(self) -> tuple[Route, ...]:
        """Alternatives, each a set of conditions that must all hold."""
        return routes_of(self.satisfied_by)


class EularAcrEntry(Row):
    """The entry criterion: without it a patient is not classified, whatever the points."""

    id: str
    label: str
    definition: str
    satisfied_by: tuple[Condition, ...] = Field(min_length=1)
