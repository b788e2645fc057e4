"""Errors raised by clepath. Imports nothing.

The tree:

* ClepathError
  + CaseError            a case file or request is not valid (names field, value, accepted form)
  + KnowledgeError       a knowledge pack is malformed, unsourced or not versioned correctly
  + AssessmentError      the core cannot compute something it was asked to
  + DosingError          an IVIG plan cannot be made from the given data

The CLI turns each into an exit code and a message; nothing else catches them broadly.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AssessmentError",
    "CaseError",
    "ClepathError",
    "DosingError",
    "FieldProblem",
    "KnowledgeError",
]


class ClepathError(Exception):
    """Root of every error clepath raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One problem in one field: where, what was given, what is accepted."""

    field: str
    value: object
    message: str
    accepted: str = ""
    suggestions: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.field}: {self.message} (got {self.value!r})"
        if self.accepted:
            text += f"; accepted: {self.accepted}"
        if self.suggestions:
            text += f"; did you mean: {', '.join(self.suggestions)}?"
        return text


class CaseError(ClepathError):
    """A case file or request failed validation; carries every problem found."""

    def __init__(self, problems: list[FieldProblem] | FieldProblem) -> None:
        self.problems: list[FieldProblem] = (
            [problems] if isinstance(problems, FieldProblem) else list(problems)
        )
        super().__init__("\n".join(str(p) for p in self.problems))


class KnowledgeError(ClepathError):
    """A knowledge pack is malformed, has an unsourced row, or changed without a version bump."""


class AssessmentError(ClepathError):
    """The clinical core cannot compute what it was asked for."""


class DosingError(ClepathError):
    """An IVIG plan cannot be made from the data given."""
