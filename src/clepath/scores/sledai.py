"""SLEDAI-2K, the SLE disease activity index 2000 (Gladman, Ibanez, Urowitz, J Rheumatol 2002).

Twenty-four weighted descriptors (total 0-105), each scored when present on the assessment date
or in the preceding 10 days (SLEDAI-2K-30: 30 days, Touma 2010) and attributable to lupus: a
finding or result recorded with `attributed_to` does not score. Thresholds are strict (WBC of
exactly 3.0 x 10^9/L, platelets of exactly 100 x 10^9/L and proteinuria of exactly 0.5 g/24 h
score nothing). Weights, definitions, thresholds, the window options and the activity bands live
in the `sledai_2k` pack; the band scheme in force is a parameter with an unconfirmed default.

Besides findings and lab results, a CLASI examination inside the window can score rash
(erythema), alopecia (non-scarring alopecia, recent hair loss) and mucosal ulcers (mucous
membrane lesions); each of these mappings is a switch in the pack with its reason. Every scored
descriptor names the observations behind it (`sources`), and an observation read only by a
switched-off option (a spot UPCR) is reported as recorded but not used, never as not recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clepath.domain.case import Case
from clepath.errors import AssessmentError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.sledai_2k import SledaiBand, SledaiDescriptorRow
from clepath.scores._criteria import CriterionCheck, Provenance, check_routes, cle_matches

__all__ = [
    "CriterionCheck",
    "Provenance",
    "SledaiDescriptor",
    "SledaiResult",
    "check_routes",
    "cle_matches",
    "score",
]

PACK = "sledai_2k"


@dataclass(frozen=True)
class SledaiDescriptor:
    """A descriptor that scored: its weight and the observation(s) that satisfied it."""

    id: str
    label: str
    weight: int
    evidence: str  # e.g. "wbc 1.3 10*9/L on 2019-05-28"
    date: dt.date
    sources: tuple[Provenance, ...] = ()  # which finding / lab / CLASI examination, and its date


@dataclass(frozen=True)
class SledaiResult:
    """A SLEDAI-2K score with its window, band and what was left out and why."""

    score: int
    window_days: int
    window_start: dt.date
    descriptors: tuple[SledaiDescriptor, ...]
    band: str | None
    band_scheme: str
    band_unconfirmed: bool
    excluded: tuple[str, ...]  # e.g. "leukopenia: attributed to azathioprine (...)"
    not_recorded: tuple[str, ...]  # descriptor ids with no data at all in the window
    # e.g. "proteinuria: upcr 0.9 mg/mg on ...: recorded, not used (spot UPCR is not ...)"
    recorded_not_used: tuple[str, ...] = ()


def score(case: Case, kb: KnowledgeBase, window_days: int = 10) -> SledaiResult:
    """Score SLEDAI-2K on `case.as_of` over the preceding `window_days` (10, or 30).

    Raises:
        AssessmentError: when `window_days` is not an allowed window of the pack.
    """
    _check_window(kb, window_days)
    start = case.as_of - dt.timedelta(days=window_days)
    scored: list[SledaiDescriptor] = []
    excluded: list[str] = []
    not_recorded: list[str] = []
    unused: list[str] = []
    rows = kb.derived(
        "sledai.descriptors_in_order",
        lambda k: tuple(sorted(k.table(PACK, "descriptors", SledaiDescriptorRow),
                               key=lambda r: r.number)),
    )
    for row in rows:
        check = check_routes(case, kb, PACK, row.routes, start=start, end=case.as_of)
        if check.met:
            assert check.evidence is not None and check.date is not None
            scored.append(
                SledaiDescriptor(
                    row.id, row.label, row.weight, check.evidence, check.date, check.provenance
                )
            )
            continue
        excluded.extend(f"{row.id}: {reason}" for reason in (*check.attributed, *check.unjudged))
        unused.extend(f"{row.id}: {text}" for text in check.unused)
        if not check.recorded and not check.unused:
            not_recorded.append(row.id)
    total = sum(d.weight for d in scored)
    scheme, band, unconfirmed = _band(kb, total)
    return SledaiResult(
        score=total,
        window_days=window_days,
        window_start=start,
        descriptors=tuple(scored),
        band=band,
        band_scheme=scheme,
        band_unconfirmed=unconfirmed,
        excluded=tuple(excluded),
        not_recorded=tuple(not_recorded),
        recorded_not_used=tuple(unused),
    )


def _check_window(kb: KnowledgeBase, window_days: int) -> None:
    allowed = kb.parameter(f"{PACK}.window_days").allowed
    if allowed is not None and window_days not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise AssessmentError(f"SLEDAI-2K window of {window_days} days: allowed are {shown}")


def _band(kb: KnowledgeBase, total: int) -> tuple[str, str | None, bool]:
    key = f"{PACK}.band_scheme"
    scheme = str(kb.value(key))
    rows = [b for b in kb.table(PACK, "bands", SledaiBand) if b.scheme == scheme]
    band = next(
        (b.label for b in rows if b.minimum <= total and (b.maximum is None or total <= b.maximum)),
        None,
    )
    unconfirmed = kb.is_default_unconfirmed(key) or any(b.unconfirmed for b in rows)
    return scheme, band, unconfirmed
