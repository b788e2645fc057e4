"""Golden snapshots of the terminal report and the terminal IVIG plan of both examples.

Deterministic: each case's own as-of date, a 160-column console without colour, no timestamps.
The knowledge versions are checked, then written as `@VERSION` in the snapshot, so a pack bump
alone does not change it; a changed number or wording does. Update after a reviewed change
with `pytest tests/surfaces --snapshot-update`.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.console import Console

from clepath.casefile import load_case
from clepath.engine.assess import assess
from clepath.engine.ivig import plan_for_case
from clepath.knowledge.base import KnowledgeBase
from clepath.report.assessment_terminal import render_assessment
from clepath.report.ivig import render_ivig
from clepath.report.similar import assessment_similar
from tests.conftest import SCLE_CASE, SEED_CASE

CASES = {"seed": SEED_CASE, "scle": SCLE_CASE}
_VERSION = re.compile(r"@\d+\.\d+\.\d+")


def _render(render: Any, report: Any, kb: KnowledgeBase) -> str:
    buffer = io.StringIO()
    render(report, Console(file=buffer, width=160, color_system=None, force_terminal=False,
                           soft_wrap=False))
    text = buffer.getvalue()
    for pack, version in kb.versions().items():
        assert f"{pack}@{version}" in text, f"the knowledge version of {pack} is not printed"
    return _VERSION.sub("@VERSION", text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_terminal_report_snapshot(name: str, kb: KnowledgeBase, snapshot: Any) -> None:
    """The terminal assessment of each example, with its similar published cases, matches its
    reviewed snapshot."""
    case = load_case(CASES[name], kb)
    similar = assessment_similar(case, kb)
    text = _render(lambda r, c: render_assessment(r, c, similar), assess(case, kb), kb)
    assert text == snapshot


@pytest.mark.parametrize("name", sorted(CASES))
def test_terminal_ivig_snapshot(name: str, kb: KnowledgeBase, snapshot: Any) -> None:
    """The terminal IVIG plan of each example matches its reviewed snapshot."""
    case = load_case(CASES[name], kb)
    assert _render(render_ivig, plan_for_case(case, kb), kb) == snapshot
