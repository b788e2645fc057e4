"""Row models of the `clasi` pack: the CLASI form (Albrecht 2005) as data.

The pack holds the form's layout in one place: the 13 regions in form order, every item with the
values it accepts and the regions it skips, the anchor wording (a paraphrase, never the form's
own words), the severity bands and the descriptive rules. `clepath.scores.clasi` reads them.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clepath.knowledge.base import Row

__all__ = ["ClasiAnchor", "ClasiItem", "ClasiRegion", "ClasiRule", "SeverityBand"]


class ClasiRegion(Row):
    """One of the 13 anatomical regions of the CLASI form (feeds vocabulary `clasi_region`)."""

    id: str
    label: str
    order: int = Field(ge=1)  # position on the form
    synonyms: tuple[str, ...] = ()
    description: str | None = None


class ClasiAnchor(BaseModel):
    """The meaning of one value of an item, in our words."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    value: int
    text: str


class ClasiItem(Row):
    """One CLASI item: which score it feeds, where it is scored and the values it accepts.

    `id` is the name of the field that records it: a field of `ClasiRegionScore` for a region
    item, a field of `ClasiExam` for a global item.
    """

    id: str
    label: str
    component: Literal["activity", "damage"]
    scope: Literal["region", "global"]
    values: tuple[int, ...] = Field(min_length=2)
    anchors: tuple[ClasiAnchor, ...]
    wording: Literal["paraphrase"] = "paraphrase"  # the form's own words are not reproduced
    excluded_regions: tuple[str, ...] = ()
    excluded_note: str | None = None  # why an excluded region must stay 0
    doubled_if_persistent: bool = False  # the dyspigmentation rule
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if list(self.values) != sorted(set(self.values)) or self.values[0] != 0:
            raise ValueError("values must be distinct, ascending and start at 0")
        anchored = [a.value for a in self.anchors]
        if sorted(anchored) != list(self.values):
            raise ValueError("every allowed value needs exactly one anchor, and only those")
        if self.scope == "global" and self.excluded_regions:
            raise ValueError("only a region item can exclude regions")
        if self.excluded_regions and not self.excluded_note:
            raise ValueError("an excluded region needs an excluded_note")
        if self.doubled_if_persistent and (self.scope, self.component) != ("region", "damage"):
            raise ValueError("only a region damage item can be doubled")
        return self


class SeverityBand(Row):
    """A band of the CLASI activity score (both ends inclusive)."""

    id: str
    label: str
    minimum: int = Field(ge=0)
    maximum: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.maximum < self.minimum:
            raise ValueError("maximum is below minimum")
        return self


class ClasiRule(Row):
    """A scoring rule stated in words (worst lesion per region, scalp quadrants, ...)."""

    id: str
    label: str
    text: str
