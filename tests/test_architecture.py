"""The architecture stays visible: layers are enforced and every public piece is documented."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import clepath
from tests.conftest import ROOT

CORE = ("clepath.domain", "clepath.scores", "clepath.engine", "clepath.dosing")
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "typer", "click", "rich", "yaml", "pandas")


def _modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages(clepath.__path__, prefix="clepath.")
    )


class TestLayers:
    def test_import_linter_contracts_hold(self) -> None:
        """import-linter's layer and forbidden contracts are kept."""
        exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")

        result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, check=False)

        assert 0 == result.returncode, result.stdout + result.stderr

    @pytest.mark.parametrize("name", [m for m in _modules() if m.startswith(CORE)])
    def test_core_module_imports_no_interface_library(self, name: str) -> None:
        """A core module's own imports name no web, database, CLI or file-format library."""
        module = importlib.import_module(name)
        source = Path(module.__file__ or "").read_text(encoding="utf-8")

        for lib in FORBIDDEN:
            assert f"import {lib}" not in source and f"from {lib} " not in source

    def test_every_package_says_what_lives_there(self) -> None:
        """Every subpackage __init__ has a docstring."""
        missing = [
            m
            for m in _modules()
            if importlib.util.find_spec(m).submodule_search_locations  # type: ignore[union-attr]
            and not importlib.import_module(m).__doc__
        ]

        assert [] == missing


class TestDocs:
    def test_every_cli_command_has_a_page(self) -> None:
        """docs/cli/<command>.md exists for each top-level command."""
        from clepath.cli.main import app

        commands = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
        commands |= {g.name for g in app.registered_groups if g.name}

        missing = [c for c in commands if not (ROOT / "docs" / "cli" / f"{c}.md").exists()]
        assert [] == missing

    def test_every_pack_is_documented(self) -> None:
        """docs/knowledge.md names every pack."""
        from clepath.knowledge.loader import pack_dirs

        text = (ROOT / "docs" / "knowledge.md").read_text(encoding="utf-8")

        assert [] == [p.name for p in pack_dirs() if f"`{p.name}`" not in text]

    def test_every_alert_code_is_documented(self, kb) -> None:  # type: ignore[no-untyped-def]
        """docs/alerts.md lists every alert code."""
        from clepath.knowledge.models.alerts import AlertDefinition

        text = (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8")
        codes = [r.id for r in kb.table("alerts", "alerts", AlertDefinition)]

        assert [] == [c for c in codes if f"`{c}`" not in text]
