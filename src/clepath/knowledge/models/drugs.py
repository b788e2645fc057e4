"""Row models of the `drugs` pack: the agents used in CLE and the drugs known to trigger it.

One `Drug` row per agent (pathway.md §4 and the agents named in §2-§3): its class and kind, each
guideline's stance with the guideline's own wording, the usual and maximum dose, the minimum
adequate trial, checks, contraindications, CLE notes and a one-sentence evidence summary. The
rows' ids and synonyms (generic names, abbreviations, brands) form the `drug` vocabulary, which
the trigger drugs of `TriggerDrug` join so that a current trigger can be named in a case file.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clepath.knowledge.base import EvidenceTag, Row

__all__ = [
    "DRUG_KINDS",
    "DoseLimit",
    "DoseLimits",
    "Drug",
    "FrequencyRule",
    "DrugKind",
    "GUIDELINES",
    "GuidelineStance",
    "MaximumDose",
    "RouteClass",
    "RouteRule",
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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    mg_per_kg_per_day: float = Field(gt=0)
    weight_basis: Literal["actual"] = "actual"
    text: str
    source: str
    tag: EvidenceTag


def _sources(value: object) -> object:
    return (value,) if isinstance(value, str) else value


class DoseLimit(BaseModel):
    """One sourced dose bound: an amount per day, per week or per single dose (administration),
    absolute (`mg`) or per kilogram of actual body weight (`mg_per_kg`). A usual range also
    gives its lower end (`low_mg` or `low_mg_per_kg`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    per: Literal["day", "week", "dose"]
    mg: float | None = Field(default=None, gt=0)
    mg_per_kg: float | None = Field(default=None, gt=0)
    low_mg: float | None = Field(default=None, gt=0)
    low_mg_per_kg: float | None = Field(default=None, gt=0)
    text: str
    source: tuple[str, ...] = Field(min_length=1)
    tag: EvidenceTag

    _one_or_many = field_validator("source", mode="before")(_sources)

    @model_validator(mode="after")
    def _amount(self) -> Self:
        if (self.mg is None) == (self.mg_per_kg is None):
            raise ValueError("a dose limit gives exactly one of mg and mg_per_kg")
        return self


class FrequencyRule(BaseModel):
    """The schedules a drug may be given on (frequency ids); any other schedule is not allowed,
    and raises `dose_frequency_not_allowed` at `severity` (daily methotrexate is critical)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    allowed: tuple[str, ...] = Field(min_length=1)
    severity: Literal["info", "warning", "critical"] = "warning"
    text: str
    source: tuple[str, ...] = Field(min_length=1)
    tag: EvidenceTag

    _one_or_many = field_validator("source", mode="before")(_sources)


class RouteRule(BaseModel):
    """The routes a drug may be given by (route ids); any other raises `route_not_allowed`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    allowed: tuple[str, ...] = Field(min_length=1)
    text: str
    source: tuple[str, ...] = Field(min_length=1)
    tag: EvidenceTag

    _one_or_many = field_validator("source", mode="before")(_sources)


class DoseLimits(BaseModel):
    """Structured limits of a systemic drug, each sourced and tagged (U = unconfirmed default).

    `maximum` is an absolute amount per day, week or dose; `maximum_per_kg` an amount per kg of
    actual body weight. The antimalarials' retinal per-kg maxima stay in `Drug.maximum` (they
    raise their own alerts); these limits are for plausibility (`dose_above_maximum`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    frequencies: FrequencyRule | None = None
    routes: RouteRule | None = None
    usual: DoseLimit | None = None
    maximum: DoseLimit | None = None
    maximum_per_kg: DoseLimit | None = None

    @model_validator(mode="after")
    def _kinds(self) -> Self:
        if self.maximum is not None and self.maximum.mg is None:
            raise ValueError("limits.maximum is an absolute amount (mg)")
        if self.maximum_per_kg is not None and self.maximum_per_kg.mg_per_kg is None:
            raise ValueError("limits.maximum_per_kg is an amount per kg (mg_per_kg)")
        return self

    def sources(self) -> tuple[str, ...]:
        """Every source id the limits name."""
        parts = (self.frequencies, self.routes, self.usual, self.maximum, self.maximum_per_kg)
        return tuple(dict.fromkeys(s for part in parts if part is not None for s in part.source))


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
    limits: DoseLimits | None = None  # structured, sourced dose plausibility limits

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        guidelines = [s.guideline for s in self.stances]
        if len(guidelines) != len(set(guidelines)):
            raise ValueError(f"{self.id}: one stance per guideline")
        if self.kind == "glucocorticoid" and self.route != "systemic":
            raise ValueError(f"{self.id}: a glucocorticoid row is the systemic drug")
        if self.limits is not None and self.route != "systemic":
            raise ValueError(f"{self.id}: dose limits are for systemic drugs")
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
