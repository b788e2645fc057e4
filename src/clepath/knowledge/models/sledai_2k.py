"""Row models of the `sledai_2k` pack: the 24 SLEDAI-2K descriptors and the activity bands.

SLEDAI-2K: Gladman DD, Ibanez D, Urowitz MB. J Rheumatol 2002;29:288-91. Each descriptor row
holds its weight, a definition in our own words and the findings or lab results that satisfy
it; band rows hold the activity-band schemes the sources disagree on (one scheme is in force).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from clepath.knowledge.base import Row
from clepath.knowledge.models.findings import Condition, Route, routes_of

__all__ = ["SledaiBand", "SledaiDescriptorRow"]


class SledaiDescriptorRow(Row):
    """One SLEDAI-2K descriptor: number, weight, definition and what satisfies it."""

    id: str
    number: int = Field(ge=1, le=24)
    label: str
    weight: Literal[1, 2, 4, 8]
    definition: str
    satisfied_by: tuple[Condition | tuple[Condition, ...], ...] = Field(min_length=1)

    @property
    def routes(self) -> tuple[Route, ...]:
        """Alternatives, each a set of conditions that must all hold."""
        return routes_of(self.satisfied_by)


class SledaiBand(Row):
    """One activity band of one scheme: scores from `minimum` to `maximum` (None: no upper)."""

    id: str
    scheme: str
    label: str
    minimum: int = Field(ge=0)
    maximum: int | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.maximum is not None and self.maximum < self.minimum:
            raise ValueError(f"band {self.id}: maximum below minimum")
        return self
