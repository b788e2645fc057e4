"""Shared fixtures: the knowledge base, the bundled example cases and the shared spec."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "src" / "clepath" / "demo"
SEED_CASE = DEMO / "idoj-2020-ivig-rescue.yaml"
SCLE_CASE = DEMO / "demo-scle-0001.yaml"
SHARED = ROOT.parent / "shared"

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,  # CI is reproducible; local runs explore new examples
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """Every knowledge pack, loaded once."""
    return load_knowledge()
