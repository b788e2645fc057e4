"""Mentions of a knowledge vocabulary's terms in text (drugs, lab tests, CLE subtypes, sites).

Kept apart from the report reader (`extract`) so that the similar-cases ranking, shown with
every assessment, reads prior therapies without loading the whole reader.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from clepath.knowledge.base import KnowledgeBase

__all__: list[str] = []

# Short lab names that are also words or abbreviations of something else: counted only when
# written in capitals.
_SHORT_LAB_STOP = {
    "ro",
    "la",
    "sm",
    "ld",
    "cr",
    "hb",
    "pcr",
    "ssa",
    "ssb",
    "rnp",
    "ck",
    "dat",
    "lac",
    "alt",
    "ana",
    "plt",
    "alc",
    "anc",
    "tlc",
    "gfr",
}


@dataclass(frozen=True)
class _Mention:
    kind: str  # drug | lab | subtype | site
    value: str
    start: int
    end: int
    rule: str
    result: str | None = None  # for finding words: the lab direction


def _term_pattern(term: str) -> str:
    return r"[\s\-_]+".join(re.escape(part) for part in term.split(" "))


@functools.cache
def _matcher(kb_id: int, vocabulary: str, terms: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    ordered = sorted((t for t, _ in terms), key=len, reverse=True)
    return re.compile(
        r"(?<![\w-])(?:" + "|".join(_term_pattern(t) for t in ordered) + r")(?![\w])",
        re.IGNORECASE,
    )


def _vocab_mentions(
    kb: KnowledgeBase, vocabulary: str, text: str, start: int, end: int, kind: str
) -> list[_Mention]:
    vocab = kb.vocabulary(vocabulary)
    terms = tuple(sorted(vocab.terms.items()))
    pattern = _matcher(id(kb), vocabulary, terms)
    out: list[_Mention] = []
    for m in pattern.finditer(text, start, end):
        literal = m.group(0)
        canonical = vocab.resolve(literal)
        if canonical is None:
            continue
        if len(literal) <= 4 and literal.islower() and kind in ("drug", "lab", "subtype"):
            continue  # short abbreviations count only as written (HCQ, MMF, ChLE), not as words
        if kind == "lab" and literal.lower() in _SHORT_LAB_STOP and not literal.isupper():
            continue
        if kind == "lab" and literal.lower() in ("ro", "la", "sm", "rnp", "ssa", "ssb"):
            continue  # handled by the anti- pattern
        out.append(_Mention(kind, canonical, m.start(), m.end(), f"{vocabulary} vocabulary"))
    return out
