"""Classification of CLE lesions: Gilliam group, Duesseldorf class and codes of each subtype.

Owns the lookup of a case's CLE subtypes in the classification of Gilliam & Sontheimer
(J Am Acad Dermatol 1981;4:471, as listed by Klein, Morganroth & Werth, Rheum Dis Clin North Am
2010;36:33-51, Box 1) and the Duesseldorf classification (Kuhn & Landmann, J Autoimmun
2014;48-49:14-9), with the ICD-10 codes and SNOMED CT concepts the `classification` pack maps
to each. A code tagged [U] in the pack is a coding convention and comes back `unconfirmed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from clepath.domain.case import Case
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.classification import CleSubtype, CodeRef

__all__ = ["Code", "ICD10", "PACK", "SNOMED_CT", "SubtypeInfo", "classify", "subtype"]

PACK = "classification"
ICD10 = "ICD-10"
SNOMED_CT = "SNOMED CT"


@dataclass(frozen=True)
class Code:
    """One code of one coding system, as mapped to a subtype."""

    system: str  # "ICD-10" | "SNOMED CT"
    code: str
    display: str
    unconfirmed: bool  # a coding convention ([U]): label it, never present it as fact
    tag: str | None = None  # the evidence tag of the mapping
    note: str | None = None


@dataclass(frozen=True)
class SubtypeInfo:
    """A CLE subtype with its classes, codes and notes."""

    id: str
    label: str
    gilliam_group: str  # ACLE | SCLE | CCLE | unspecified
    dusseldorf_class: str | None  # ACLE | SCLE | CCLE | ICLE; None when not placed
    icd10: tuple[Code, ...]
    snomed_ct: tuple[Code, ...]
    notes: tuple[str, ...]
    sources: tuple[str, ...] = ()  # source ids of the pack (kb.cite(PACK, sources))
    pack: str = ""  # "classification@<version>"


def _codes(system: str, refs: tuple[CodeRef, ...]) -> tuple[Code, ...]:
    return tuple(
        Code(
            system=system,
            code=ref.code,
            display=ref.display,
            unconfirmed=ref.tag == "U",
            tag=ref.tag,
            note=ref.note,
        )
        for ref in refs
    )


def _info(row: CleSubtype, pack_ref: str) -> SubtypeInfo:
    return SubtypeInfo(
        id=row.id,
        label=row.label,
        gilliam_group=row.gilliam_group,
        dusseldorf_class=row.dusseldorf_class,
        icd10=_codes(ICD10, row.icd10),
        snomed_ct=_codes(SNOMED_CT, row.snomed_ct),
        notes=row.notes,
        sources=row.source,
        pack=pack_ref,
    )


def _lookup(kb: KnowledgeBase, subtype_id: str, field: str) -> SubtypeInfo:
    vocabulary = kb.vocabulary("cle_subtype")
    canonical = vocabulary.resolve(subtype_id)
    rows = {row.id: row for row in kb.table(PACK, "subtypes", CleSubtype)}
    if canonical is None or canonical not in rows:
        raise CaseError(
            FieldProblem(
                field=field,
                value=subtype_id,
                message="unknown CLE subtype",
                accepted=", ".join(rows),
                suggestions=vocabulary.suggest(subtype_id),
            )
        )
    return _info(rows[canonical], kb.pack(PACK).ref)


def subtype(kb: KnowledgeBase, subtype_id: str) -> SubtypeInfo:
    """The classes and codes of one subtype (canonical id or a known synonym).

    Raises:
        CaseError: the subtype is not in the classification pack.
    """
    return _lookup(kb, subtype_id, "cle.subtype")


def classify(case: Case, kb: KnowledgeBase) -> tuple[SubtypeInfo, ...]:
    """One SubtypeInfo per entry of `case.cle`, in the case's order."""
    return tuple(
        _lookup(kb, entry.subtype, f"cle[{index}].subtype") for index, entry in enumerate(case.cle)
    )
