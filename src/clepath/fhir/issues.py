"""What a mapping could not carry: unmapped codes, derived values, local-only codes.

Nothing is dropped silently. Every FHIR element that import could not turn into case data, and
every case fact that export could only write with a clepath-local code, is listed here with the
resource it came from, the code and system, and the reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Kind", "MappingIssue", "MappingReport", "Outcome", "ResourceOutcome"]

Kind = Literal[
    "unmapped",  # a code or resource clepath cannot read: left out, with the reason
    "ambiguous",  # a code that names several clepath concepts: the least specific was kept
    "derived",  # a score or plan clepath recomputes from the facts instead of reading it
    "skipped",  # present but not usable (entered in error, not active, no date, ...)
    "inferred",  # read, but by name or from a status rather than from a code
    "local_only",  # export: no verified standard code, so only the clepath-local code is sent
    "dropped",  # import: an item the case validation refused, left out (lenient mode)
]


@dataclass(frozen=True, slots=True)
class MappingIssue:
    """One element that did not map one-to-one, and why."""

    kind: Kind
    where: str  # e.g. "Observation/abc.code", "labs[3]"
    reason: str
    system: str | None = None
    code: str | None = None
    display: str | None = None

    def __str__(self) -> str:
        coded = ""
        if self.code:
            coded = f" [{self.system or '?'}|{self.code}"
            coded += f" {self.display!r}]" if self.display else "]"
        return f"{self.kind}: {self.where}{coded}: {self.reason}"


Outcome = Literal[
    "imported",  # read into the case as given
    "inferred",  # read, with an inference stated in the issues (by name, a status, a form)
    "derived",  # a score or plan clepath recomputes
    "skipped",  # not read, with the reason
    "unmapped",  # no clepath concept for it
]


@dataclass(frozen=True, slots=True)
class ResourceOutcome:
    """What became of one input resource (import): every resource gets exactly one."""

    where: str  # "Observation/abc"
    outcome: Outcome
    reason: str = ""


@dataclass
class MappingReport:
    """Every issue found while mapping one case or one Bundle."""

    issues: list[MappingIssue] = field(default_factory=list)
    resources: list[ResourceOutcome] = field(default_factory=list)

    def account(self, where: str, outcome: Outcome, reason: str = "") -> None:
        """Record what became of one input resource."""
        self.resources.append(ResourceOutcome(where, outcome, reason))

    def reaccount(self, where: str, outcome: Outcome, reason: str) -> None:
        """Change the outcome of a resource already accounted for (an item later dropped)."""
        self.resources = [ResourceOutcome(where, outcome, reason) if r.where == where else r
                          for r in self.resources]

    def header(self) -> dict[str, Any]:
        """Counts of the input resources by outcome, and of the skipped and unmapped ones by
        reason (the report's header)."""
        by_outcome: dict[str, int] = {}
        by_reason: dict[str, int] = {}
        for r in self.resources:
            by_outcome[r.outcome] = by_outcome.get(r.outcome, 0) + 1
            if r.outcome in ("skipped", "unmapped"):
                by_reason[r.reason] = by_reason.get(r.reason, 0) + 1
        return {"resources": len(self.resources), "by_outcome": dict(sorted(by_outcome.items())),
                "not_read_by_reason": dict(sorted(by_reason.items(), key=lambda x: -x[1]))}

    def add(
        self,
        kind: Kind,
        where: str,
        reason: str,
        *,
        system: str | None = None,
        code: str | None = None,
        display: str | None = None,
    ) -> None:
        """Record one issue."""
        self.issues.append(MappingIssue(kind, where, reason, system, code, display))

    def of_kind(self, *kinds: Kind) -> list[MappingIssue]:
        """The issues of the given kinds, in the order found."""
        return [i for i in self.issues if i.kind in kinds]

    @property
    def unmapped(self) -> list[MappingIssue]:
        """Codes and resources that could not be read (the ones a user must look at)."""
        return self.of_kind("unmapped", "ambiguous", "dropped")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: counts by kind and every issue."""
        counts: dict[str, int] = {}
        for issue in self.issues:
            counts[issue.kind] = counts.get(issue.kind, 0) + 1
        out: dict[str, Any] = {}
        if self.resources:
            out["header"] = self.header()
            out["resources"] = [asdict(r) for r in self.resources]
        return {
            **out,
            "counts": dict(sorted(counts.items())),
            "issues": [{k: v for k, v in asdict(i).items() if v is not None} for i in self.issues],
        }
