"""Assertion status of a mention, ConText-style, with clause-level scope.

A cue is a phrase with a status and a direction: a forward cue ("failed to respond to") governs
the mentions after it in its clause, a backward cue ("... failed", "without any response") the
mentions before it in its clause. The clause, not the sentence, bounds every scope: in
"receiving deflazacort 18mg ... without any response and had developed leukopenia (...), low C4,
positive anti-dsDNA" the failure cue governs deflazacort and stops at "and had".

Statuses: failed, partial, responded, ongoing, history, started, stopped, intolerant, negated,
cause (the drug is named as a cause of the disease or a flare, not its treatment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Cue", "find_cues", "statuses_for"]

_FORWARD: dict[str, tuple[str, ...]] = {
    "failed": (
        r"failed to respond to",
        r"failure of",
        r"refractory to",
        r"resistant to",
        r"unresponsive to",
        r"(?:(?:had|has|have|did|does|do|was|were) )?not respond(?:ed)? to",
        r"no response to",
        r"despite",
        r"inadequate response to",
        r"(?:had|has|have) (?:previously |already )?failed",
        r"failed (?:treatment|therapy|trials?|courses?) (?:with|of)",
        r"non-?responsive to",
        r"lack of response to",
    ),
    "partial": (r"partial response to", r"partially responded to"),
    "responded": (
        r"(?<!not )responded(?: well)? to",
        r"(?:improved|improvement|remission|resolution|cleared) "
        r"(?:with|on|after|following)",
        r"good response to",
    ),
    "ongoing": (
        r"(?:was|is|were|are) receiving",
        r"receiving",
        r"currently (?:on|taking|receiving)",
        r"current (?:treatment|therapy|medications?) (?:includes?|included|consists? of|was|is)",
        r"maintained on",
        r"continued(?: on)?",
        r"(?:was|is) (?:still )?on",
        r"baseline regimen",
    ),
    "history": (
        r"previous (?:treatments?|therapies|therapy) (?:included|includes?|with|were|was)",
        r"previously (?:treated|received|given|on)",
        r"prior (?:treatment|therapy) with",
        r"had (?:previously )?received",
        r"history of (?:treatment with)?",
    ),
    "started": (
        r"started(?: on)?",
        r"initiat\w*(?: on)?",
        r"introduc\w*",
        r"commenced(?: on)?",
        r"treated with",
        r"reintroduc\w*",
        r"administered",
        r"decision was made to \w+",
        r"switched to",
        r"added",
        r"(?<!had )(?<!previously )received",
    ),
    "stopped": (r"discontinu\w*", r"stopped", r"withdr[ae]w\w*", r"tapered off"),
    "intolerant": (
        r"intoleran\w* (?:to|of)",
        r"allergic to",
        r"allergy to",
        r"hypersensitivity to",
    ),
    "negated": (
        r"\bno\b",
        r"\bnot\b",
        r"\bwithout\b",
        r"\bnever\b",
        r"\bdenied\b",
        r"negative for",
        r"free of",
        r"absence of",
        r"ruled out",
    ),
    "cause": (
        r"induced by",
        r"triggered by",
        r"caused by",
        r"secondary to",
        r"attributed to",
        r"after (?:starting|initiation of|exposure to)",
    ),
}

_BACKWARD: dict[str, tuple[str, ...]] = {
    "failed": (
        r"\bfailed\b",
        r"(?:was|were) (?:all )?ineffective",
        r"without (?:any )?(?:response|"
        r"improvement|benefit|effect)",
        r"with no (?:response|improvement|benefit|effect)",
        r"(?:was|were) unsuccessful",
        r"did not (?:help|work|improve)",
        r"no response",
        r"had no effect",
    ),
    "partial": (r"partially improved", r"partial(?:ly)? (?:response|effective|improvement)"),
    "responded": (
        r"(?<!partially )improved",
        r"led to (?:\w+ )?(?:improvement|resolution|remission)",
        r"with (?:complete )?resolution",
        r"resolved",
        r"(?:was|were) effective",
        r"with (?:a )?(?:good|marked|significant|complete) (?:response|improvement)",
    ),
    "started": (
        r"(?:was|were) (?:then )?(?:started|introduced|initiated|administered|given|added|"
        r"commenced)",
        r"\binitiation\b",
        r"(?:was|were) resumed",
    ),
    "stopped": (r"(?:was|were) (?:temporarily |then )?(?:discontinued|stopped|withdrawn)",),
    "intolerant": (
        r"(?:discontinued|stopped|withdrawn)(?: \w+){0,3} (?:due to|because of|owing to)",
        r"(?:was|were) not tolerated",
        r"poorly tolerated",
    ),
    "negated": (r"(?:was|were) negative", r"\bnegative\b", r"(?:was|were) not (?:given|used)"),
    "cause": (
        r"-induced\b",
        r"-related\b",
        r"-associated\b",
        r"-triggered\b",
        r"induced\b",
        r"(?:was|were) (?:the )?(?:cause|trigger|culprit)",
    ),
    "history": (r"\bpreviously\b", r"in the past"),
}


@dataclass(frozen=True)
class Cue:
    """A cue found in a clause: normalised span, status, direction and the phrase."""

    start: int
    end: int
    status: str
    forward: bool
    text: str


def _compile(table: dict[str, tuple[str, ...]]) -> list[tuple[str, re.Pattern[str]]]:
    # a cue starting with a hyphen ("-induced") attaches to the word before it
    return [
        (status, re.compile(p if p.startswith("-") else rf"(?<![\w-])(?:{p})", re.IGNORECASE))
        for status, patterns in table.items()
        for p in patterns
    ]


_FORWARD_RE = _compile(_FORWARD)
_BACKWARD_RE = _compile(_BACKWARD)
_NEGATED_RESPONSE = re.compile(
    r"(?:without|no)\s+(?:any\s+)?(?:response|improvement|benefit)", re.IGNORECASE
)


def find_cues(text: str, start: int, end: int) -> list[Cue]:
    """Every cue in text[start:end] (a clause), with normalised offsets."""
    body = text[start:end]
    cues: list[Cue] = []
    for table, forward in ((_FORWARD_RE, True), (_BACKWARD_RE, False)):
        for status, pattern in table:
            for m in pattern.finditer(body):
                if status == "negated" and forward:
                    # "without any response" is a failure cue, not a negation of what follows
                    if _NEGATED_RESPONSE.match(body, m.start()):
                        continue
                cues.append(Cue(start + m.start(), start + m.end(), status, forward, m.group(0)))
    return cues


def statuses_for(cues: list[Cue], start: int, end: int) -> list[Cue]:
    """The cues that govern a mention at [start, end): per status, the nearest one in scope."""
    best: dict[str, Cue] = {}
    for cue in cues:
        if cue.forward and cue.end <= start:
            distance = start - cue.end
        elif not cue.forward and cue.start >= end:
            distance = cue.start - end
        else:
            continue
        held = best.get(cue.status)
        if held is None or distance < _distance(held, start, end):
            best[cue.status] = cue
    return sorted(best.values(), key=lambda c: c.start)


def _distance(cue: Cue, start: int, end: int) -> int:
    return start - cue.end if cue.forward else cue.start - end
