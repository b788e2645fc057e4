"""Row models of the `pathway` pack: what "refractory" means and what to offer next.

`RefractoryDefinition` is one operational definition of refractory CLE (pathway.md §6); its
`method` names the evaluator in `clepath.engine.refractory`, its fields the agents and kinds it
counts, its thresholds live in the pack's parameters. `GeneralMeasure` is a measure for every
assessment (sun protection, smoking, drug triggers) with its wording per situation.
`OptionStatus` explains the status words. `OptionCandidate` is an agent the options list
considers, in ladder order, with how its status is set. `CautionRule` attaches a caution to
agents when a patient condition holds.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from clepath.knowledge.base import Row

__all__ = [
    "CAUTION_CONDITIONS",
    "CautionCondition",
    "CautionRule",
    "GeneralMeasure",
    "OPTION_STATUSES",
    "OptionCandidate",
    "OptionStatus",
    "OptionStatusValue",
    "RefractoryDefinition",
]

OptionStatusValue = Literal[
    "recommended", "consider", "not_recommended", "contraindicated", "failed", "ongoing"
]
OPTION_STATUSES: tuple[str, ...] = OptionStatusValue.__args__  # type: ignore[attr-defined]

CautionCondition = Literal[
    "always",
    "pregnant",
    "pregnancy_not_recorded",
    "leukopenia",
    "neutropenia",
    "anti_ro_positive",
    "smoking_current",
    "hcq_above_max",
    "dose_above_max",
    "egfr_below",
    "subtype",
    "no_sle_features",
    "agent_ongoing",
]
CAUTION_CONDITIONS: tuple[str, ...] = CautionCondition.__args__  # type: ignore[attr-defined]


class RefractoryDefinition(Row):
    """One operational definition of refractory CLE and the agents it counts."""

    id: str
    label: str
    method: Literal["trial", "antimalarial_immunosuppressant", "composite", "severe_label"]
    wording: str  # the definition as published (quoted) or as proposed (ours)
    design_proposal: bool = False  # True for the tool's own composite [C]
    antimalarials: tuple[str, ...] = ()  # drug ids that count as the antimalarial trial
    immunosuppressant_kinds: tuple[str, ...] = ()  # drug kinds that count as immunosuppressive
    second_line_agents: tuple[str, ...] = ()  # composite (b)
    severe_agents: tuple[str, ...] = ()  # severe label: failure of any of these
    glucocorticoid_target: str | None = None  # glucocorticoids target id (severe label)
    parameters: tuple[str, ...] = ()  # pathway parameter ids the evaluator reads


class GeneralMeasure(Row):
    """A measure given with every assessment, with its wording per situation."""

    id: str
    label: str
    order: int
    texts: dict[str, str]  # situation -> text; placeholders in braces (see the engine)


class OptionStatus(Row):
    """What a status word in the options list means."""

    id: OptionStatusValue
    label: str
    meaning: str


class OptionCandidate(Row):
    """An agent the options list considers, and how its status is set."""

    agent: str  # drug id
    order: int
    status: OptionStatusValue  # the status when nothing else applies
    requires_refractory: bool = False  # reserved for refractory disease
    status_if_not_refractory: OptionStatusValue | None = None
    requires_sle_features: bool = False  # guideline support is for CLE within SLE
    status_without_sle_features: OptionStatusValue | None = None
    rationale: str

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.requires_refractory and self.status_if_not_refractory is None:
            raise ValueError(f"{self.agent}: say the status when not refractory")
        if self.requires_sle_features and self.status_without_sle_features is None:
            raise ValueError(f"{self.agent}: say the status without SLE features")
        return self


class CautionRule(Row):
    """A caution attached to agents when a patient condition holds."""

    id: str  # the caution code in output
    when: CautionCondition
    agents: tuple[str, ...] = ()  # drug ids
    kinds: tuple[str, ...] = ()  # or every agent of these kinds
    teratogens: bool = False  # or every agent flagged teratogenic in the drugs pack
    with_agents: tuple[str, ...] = ()  # `agent_ongoing`: fires when one of these is current
    subtypes: tuple[str, ...] = ()  # `subtype`: CLE subtype id prefixes (SCLE, DLE, ...)
    threshold: float | None = Field(default=None, gt=0)  # `egfr_below`: mL/min/1.73 m2
    severity: Literal["info", "warning", "critical"]
    message: str  # may use {agent}, {wbc_text}, {mg_per_kg}, {max_mg_per_kg}, {egfr},
    # {threshold} and {with_agent}
    makes_contraindicated: bool = False  # the caution turns the option's status

    @model_validator(mode="after")
    def _targets(self) -> Self:
        if not self.agents and not self.kinds and not self.teratogens:
            raise ValueError(f"caution {self.id}: name agents, kinds or teratogens")
        if self.when == "subtype" and not self.subtypes:
            raise ValueError(f"caution {self.id}: a subtype rule needs subtypes")
        if self.when == "egfr_below" and self.threshold is None:
            raise ValueError(f"caution {self.id}: an eGFR rule needs a threshold")
        if self.when == "agent_ongoing" and not self.with_agents:
            raise ValueError(f"caution {self.id}: an agent_ongoing rule needs with_agents")
        return self
