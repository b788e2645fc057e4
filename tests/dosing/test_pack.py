"""The `ivig` knowledge pack: sourced rows, vocabularies and consistent tables."""

from __future__ import annotations

from clepath.dosing import catalogue
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.ivig import InfusionRate, RiskFactor


class TestIvigPack:
    def test_products_policies_and_presets_resolve_by_synonym(self, kb: KnowledgeBase) -> None:
        """Everyday names reach the canonical ids of the three vocabularies."""
        assert ("octagam_10", "US_120", "cle_ky_2015") == (
            kb.vocabulary("ivig_product").resolve("Octagam"),
            kb.vocabulary("ivig_policy").resolve("us 120"),
            kb.vocabulary("ivig_regimen").resolve("NCT01841619"),
        )

    def test_every_rate_table_names_a_product(self, kb: KnowledgeBase) -> None:
        """Each rate row belongs to a product of the pack."""
        ids = {p.id for p in catalogue.products(kb)}

        assert set() == {r.product for r in kb.table("ivig", "rates", InfusionRate)} - ids

    def test_every_product_is_sucrose_free_or_says_it_does_not_know(
        self, kb: KnowledgeBase
    ) -> None:
        """No product in the pack declares sucrose (ivig.md §3)."""
        assert [] == [p.id for p in catalogue.products(kb) if "sucrose" in p.excipients]

    def test_sorbitol_and_proline_products(self, kb: KnowledgeBase) -> None:
        """Sorbitol: the Flebogammas and Gammaplex 5 %; proline: Privigen."""
        by = {e: {p.id for p in catalogue.products(kb) if e in p.excipients}
              for e in ("sorbitol", "proline")}

        assert ({"flebogamma_5_dif", "flebogamma_10_dif", "gammaplex_5"}, {"privigen"}) == (
            by["sorbitol"], by["proline"]
        )

    def test_unconfirmed_defaults_are_tagged(self, kb: KnowledgeBase) -> None:
        """The spec's [U] choices are configurable defaults flagged as unconfirmed."""
        for name in ("rounding_mode", "default_step_minutes",
                     "minimum_practicable_cap_mg_kg_min", "response_reduction"):
            assert catalogue.unconfirmed(kb, name), name

    def test_adjustment_factor_range(self, kb: KnowledgeBase) -> None:
        """The factor is 0.4 by default with 0.3-0.5 allowed."""
        row = kb.parameter("ivig.adjustment_factor")

        assert (0.4, 0.3, 0.5) == (row.value, row.minimum, row.maximum)

    def test_risk_factor_categories(self, kb: KnowledgeBase) -> None:
        """Estrogen use is a thrombosis factor; diabetes a renal one."""
        rows = {r.condition: r.categories for r in kb.table("ivig", "risk_factors", RiskFactor)}

        assert (("thrombosis",), ("renal",)) == (rows["estrogen_use"], rows["diabetes"])
