"""Typed look-ups into the `ivig` knowledge pack: products, rates, policies, presets and rules.

Names given by a user (a product, a policy, a preset) are resolved through the pack's
vocabularies; an unknown name is a CaseError that lists the nearest known names.
"""

from __future__ import annotations

from typing import Any

from clepath.errors import CaseError, FieldProblem, KnowledgeError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import (
    ChecklistItem,
    CleSignal,
    DosingWeightPolicy,
    InfusionRate,
    IvigProduct,
    NephrotoxicDrug,
    RegimenPreset,
    ReviewRule,
    RiskFactor,
    SafetyRule,
)

__all__ = [
    "PACK",
    "checklist_items",
    "cle_signals",
    "default_rate",
    "nephrotoxic_drugs",
    "param",
    "param_key",
    "policy",
    "preset",
    "product",
    "products",
    "review_rule",
    "risk_factors",
    "safety_rule",
    "unconfirmed",
]

PACK = "ivig"


def param_key(name: str) -> str:
    """The full key of an `ivig` parameter (`ivig.<name>`)."""
    return f"{PACK}.{name}"


def param(kb: KnowledgeBase, name: str) -> Any:
    """The value in force of an `ivig` parameter."""
    return kb.value(param_key(name))


def unconfirmed(kb: KnowledgeBase, name: str) -> bool:
    """True when an `ivig` parameter in force is an unconfirmed ([U]) default."""
    return kb.is_default_unconfirmed(param_key(name))


def _resolve(kb: KnowledgeBase, vocabulary: str, name: str, field: str, what: str) -> str:
    vocab = kb.vocabulary(vocabulary)
    canonical = vocab.resolve(name)
    if canonical is None:
        raise CaseError(
            FieldProblem(
                field,
                name,
                f"is not a known {what}",
                ", ".join(vocab.known()),
                vocab.suggest(name),
            )
        )
    return canonical


def products(kb: KnowledgeBase) -> tuple[IvigProduct, ...]:
    """Every product of the pack."""
    return kb.table(PACK, "products", IvigProduct)


def product(kb: KnowledgeBase, name: str, field: str = "product") -> IvigProduct:
    """A product by any of its names."""
    canonical = _resolve(kb, "ivig_product", name, field, "IVIG product")
    return next(p for p in products(kb) if p.id == canonical)


def policy(kb: KnowledgeBase, name: str, field: str = "policy") -> DosingWeightPolicy:
    """A dosing-weight policy by any of its names."""
    canonical = _resolve(kb, "ivig_policy", name, field, "dosing-weight policy")
    rows = kb.table(PACK, "policies", DosingWeightPolicy)
    return next(p for p in rows if p.id == canonical)


def preset(kb: KnowledgeBase, name: str, field: str = "preset") -> RegimenPreset:
    """A regimen preset by any of its names."""
    canonical = _resolve(kb, "ivig_regimen", name, field, "regimen preset")
    rows = kb.table(PACK, "regimens", RegimenPreset)
    return next(p for p in rows if p.id == canonical)


def default_rate(kb: KnowledgeBase, product_id: str) -> InfusionRate:
    """The rate table the planner uses for a product (the row marked `default`)."""
    rows = [
        r for r in kb.table(PACK, "rates", InfusionRate) if r.product == product_id and r.default
    ]
    if len(rows) != 1:
        raise KnowledgeError(
            f"pack {PACK}: product {product_id!r} needs exactly one default rate row"
        )
    return rows[0]


def safety_rule(kb: KnowledgeBase, rule_id: str) -> SafetyRule:
    """A safety-gate rule by id."""
    for row in kb.table(PACK, "safety_rules", SafetyRule):
        if row.id == rule_id:
            return row
    raise KnowledgeError(f"pack {PACK}: no safety rule {rule_id!r}")


def review_rule(kb: KnowledgeBase, rule_id: str) -> ReviewRule:
    """A review rule by id."""
    for row in kb.table(PACK, "review", ReviewRule):
        if row.id == rule_id:
            return row
    raise KnowledgeError(f"pack {PACK}: no review rule {rule_id!r}")


def risk_factors(kb: KnowledgeBase) -> tuple[RiskFactor, ...]:
    """Conditions that join the boxed-warning risk groups."""
    return kb.table(PACK, "risk_factors", RiskFactor)


def nephrotoxic_drugs(kb: KnowledgeBase) -> tuple[NephrotoxicDrug, ...]:
    """Drugs counted as known nephrotoxic drugs."""
    return kb.table(PACK, "nephrotoxic_drugs", NephrotoxicDrug)


def checklist_items(kb: KnowledgeBase) -> tuple[ChecklistItem, ...]:
    """The pre-infusion checklist."""
    return kb.table(PACK, "checklist", ChecklistItem)


def cle_signals(kb: KnowledgeBase) -> tuple[CleSignal, ...]:
    """CLE-specific safety signals from the literature."""
    return kb.table(PACK, "cle_signals", CleSignal)
