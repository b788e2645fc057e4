"""`summarise` (what the CDS summary card reads) equals the same fields of the whole `assess`."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from clepath.casefile import load_case
from clepath.engine.assess import assess, summarise
from clepath.knowledge.base import KnowledgeBase, Pack
from clepath.knowledge.models.alerts import AlertDefinition
from tests.conftest import SCLE_CASE, SEED_CASE


@pytest.mark.parametrize("path", [SCLE_CASE, SEED_CASE], ids=["example-2", "seed"])
@pytest.mark.parametrize("today", [None, dt.date(2019, 1, 1)], ids=["no-today", "past-today"])
def test_summary_equals_the_assessment(kb: KnowledgeBase, path: object, today: object) -> None:
    """CLASI, SLEDAI-2K, refractory status, options and the critical and warning alerts are
    the very values `assess` gives (Example 2: SLEDAI-2K 12; the seed: 7), with or without
    dates after today."""
    case = load_case(path, kb)  # type: ignore[arg-type]

    full = assess(case, kb, today=today)  # type: ignore[arg-type]
    summary = summarise(case, kb, today=today)  # type: ignore[arg-type]

    assert (summary.clasi, summary.sledai, summary.refractory, summary.options) == (
        full.clasi, full.sledai, full.refractory, full.options)
    assert summary.alerts == tuple(a for a in full.alerts if a.severity in ("critical", "warning"))
    assert summary.sledai.score == {SCLE_CASE: 12, SEED_CASE: 7}[path]  # type: ignore[index]


def test_summary_with_info_alerts_lists_the_unconfirmed_defaults(kb: KnowledgeBase) -> None:
    """Asked for info alerts too, the summary lists every alert `assess` gives, including one
    `unconfirmed_default` per unconfirmed parameter in force."""
    case = load_case(SCLE_CASE, kb)

    full = assess(case, kb)
    summary = summarise(case, kb, severities=("critical", "warning", "info"))

    assert summary.alerts == full.alerts
    assert any(a.code == "unconfirmed_default" for a in summary.alerts)


def test_unconfirmed_default_raised_to_a_warning_is_kept(kb: KnowledgeBase) -> None:
    """With an alerts pack that makes `unconfirmed_default` a warning, the summary's warnings
    include those alerts exactly as `assess` lists them."""
    alerts = kb.pack("alerts")
    rows = tuple(
        r.model_copy(update={"severity": "warning"})
        if isinstance(r, AlertDefinition) and r.id == "unconfirmed_default" else r
        for r in alerts.tables["alerts"]
    )
    packs = {**kb.packs, "alerts": Pack(alerts.manifest, {**alerts.tables, "alerts": rows},
                                        alerts.content_hash)}
    louder = KnowledgeBase(packs)
    case = load_case(SCLE_CASE, louder)

    full = assess(case, louder)
    summary = summarise(case, louder)

    wanted = tuple(a for a in full.alerts if a.severity in ("critical", "warning"))
    assert summary.alerts == wanted
    assert any(a.code == "unconfirmed_default" for a in wanted)
    assert dataclasses.replace(summary, alerts=()).options == full.options
