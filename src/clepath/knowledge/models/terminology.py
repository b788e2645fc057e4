"""Row models of the `terminology` pack: RxNorm drugs, dose forms, diagnosis codes, LOINC.

The pack maps the standard codes found in EHR data to clepath concepts; it holds no clinical
judgement beyond which concept a code names (and, for an ambiguous code, which it might name).
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import model_validator

from clepath.knowledge.base import Row

__all__ = ["BodyLoinc", "ConditionCode", "DoseForm", "DrugName", "LoincCode", "RxNormConcept",
           "TopicalEquivalent"]

_RXCUI = re.compile(r"^\d{1,8}$")
_LOINC = re.compile(r"^\d{1,7}-\d$")
_ICD10 = re.compile(r"^[A-Z]\d{2}(\.[0-9A-Z-]{1,4})?$")
_SNOMED = re.compile(r"^\d{6,18}$")

Route = Literal["oral", "topical", "intravenous", "subcutaneous", "intramuscular"]


class RxNormConcept(Row):
    """One RxNorm concept (RxCUI) naming a drug of the drugs pack."""

    code: str
    tty: Literal["IN", "PIN", "SCDC", "SCD", "SBDC", "SBD", "SCDF", "SBDF", "BN"]
    name: str
    drug: str  # drugs-pack id
    strength: float | None = None  # per unit of the dose form, in strength_unit
    strength_unit: Literal["mg", "g", "mg/mL", "g/mL"] | None = None
    dose_form: str | None = None  # a dose_forms.yaml form
    route: Literal["systemic", "topical"] | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not _RXCUI.match(self.code):
            raise ValueError(f"{self.code!r} is not an RxCUI")
        if (self.strength is None) != (self.strength_unit is None):
            raise ValueError("strength and strength_unit go together")
        return self


class DrugName(Row):
    """A text name (normalised) that names a drug of the drugs pack."""

    name: str
    drug: str
    route: Route | None = None  # the name names this drug only by this route
    note: str | None = None


class DoseForm(Row):
    """An RxNorm dose form and the route it implies."""

    form: str
    route: Route
    note: str | None = None


class TopicalEquivalent(Row):
    """The drugs-pack drug a systemic drug becomes when given in a topical dose form."""

    drug: str
    topical: str


class ConditionCode(Row):
    """A SNOMED CT, ICD-10 or ICD-10-CM code and the one clepath concept it names."""

    system: Literal["snomed", "icd10", "icd10cm"]
    code: str
    display: str
    concept: str  # a CLE subtype id, or an ambiguity/SLE/lupus concept id
    kind: Literal["cle_subtype", "cle_ambiguous", "sle", "lupus_any"]
    candidates: tuple[str, ...] = ()  # cle_ambiguous: the subtypes the code may name
    inference: str | None = None  # what the code leaves open and what clepath records
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        pattern = _SNOMED if self.system == "snomed" else _ICD10
        if not pattern.match(self.code):
            raise ValueError(f"{self.code!r} is not a {self.system} code")
        if (self.kind == "cle_ambiguous") != bool(self.candidates):
            raise ValueError("candidates are given exactly for ambiguous codes")
        return self


class LoincCode(Row):
    """A LOINC code of a lab test and the property it implies."""

    code: str
    display: str
    test: str  # labs-pack test id
    property: Literal["MCnc", "SCnc", "NCnc", "ACnc", "CCnc", "Titr", "PrThr"] | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not _LOINC.match(self.code):
            raise ValueError(f"{self.code!r} is not a LOINC code")
        return self


class BodyLoinc(Row):
    """A LOINC code of a body weight or height observation and how the value was obtained:
    only a `measured` value is read as a measurement (stated and estimated ones are reported
    and left out)."""

    code: str
    display: str
    measure: Literal["weight", "height"]
    reading: Literal["measured", "stated", "estimated"]

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not _LOINC.match(self.code):
            raise ValueError(f"{self.code!r} is not a LOINC code")
        return self
