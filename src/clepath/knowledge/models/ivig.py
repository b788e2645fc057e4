"""Row models of the `ivig` pack: products, infusion rates, dosing-weight policies, regimens,
safety rules, the pre-infusion checklist and the review rule.

The facts come from the product labels and the stewardship programmes cited in the pack's
manifest (clinical/ivig.md); the planner that uses them lives in `clepath.dosing`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clepath.knowledge.base import Row

__all__ = [
    "ChecklistItem",
    "CleSignal",
    "CourseTemplate",
    "DosingWeightPolicy",
    "InfusionRate",
    "IvigProduct",
    "NephrotoxicDrug",
    "RegimenPreset",
    "ReviewRule",
    "RiskFactor",
    "SafetyRule",
]

Excipient = Literal["proline", "sorbitol", "maltose", "sucrose", "glycine"]
IgaBasis = Literal["average", "at_most", "less_than", "about"]
RiskCategory = Literal[
    "thrombosis", "renal", "hyperviscosity", "hypersensitivity", "volume_overload"
]


class IvigProduct(Row):
    """One IVIG product: concentration, vial sizes, IgA content and declared excipients."""

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    maker: str
    concentration_mg_per_ml: float = Field(gt=0)
    vials_g: tuple[float, ...] = Field(min_length=1)
    vials_tag: Literal["V", "C", "P", "S", "L", "U"] | None = None
    iga_ug_per_ml: float | None = None
    iga_basis: IgaBasis | None = None
    iga_tag: Literal["V", "C", "P", "S", "L", "U"] | None = None
    excipients: tuple[Excipient, ...] = ()
    sucrose_free: bool | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _vials_positive(self) -> IvigProduct:
        if any(v <= 0 for v in self.vials_g):
            raise ValueError("vial sizes must be positive")
        if "sucrose" in self.excipients and self.sucrose_free:
            raise ValueError("a product cannot both contain sucrose and be sucrose-free")
        return self


class InfusionRate(Row):
    """A label's infusion-rate table for one product and indication (rates in mg/kg/min).

    `steps_mg_kg_min` is the label's titration after the initial rate; when the label gives no
    steps it is empty and the planner doubles the rate every `step_minutes` (or the pack's
    default interval) up to `max_mg_kg_min`. `at_risk_cap_mg_kg_min` is the label's number for
    patients at risk of thrombosis or renal dysfunction; None means the label says only
    "minimum practicable", for which the pack's documented default applies.
    """

    id: str
    product: str
    indication: str
    default: bool = False
    initial_mg_kg_min: float = Field(gt=0)
    first_step_minutes: int = Field(gt=0)
    steps_mg_kg_min: tuple[float, ...] = ()
    step_minutes: int | None = Field(default=None, gt=0)
    max_mg_kg_min: float = Field(gt=0)
    at_risk_cap_mg_kg_min: float | None = None
    at_risk_wording: str
    note: str | None = None

    @model_validator(mode="after")
    def _rates_consistent(self) -> InfusionRate:
        if self.initial_mg_kg_min > self.max_mg_kg_min:
            raise ValueError("initial rate above the maximum")
        previous = self.initial_mg_kg_min
        for rate in self.steps_mg_kg_min:
            if rate < previous:
                raise ValueError("titration steps must not decrease")
            previous = rate
        return self


class DosingWeightPolicy(Row):
    """A programme's rule for when the dose-determining weight replaces actual weight."""

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    description: str
    adjust: Literal["always", "when_triggered", "never"]
    bmi_above: float | None = None
    ibw_ratio_above: float | None = None
    weight_above_kg_female: float | None = None
    weight_above_kg_male: float | None = None
    min_age_years: int | None = None
    min_height_cm: float | None = None
    pregnancy: Literal["actual", "pre_pregnancy"] = "actual"
    actual_below_ibw_uses_actual: bool = True

    @model_validator(mode="after")
    def _has_trigger(self) -> DosingWeightPolicy:
        triggers = (
            self.bmi_above,
            self.ibw_ratio_above,
            self.weight_above_kg_female,
            self.weight_above_kg_male,
        )
        if self.adjust == "when_triggered" and all(t is None for t in triggers):
            raise ValueError("a `when_triggered` policy needs at least one trigger")
        return self


class CourseTemplate(BaseModel):
    """One part of a regimen preset: dose per kg of dosing weight and its timing."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    dose_g_per_kg: float = Field(gt=0)
    days: int = Field(ge=1)
    every_days: int | None = Field(default=None, ge=1)
    cycles: int | None = Field(default=None, ge=1)


class RegimenPreset(Row):
    """A named regimen from the CLE literature or a label analogue.

    `indication` is empty for a regimen used in CLE (or a label analogue offered for it); a
    regimen reported in another disease names it there (e.g. "SJS/TEN") and is shown as
    "outside CLE: <indication> — for reference", after every CLE regimen.
    """

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    description: str
    induction: CourseTemplate | None = None
    maintenance: CourseTemplate | None = None
    note: str | None = None
    indication: str | None = None

    @property
    def outside_cle(self) -> bool:
        """Whether the regimen was reported in a disease other than CLE."""
        return self.indication is not None

    @model_validator(mode="after")
    def _maintenance_complete(self) -> RegimenPreset:
        if self.induction is None and self.maintenance is None:
            raise ValueError("a preset needs an induction or a maintenance part")
        m = self.maintenance
        if m is not None and (m.every_days is None or m.cycles is None):
            raise ValueError("maintenance needs `every_days` and `cycles`")
        return self


class SafetyRule(Row):
    """One safety-gate rule: its severity and the words shown; the trigger is in the planner.

    `message` may name fields in braces ({product}, {factors}, {dose}, ...) filled at run time.
    """

    id: str
    severity: Literal["block", "warning", "info"]
    title: str
    message: str


class RiskFactor(Row):
    """A patient condition (a `condition` vocabulary id) and the label risk groups it joins."""

    id: str
    condition: str
    label: str
    categories: tuple[RiskCategory, ...] = Field(min_length=1)


class NephrotoxicDrug(Row):
    """A drug counted as "a known nephrotoxic drug" for the renal boxed warning.

    `drug` is a name resolved through the `drug` vocabulary when that vocabulary is loaded.
    """

    id: str
    drug: str
    label: str


class ChecklistItem(Row):
    """One pre-infusion check: what, when, and the patient data that answer it."""

    id: str
    check: str
    when: str
    applies: Literal["always", "at_risk", "maltose_product", "high_dose"] = "always"
    evidence: tuple[str, ...] = ()  # lab ids or patient fields that show it was done
    evidence_needs: Literal["any", "all"] = "any"  # one of them suffices, or all are needed


class ReviewRule(Row):
    """A review requirement for continued IVIG and the programme wording behind it."""

    id: str
    requirement: str
    wording: str | None = None  # a short quotation of the programme, attributed by `source`


class CleSignal(Row):
    """A CLE-specific safety signal from the literature (flares, IVIG-induced CLE)."""

    id: str
    title: str
    message: str
    events: int | None = None
    patients: int | None = None
