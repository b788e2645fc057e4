"""Vocabulary look-ups: an already-normalised term is found directly, with the same answer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clepath.knowledge.base import KnowledgeBase, normalise_term

_VOCABULARIES = ("drug", "lab_test", "frequency", "clasi_region", "outcome")


@given(st.one_of(st.text(max_size=30), st.sampled_from(
    ["hydroxychloroquine", "Hydroxychloroquine", "HCQ", "v_neck", "V-Neck", "v neck",
     "daily", "once  daily", "anti_dsdna", "Anti-dsDNA", "ongoing", "ß", "ss"])))
def test_resolve_equals_the_normalised_lookup(kb: KnowledgeBase, term: str) -> None:
    """Every text resolves as its normalised form does (`Anti-dsDNA` and `anti_dsdna` are both
    the lab test anti_dsdna; unknown text is None)."""
    for name in _VOCABULARIES:
        vocab = kb.vocabulary(name)
        assert vocab.resolve(term) == vocab.terms.get(normalise_term(term))
    assert kb.vocabulary("lab_test").resolve("Anti-dsDNA") == "anti_dsdna"
