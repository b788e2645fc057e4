"""Row models of the `evidence` pack: reviews, the IVIG-in-CLE reports and emerging agents.

`Review` holds a systematic review and what is (and is not) known of its conclusion.
`IvigReport` is one published report of IVIG in cutaneous lupus (ivig-cle-literature.md §1),
with its regimen in words and, where stated, in numbers. `SafetySignal` is a counted safety
finding tied to one agent (flares, vasculitis, drug-induced CLE), shown as a caution wherever the
agent is proposed. `EmergingAgent` is one row of pathway.md §3.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clepath.knowledge.base import Row

__all__ = [
    "EmergingAgent",
    "IvigRegimen",
    "IvigReport",
    "Review",
    "SafetySignal",
]

# CR >75 % / near-clear; PR partial; R responded, degree not stated; NR none or limited;
# mixed: a series with several outcome classes; unk: unknown.
Response = Literal["CR", "PR", "R", "NR", "mixed", "unk"]


class Review(Row):
    """A systematic review or meta-analysis and the part of it that was read."""

    id: str
    title: str
    scope: str
    findings: tuple[str, ...]  # in our words; a second-hand summary says whose
    conclusion_read: bool  # False when the review's own conclusion was not retrieved
    ivig: str | None = None  # what it says about IVIG, if anything


class IvigRegimen(BaseModel):
    """A report's IVIG regimen in numbers, only where the report states them."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    induction_g_per_kg: float | None = None
    induction_days: int | None = None
    course_g_per_kg: float | None = None  # per cycle
    days_per_course: int | None = None
    interval_days: int | None = None
    cycles: str | None = None  # "3", ">=6", "until clear or 6 months"
    maintenance_g_per_kg: float | None = None


class IvigReport(Row):
    """One published report of IVIG in CLE (an evaluation-set entry)."""

    id: str
    citation: str
    year: int
    n: int | None = Field(default=None, ge=1)
    patients: str | None = None  # age and sex as reported
    subtype: str
    prior_therapy: str
    regimen_text: str
    regimen: IvigRegimen | None = None
    concomitant: str | None = None
    outcome: str
    response: Response
    follow_up: str | None = None
    adverse_events: str | None = None
    flare_signal: str | None = None  # a flare or induced-CLE signal, if any
    counted_patients: int | None = Field(default=None, ge=0)  # with a stated outcome
    verified: Literal["abstract", "first_page", "title_only", "secondary", "full"]


class SafetySignal(Row):
    """A counted safety finding for one agent, shown as a caution where the agent is proposed."""

    id: str
    agent: str  # drug id
    label: str
    severity: Literal["info", "warning", "critical"]
    numerator: int | None = Field(default=None, ge=0)
    denominator: int | None = Field(default=None, ge=1)
    population: str
    text: str  # in our words; may use {fraction}, {percent} and {numerator}


class EmergingAgent(Row):
    """One newer agent for refractory CLE: its best evidence and key result (pathway.md §3)."""

    id: str  # drug id, or a class id such as "jak inhibitors"
    agents: tuple[str, ...]  # drug ids covered
    label: str
    evidence_level: str
    key_result: str
    status: str  # licensed for SLE, investigational, ...
