"""The two example cases and their timelines, built once per session."""

from __future__ import annotations

import pytest

from clepath.casefile import load_case
from clepath.domain.case import Case
from clepath.engine.timeline import Timeline, build_timeline
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE, SEED_CASE


@pytest.fixture(scope="session")
def seed_case(kb: KnowledgeBase) -> Case:
    """The published case (Singh 2020)."""
    return load_case(SEED_CASE, kb)


@pytest.fixture(scope="session")
def scle_case(kb: KnowledgeBase) -> Case:
    """The fully recorded synthetic SCLE patient."""
    return load_case(SCLE_CASE, kb)


@pytest.fixture(scope="session")
def seed_timeline(seed_case: Case, kb: KnowledgeBase) -> Timeline:
    """The seed case's timeline."""
    return build_timeline(seed_case, kb)


@pytest.fixture(scope="session")
def scle_timeline(scle_case: Case, kb: KnowledgeBase) -> Timeline:
    """The SCLE example's timeline."""
    return build_timeline(scle_case, kb)
