"""Row models of the `findings` pack, and the condition grammar criteria use to read a case.

`FindingTerm` is one clinical finding of the case file's `findings` list (a canonical id with its
synonyms, and whether the finding carries a value in a UCUM unit). `Condition` is how a row of
the SLEDAI-2K, EULAR/ACR 2019 and SLICC 2012 packs says which finding or lab result satisfies a
descriptor or criterion; `CleSubtypeRule` says which CLE subtype satisfies which skin criterion.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from clepath.knowledge.base import Row
from clepath.knowledge.models.common import Term

__all__ = [
    "CLASI_GLOBAL_ITEMS",
    "CLASI_REGION_ITEMS",
    "CleSubtypeRule",
    "Comparison",
    "Condition",
    "FindingTerm",
    "Route",
    "routes_of",
]

Comparison = Literal[
    "present", "below", "above", "at_least", "low", "high", "titre_at_least", "threshold"
]

_FINDING_COMPARISONS = frozenset({"present", "above", "at_least"})
CLASI_REGION_ITEMS = frozenset({"erythema", "scale"})
"""CLASI items scored per region: a `clasi` condition on one of them holds when any region > 0."""
CLASI_GLOBAL_ITEMS = frozenset({"mucous_membrane", "recent_hair_loss", "nonscarring_alopecia"})
"""CLASI activity items scored once per examination."""
_NUMERIC = frozenset({"below", "above", "at_least"})


class FindingTerm(Term):
    """A clinical finding the instruments read: id, label, synonyms and its value's unit.

    `value_unit` is the UCUM unit of the finding's value (`{joints}` for a joint count, `Cel`
    for a temperature) or None when the finding carries no value; `value_required` says whether
    a case file must give that value.
    """

    value_unit: str | None = None
    value_required: bool = False

    @model_validator(mode="after")
    def _value(self) -> Self:
        if self.value_required and self.value_unit is None:
            raise ValueError(f"{self.id}: a required value needs a value_unit")
        return self


class Condition(BaseModel):
    """One observation that satisfies (part of) a criterion: a finding, a lab result, or an
    activity item of a CLASI examination.

    Comparisons:
      - `present`: the finding is recorded (findings only);
      - `above` / `below` / `at_least`: the value against a fixed threshold (strict for above and
        below), given as `threshold` + `unit` or as `threshold_parameter` (a Parameter of the
        same pack whose value and unit are used);
      - `threshold`: a fixed threshold row of the `labs` pack (`lab_threshold`), its comparator;
      - `low` / `high`: below / above the lab's own reference range, or reported low /
        high or positive;
      - `titre_at_least`: a titre of 1:N or more; without a titre, a positive result (or a
        value above the lab's range) counts as the equivalent test.
    A `clasi` condition names a CLASI activity item (`erythema` or `scale`: held when any
    region scores above 0; `mucous_membrane`, `recent_hair_loss`, `nonscarring_alopecia`: held
    when the item scores above 0) of an examination dated inside the window; it only takes
    `present`.
    `enabled_by` names a boolean Parameter of the same pack: the condition is ignored unless it
    is true (options that are not part of the original instrument). `evidence_note` is appended
    to the evidence text when this condition is what satisfied the criterion; `disabled_note`
    says why an observation the case records is not used while the condition is switched off
    (output: "recorded, not used (<disabled_note>)").
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    finding: str | None = None
    lab: str | None = None
    clasi: str | None = None
    compare: Comparison = "present"
    threshold: float | None = None
    unit: str | None = None
    threshold_parameter: str | None = None
    lab_threshold: str | None = None
    enabled_by: str | None = None
    evidence_note: str | None = None
    disabled_note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Self:
        named = [x for x in (self.finding, self.lab, self.clasi) if x is not None]
        if len(named) != 1:
            raise ValueError("a condition names exactly one of `finding`, `lab` or `clasi`")
        if self.clasi is not None:
            if self.clasi not in CLASI_REGION_ITEMS | CLASI_GLOBAL_ITEMS:
                known = ", ".join(sorted(CLASI_REGION_ITEMS | CLASI_GLOBAL_ITEMS))
                raise ValueError(f"clasi item {self.clasi!r} is not one of: {known}")
            if self.compare != "present":
                raise ValueError("a clasi condition only takes compare='present' (above 0)")
        if self.finding is not None and self.compare not in _FINDING_COMPARISONS:
            raise ValueError(f"a finding condition cannot use compare={self.compare!r}")
        if self.lab is not None and self.compare == "present":
            raise ValueError("a lab condition needs a comparison other than `present`")
        if self.compare in _NUMERIC and self.threshold_parameter is None:
            if self.threshold is None or self.unit is None:
                raise ValueError(f"compare={self.compare!r} needs threshold and unit")
        if self.compare == "titre_at_least":
            if self.threshold is None and self.threshold_parameter is None:
                raise ValueError("compare='titre_at_least' needs threshold or threshold_parameter")
        if (self.compare == "threshold") != (self.lab_threshold is not None):
            raise ValueError("`lab_threshold` goes with compare='threshold' (and only with it)")
        return self

    @property
    def subject(self) -> str:
        """The finding id, lab test id or `clasi.<item>` this condition reads."""
        if self.clasi is not None:
            return f"clasi.{self.clasi}"
        return self.finding if self.finding is not None else str(self.lab)


Route = tuple[Condition, ...]
"""Conditions that must all hold (at any dates within the window) for a route to be met."""


def routes_of(satisfied_by: tuple[Condition | tuple[Condition, ...], ...]) -> tuple[Route, ...]:
    """Normalise a `satisfied_by` list (a condition, or a list of conditions that must all hold)."""
    return tuple(item if isinstance(item, tuple) else (item,) for item in satisfied_by)


class CleSubtypeRule(Row):
    """Which skin criterion a CLE subtype (classification pack enum id) satisfies, if any."""

    subtype: str
    criterion: str | None = None  # a criterion id of the same pack, or None: satisfies none
    note: str
