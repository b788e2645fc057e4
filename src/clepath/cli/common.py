"""Helpers shared by the CLI commands: knowledge loading with overrides, case loading."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from clepath.domain.case import Case
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge

__all__ = ["DEMO_CASES", "demo_path", "knowledge_with", "load_case_arg", "parse_settings"]

DEMO_CASES = {
    "seed": "idoj-2020-ivig-rescue.yaml",
    "scle": "demo-scle-0001.yaml",
}


def demo_path(name: str = "seed") -> Path:
    """The path of a bundled example case."""
    if name not in DEMO_CASES:
        raise CaseError(
            FieldProblem("--demo", name, "is not a bundled example", ", ".join(DEMO_CASES))
        )
    return Path(str(resources.files("clepath.demo").joinpath(DEMO_CASES[name])))


def parse_settings(pairs: list[str] | None) -> dict[str, Any]:
    """`--set pack.param=value` options into typed overrides (JSON numbers/booleans allowed)."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise CaseError(FieldProblem("--set", pair, "is not KEY=VALUE", "pack.parameter=value"))
        try:
            value: Any = json.loads(text)
        except json.JSONDecodeError:
            value = text
        out[key.strip()] = value
    return out


def knowledge_with(settings: list[str] | None) -> KnowledgeBase:
    """The knowledge base with the user's parameter overrides applied."""
    return load_knowledge(parse_settings(settings))


def load_case_arg(path: Path | None, demo: str | None, kb: KnowledgeBase) -> Case:
    """Load the case named on the command line, or a bundled example."""
    from clepath.casefile import load_case

    if path is None and demo is None:
        raise CaseError(FieldProblem("CASE", None, "is required", "a case file, or --demo"))
    return load_case(demo_path(demo) if demo else path, kb)  # type: ignore[arg-type]
