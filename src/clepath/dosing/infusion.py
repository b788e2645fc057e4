"""Infusion schedule: label titration steps turned into mL/h and minutes for one day's dose.

Rates are given by labels in mg/kg/min. For a product of concentration C mg/mL and a weight of
W kg, a rate R runs at R x W x 60 / C mL/h. Each step lasts its label time and the last is
open-ended; when a label states no steps the rate doubles from the initial rate every step
interval up to the label maximum (a documented default, `ivig.default_step_minutes`). In a
patient at risk of thrombosis or renal dysfunction every step is capped at the label's at-risk
rate or, where the label says only "minimum practicable", at the pack's default cap.

Labels do not say which weight "kg" means in a rate. The planner uses the dosing weight, which
is the lower weight whenever it differs from actual weight, so the rates are the slower ones:
a conservative choice, not label text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clepath.dosing import catalogue
from clepath.errors import DosingError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import InfusionRate, IvigProduct

__all__ = [
    "InfusionDay",
    "InfusionProfile",
    "InfusionRun",
    "RateStep",
    "infusion_day",
    "infusion_profile",
    "ml_per_hour",
    "titration",
]

CapBasis = Literal["label", "minimum_practicable_default"]


@dataclass(frozen=True)
class RateStep:
    """One titration step: its rate and how long it runs (None: until the dose is in)."""

    rate_mg_kg_min: float
    minutes: float | None
    capped: bool = False


@dataclass(frozen=True)
class InfusionProfile:
    """The steps a product runs at for one patient, with the weight and caps behind them."""

    rate_id: str
    product: str
    indication: str
    concentration_mg_per_ml: float
    weight_kg: float
    weight_basis: str
    steps: tuple[RateStep, ...]
    label_max_mg_kg_min: float
    at_risk: bool
    cap_mg_kg_min: float | None
    cap_basis: CapBasis | None
    at_risk_wording: str
    steps_basis: Literal["label", "doubling_default"]
    step_minutes: float
    unconfirmed: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class InfusionRun:
    """The part of one step actually run for a given volume."""

    rate_mg_kg_min: float
    ml_per_h: float
    minutes: float
    volume_ml: float


@dataclass(frozen=True)
class InfusionDay:
    """One day's infusion: volume, the steps run and the total time."""

    grams: float
    volume_ml: float
    runs: tuple[InfusionRun, ...]
    minutes: float


def ml_per_hour(rate_mg_kg_min: float, weight_kg: float, concentration_mg_per_ml: float) -> float:
    """mL/h = mg/kg/min x kg x 60 / (mg/mL)."""
    return rate_mg_kg_min * weight_kg * 60.0 / concentration_mg_per_ml


def _label_rates(row: InfusionRate) -> tuple[list[float], bool]:
    """Rates from the initial to the maximum, and whether they are the label's own steps."""
    if row.steps_mg_kg_min:
        rates = [row.initial_mg_kg_min, *row.steps_mg_kg_min]
        return [min(r, row.max_mg_kg_min) for r in rates], True
    rates = [row.initial_mg_kg_min]
    while rates[-1] * 2 < row.max_mg_kg_min:
        rates.append(rates[-1] * 2)
    if rates[-1] < row.max_mg_kg_min:
        rates.append(row.max_mg_kg_min)
    return rates, False


def _cap(row: InfusionRate, kb: KnowledgeBase) -> tuple[float, CapBasis]:
    if row.at_risk_cap_mg_kg_min is not None:
        return min(row.at_risk_cap_mg_kg_min, row.max_mg_kg_min), "label"
    default = float(catalogue.param(kb, "minimum_practicable_cap_mg_kg_min"))
    cap = min(max(default, row.initial_mg_kg_min), row.max_mg_kg_min)
    return cap, "minimum_practicable_default"


def titration(
    row: InfusionRate, kb: KnowledgeBase, *, at_risk: bool
) -> tuple[tuple[RateStep, ...], float | None, CapBasis | None, float]:
    """The steps (capped when at risk), the cap and its basis, and the step interval."""
    rates, _ = _label_rates(row)
    interval = float(row.step_minutes or catalogue.param(kb, "default_step_minutes"))
    cap, basis = _cap(row, kb) if at_risk else (None, None)
    steps: list[RateStep] = []
    for index, rate in enumerate(rates):
        capped = cap is not None and rate > cap
        value = min(rate, cap) if cap is not None else rate
        if steps and value <= steps[-1].rate_mg_kg_min:
            break  # the cap reached: the previous step runs to the end
        minutes = float(row.first_step_minutes) if index == 0 else interval
        steps.append(RateStep(value, minutes, capped))
    last = steps[-1]
    steps[-1] = RateStep(last.rate_mg_kg_min, None, last.capped)
    return tuple(steps), cap, basis, interval


def infusion_profile(
    product: IvigProduct,
    kb: KnowledgeBase,
    weight_kg: float,
    *,
    at_risk: bool,
    weight_basis: str = "dosing weight",
    row: InfusionRate | None = None,
) -> InfusionProfile:
    """The titration a product runs at for a patient of `weight_kg` (its default rate row)."""
    if weight_kg <= 0:
        raise DosingError("an infusion rate needs a positive weight")
    rate_row = row or catalogue.default_rate(kb, product.id)
    steps, cap, basis, interval = titration(rate_row, kb, at_risk=at_risk)
    unconfirmed: list[str] = []
    if not rate_row.steps_mg_kg_min and catalogue.unconfirmed(kb, "default_step_minutes"):
        unconfirmed.append(catalogue.param_key("default_step_minutes"))
    if basis == "minimum_practicable_default" and catalogue.unconfirmed(
        kb, "minimum_practicable_cap_mg_kg_min"
    ):
        unconfirmed.append(catalogue.param_key("minimum_practicable_cap_mg_kg_min"))
    if rate_row.unconfirmed:
        unconfirmed.append(f"{catalogue.PACK}.rates.{rate_row.id}")
    return InfusionProfile(
        rate_id=rate_row.id,
        product=product.id,
        indication=rate_row.indication,
        concentration_mg_per_ml=product.concentration_mg_per_ml,
        weight_kg=weight_kg,
        weight_basis=weight_basis,
        steps=steps,
        label_max_mg_kg_min=rate_row.max_mg_kg_min,
        at_risk=at_risk,
        cap_mg_kg_min=cap,
        cap_basis=basis,
        at_risk_wording=rate_row.at_risk_wording,
        steps_basis="label" if rate_row.steps_mg_kg_min else "doubling_default",
        step_minutes=interval,
        unconfirmed=tuple(unconfirmed),
        sources=rate_row.source,
    )


def infusion_day(grams: float, profile: InfusionProfile) -> InfusionDay:
    """Run one day's dose through the profile's steps: volume, runs and total minutes."""
    if grams <= 0:
        raise DosingError("an infusion needs a positive dose")
    volume = grams * 1000.0 / profile.concentration_mg_per_ml
    remaining = volume
    runs: list[InfusionRun] = []
    for step in profile.steps:
        rate = ml_per_hour(step.rate_mg_kg_min, profile.weight_kg, profile.concentration_mg_per_ml)
        step_volume = rate * step.minutes / 60.0 if step.minutes is not None else remaining
        given = min(step_volume, remaining)
        minutes = given / rate * 60.0
        runs.append(InfusionRun(step.rate_mg_kg_min, rate, minutes, given))
        remaining -= given
        if remaining <= 1e-9:
            break
    return InfusionDay(
        grams=grams, volume_ml=volume, runs=tuple(runs), minutes=sum(r.minutes for r in runs)
    )
