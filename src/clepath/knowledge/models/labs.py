"""Row models of the `labs` pack: lab tests, fixed thresholds and the eGFR equation."""

from __future__ import annotations

from typing import Literal

from clepath.knowledge.base import Row
from clepath.knowledge.models.common import Term

__all__ = ["EgfrCoefficients", "LabTest", "LabThreshold"]


class LabTest(Term):
    """A laboratory test: its canonical unit, codes and the qualitative results it accepts."""

    kind: Literal["numeric", "titre", "qualitative"]
    canonical_unit: str | None = None  # UCUM; None for titre/qualitative tests
    loinc: tuple[str, ...] = ()
    loinc_note: str | None = None
    molar_mass_g_per_mol: float | None = None  # converts mass and substance concentrations
    results: tuple[str, ...] = ("positive", "negative", "low", "high", "normal")


class LabThreshold(Row):
    """A fixed threshold used by an instrument or a safety rule, e.g. leukopenia < 3.0 10*9/L."""

    id: str
    test: str
    comparator: Literal["<", "<=", ">", ">="]
    value: float
    unit: str
    condition: str  # leukopenia, thrombocytopenia, lymphopenia, neutropenia, ...
    used_by: str  # the instrument or rule that defines it
    label: str


class EgfrCoefficients(Row):
    """CKD-EPI 2021 creatinine equation coefficients for one sex."""

    id: str
    sex: Literal["female", "male"]
    constant: float
    kappa_mg_dl: float
    alpha: float
    upper_exponent: float
    age_base: float
    sex_factor: float
