"""Row models shared by several packs."""

from __future__ import annotations

from clepath.knowledge.base import Parameter, Row

__all__ = ["Parameter", "Term"]


class Term(Row):
    """A vocabulary entry: a canonical id, its label and synonyms."""

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    description: str | None = None
