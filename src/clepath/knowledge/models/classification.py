"""Row models of the `classification` pack: CLE subtypes and the codes that name them.

Subtypes follow Gilliam & Sontheimer as listed by Klein, Morganroth & Werth 2010 (Box 1), each
with its Duesseldorf class (Kuhn & Landmann 2014), ICD-10 and SNOMED CT codes. A code's tag
belongs to the mapping (the same ICD-10 code can be a confirmed inclusion term for one subtype
and only a coding convention for another), so it sits on the code reference, not on a code table.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from clepath.knowledge.base import EvidenceTag, Row

__all__ = ["CleSubtype", "CodeRef", "CodedConcept", "NonspecificLesion"]

_ICD10 = re.compile(r"^[A-Z]\d{2}(\.[0-9A-Z-]{1,4})?$")
_SNOMED = re.compile(r"^\d{6,18}$")


class CodeRef(BaseModel):
    """One code as used for one concept: code, display, evidence tag and a note."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    code: str
    display: str
    tag: EvidenceTag | None = None
    note: str | None = None


def _check_codes(icd10: tuple[CodeRef, ...], snomed: tuple[CodeRef, ...]) -> None:
    for ref in icd10:
        if not _ICD10.match(ref.code):
            raise ValueError(f"{ref.code!r} is not an ICD-10 code")
    for ref in snomed:
        if not _SNOMED.match(ref.code):
            raise ValueError(f"{ref.code!r} is not a SNOMED CT concept id")


class CleSubtype(Row):
    """An LE-specific CLE subtype (program enum id), its classes and its codes."""

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    lesion_class: Literal["le_specific", "unspecified"]
    gilliam_group: Literal["ACLE", "SCLE", "CCLE", "unspecified"]
    dusseldorf_class: Literal["ACLE", "SCLE", "CCLE", "ICLE"] | None = None
    icd10: tuple[CodeRef, ...] = ()
    snomed_ct: tuple[CodeRef, ...] = ()
    avoid_snomed_ct: tuple[CodeRef, ...] = ()  # known mix-ups: never use these for this subtype
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _codes(self) -> Self:
        _check_codes(self.icd10, (*self.snomed_ct, *self.avoid_snomed_ct))
        used = {ref.code for ref in self.snomed_ct}
        clash = used & {ref.code for ref in self.avoid_snomed_ct}
        if clash:
            raise ValueError(f"codes both used and to be avoided: {sorted(clash)}")
        return self


class CodedConcept(Row):
    """A lupus concept other than a CLE subtype, with its codes (SLE, LE vasculitis, ...)."""

    id: str
    label: str
    icd10: tuple[CodeRef, ...] = ()
    snomed_ct: tuple[CodeRef, ...] = ()
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _codes(self) -> Self:
        _check_codes(self.icd10, self.snomed_ct)
        return self


class NonspecificLesion(Row):
    """An LE-nonspecific skin lesion: seen in lupus, but not enough to diagnose CLE."""

    id: str
    label: str
    note: str | None = None
