"""Row models of the `drugs` pack: the agents used in CLE and the drugs known to trigger it.

One `Drug` row per agent (pathway.md §4 and the agents named in §2-§3): its class and kind, each
guideline's stance with the guideline's own wording, the usual and maximum dose, the minimum
adequate trial, checks, contraindications, CLE notes and a one-sentence evidence summary. The
rows' ids and synonyms (generic names, abbreviations, brands) form the `drug` vocabulary, which
the trigger drugs of `TriggerDrug` join so that a current trigger can be named in a case file.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clepath.knowledge.base import EvidenceTag, Row

__all__ = [
    "DRUG_KINDS",
    "Drug",
    "DrugKind",
    "GUIDELINES",
    "GuidelineStance",
    "MaximumDose",
    "RouteClass",
    "STANCES",
    "StanceValue",
    "TriggerClass",
    "TriggerDrug",
]

DrugKind = Literal[
    "antimalarial",
    "biologic",
    "glucocorticoid",
    "immunoglobulin",
    "immunomodulator",
    "immunosuppressant",
    "retinoid",
    "targeted_small_molecule",
    "topical",
    "trigger_only",
]
DRUG_KINDS: tuple[str, ...] = DrugKind.__args__  # type: ignore[attr-defined]

StanceValue = Literal[
    "recommended",  # the guideline recommends it for CLE (at `line`)
    "conditional",  # conditionally recommended / "considered" / an option at `line`
    "restricted",  # only in selected (refractory) patients
    "needs_trials",  # named as needing evaluation in trials: no recommendation
    "not_recommended",  # no supporting recommendation (never "recommended against" unless said)
    "not_addressed",  # the guideline's skin recommendations do not mention it
]
STANCES: tuple[str, ...] = StanceValue.__args__  # type: ignore[attr-defined]

GUIDELINES: tuple[str, ...] = (
    "kuhn2017",
    "eular2023",
    "acr2025",
    "lu2021",
    "lancet2025",
)


class GuidelineStance(BaseModel):
    """One guideline's position on one agent, with its wording and evidence grade."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    guideline: Literal["kuhn2017", "eular2023", "acr2025", "lu2021", "lancet2025"]
    stance: StanceValue
    line: str | None = None  # first, first_topical, second, third, add_on, ...
    wording: str  # quoted where the guideline's sentence was seen, else our paraphrase
    quoted: bool = False  # True when `wording` is the guideline's own sentence
    evidence_level: str | None = None  # e.g. EULAR "1a/A"
    source: str  # a source id of the pack
    tag: EvidenceTag


class MaximumDose(BaseModel):
    """A daily maximum per kilogram and the body weight it is computed on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mg_per_kg_per_day: float = Field(gt=0)
    weight_basis: Literal["actual"] = "actual"
    text: str
    source: str
    tag: EvidenceTag


class Drug(Row):
    """One agent: vocabulary entry, guideline stances, dosing and safety, as the table gives it."""

    id: str  # lower-case generic name with spaces
    label: str
    synonyms: tuple[str, ...] = ()  # abbreviations, other generic spellings and brand names
    drug_class: str
    kind: DrugKind
    route: Literal["systemic", "topical"] = "systemic"
    topical_form: str | None = None  # drug id used when a course's route is not systemic
    line: str  # the summary line (Kuhn 2017 unless stated)
    stances: tuple[GuidelineStance, ...] = ()
    usual_dose: str | None = None
    maximum: MaximumDose | None = None
    min_trial_weeks: float | None = Field(default=None, gt=0)
    min_trial_text: str | None = None
    checks: tuple[str, ...] = ()  # before starting
    monitoring: tuple[str, ...] = ()
    contraindications: tuple[str, ...] = ()
    teratogen: bool = False  # contraindicated in pregnancy
    cle_notes: tuple[str, ...] = ()
    evidence: str | None = None  # one sentence
    frequencies: tuple[str, ...] = ()  # usual frequency ids (vocabulary `frequency`)
    cle_trigger: str | None = None  # TriggerClass id when the agent itself can induce CLE
    active_moiety: str | None = None  # agents sharing it count as one drug for "failed"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        guidelines = [s.guideline for s in self.stances]
        if len(guidelines) != len(set(guidelines)):
            raise ValueError(f"{self.id}: one stance per guideline")
        if self.kind == "glucocorticoid" and self.route != "systemic":
            raise ValueError(f"{self.id}: a glucocorticoid row is the systemic drug")
        return self


class TriggerClass(Row):
    """A class of drugs reported to induce CLE (mostly SCLE): review and withdraw."""

    id: str
    label: str
    examples: tuple[str, ...] = ()
    subtypes: tuple[str, ...] = ()  # subtype families reported (SCLE, DLE, ...)
    text: str


class TriggerDrug(Row):
    """A drug named in case files only as a possible CLE trigger (joins vocabulary `drug`)."""

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    trigger_class: str
    kind: Literal["trigger_only"] = "trigger_only"


class RouteClass(Row):
    """Whether a route (vocabulary `route`) gives systemic exposure."""

    id: str
    systemic: bool
