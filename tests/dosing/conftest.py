"""Fixtures: the `ivig` pack alone (the planner needs nothing else)."""

from __future__ import annotations

import pytest

from clepath.knowledge.base import KnowledgeBase
from tests.dosing.factories import ivig_kb


@pytest.fixture
def kb() -> KnowledgeBase:
    """A knowledge base holding only the `ivig` pack."""
    return ivig_kb()
