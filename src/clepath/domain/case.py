"""The patient's record as clepath holds it once a case file has been read and checked.

Every quantity here is already in its canonical unit (named in the field) and every vocabulary
term is already the knowledge packs' canonical id. Nothing here is derived: scores and
recommendations are computed from these observations by the core.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clepath.domain.dates import PartialDate
from clepath.domain.units import Quantity, Titre

__all__ = [
    "Case",
    "ClasiExam",
    "ClasiRegionScore",
    "CleEntry",
    "Finding",
    "IvigCourseRequest",
    "IvigRequest",
    "LabResult",
    "Measurement",
    "Patient",
    "TherapyCourse",
]


@dataclass(frozen=True, slots=True)
class Patient:
    """Who the patient is, as far as the core needs to know (never a name)."""

    sex: str | None = None  # "female" | "male"
    age_years: int | None = None  # at as_of, from `age` or `birth_date`
    birth_date: dt.date | None = None
    weight_kg: float | None = None  # an undated `patient.weight`, or the one chosen for a day
    height_cm: float | None = None
    weight_date: dt.date | None = None  # the day weight_kg was measured (None: undated)
    height_date: dt.date | None = None
    pre_pregnancy_weight_kg: float | None = None
    smoking: str | None = None  # never | former | current
    pregnant: bool | None = None
    blood_group: str | None = None  # A, B, AB, O (Rh sign kept if given)
    conditions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Measurement:
    """A dated body measurement: `weight` (value in kg) or `height` (value in cm)."""

    name: str  # "weight" | "height"
    date: dt.date
    value: float
    original: str | None = None  # as the file gave it (`176 lb`), for display


@dataclass(frozen=True, slots=True)
class CleEntry:
    """One cutaneous lupus subtype present, where, and since when."""

    subtype: str
    sites: tuple[str, ...] = ()
    since: PartialDate | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A dated clinical finding (a finding-vocabulary id), optionally with a value."""

    name: str
    date: dt.date
    value: Quantity | None = None
    attributed_to: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class LabResult:
    """A dated laboratory result.

    `value` is in the test's canonical unit (`unit`); `lower`/`upper` are the lab's own reference
    range in the same unit. `result` is positive/negative/low/high/normal when no number was given.
    """

    test: str
    date: dt.date
    value: float | None = None
    unit: str | None = None
    titre: Titre | None = None
    result: str | None = None
    lower: float | None = None
    upper: float | None = None
    attributed_to: str | None = None
    original: str | None = None  # what the file said, for display


@dataclass(frozen=True, slots=True)
class ClasiRegionScore:
    """CLASI scores of the worst lesion in one region."""

    erythema: int = 0
    scale: int = 0
    dyspigmentation: int = 0
    scarring: int = 0


@dataclass(frozen=True, slots=True)
class ClasiExam:
    """One dated CLASI examination: per-region items and the global items."""

    date: dt.date
    regions: tuple[tuple[str, ClasiRegionScore], ...] = ()
    mucous_membrane: int = 0
    recent_hair_loss: int = 0
    nonscarring_alopecia: int = 0
    scarring_alopecia_scalp: int = 0
    dyspigmentation_lasts_12_months: bool | None = None

    def region(self, region_id: str) -> ClasiRegionScore:
        """The scores of one region (all zero when not recorded)."""
        for key, score in self.regions:
            if key == region_id:
                return score
        return ClasiRegionScore()


@dataclass(frozen=True, slots=True)
class TherapyCourse:
    """One course of one drug, as the history gives it (dose and dates may be missing)."""

    drug: str  # canonical generic id from the drug pack
    dose_mg: float | None = None  # per administration, in mg
    dose_text: str | None = None  # as given, for display
    frequency: str | None = None  # canonical id: daily, twice_daily, weekly, ...
    doses_per_week: float | None = None
    route: str | None = None
    start: PartialDate | None = None
    stop: PartialDate | None = None
    outcome: str = "ongoing"
    note: str | None = None

    @property
    def daily_dose_mg(self) -> float | None:
        """Average mg per day, when dose and frequency are known."""
        if self.dose_mg is None or self.doses_per_week is None:
            return None
        return self.dose_mg * self.doses_per_week / 7.0


@dataclass(frozen=True, slots=True)
class IvigCourseRequest:
    """One part of a requested IVIG regimen: dose per kg of dosing weight and its timing."""

    dose_g_per_kg: float
    days: int | None = None  # induction: days to divide the dose over
    every_days: int | None = None  # maintenance: interval between courses
    cycles: int | None = None  # maintenance: number of courses


@dataclass(frozen=True, slots=True)
class IvigRequest:
    """The IVIG plan asked for in the case's `requests.ivig`."""

    induction: IvigCourseRequest | None = None
    maintenance: IvigCourseRequest | None = None
    product: str | None = None
    policy: str | None = None
    start: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A whole case: the patient and every dated observation, as of one assessment date."""

    id: str
    as_of: dt.date
    patient: Patient
    cle: tuple[CleEntry, ...] = ()
    findings: tuple[Finding, ...] = ()
    labs: tuple[LabResult, ...] = ()
    clasi: tuple[ClasiExam, ...] = ()
    therapies: tuple[TherapyCourse, ...] = ()
    measurements: tuple[Measurement, ...] = ()  # dated weights and heights, in record order
    ivig_request: IvigRequest | None = None
    format_version: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)
