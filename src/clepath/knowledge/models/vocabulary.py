"""Row models of the `vocabulary` pack: the case file's small closed vocabularies."""

from __future__ import annotations

from clepath.knowledge.models.common import Term

__all__ = ["Frequency", "Term"]


class Frequency(Term):
    """A dosing frequency and how many administrations it means per week."""

    doses_per_week: float
