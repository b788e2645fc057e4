"""The offline dependency audit matches OSV ranges and says plainly when it checked nothing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "scripts" / "audit_deps.py")
assert _spec is not None and _spec.loader is not None
audit_deps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_deps)

# A made-up advisory for a made-up package (test data, not a real vulnerability).
_ADVISORY = {
    "id": "TEST-0001", "summary": "made-up advisory",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "Example_Pkg"},
                  "ranges": [{"type": "ECOSYSTEM",
                              "events": [{"introduced": "1.0"}, {"fixed": "1.5"}]}],
                  "versions": ["0.9"]}],
}


def test_versions_inside_the_range_or_listed_are_flagged(tmp_path: Path) -> None:
    """1.2 (inside 1.0-1.5) and 0.9 (listed) match; 1.5 (fixed) and 2.0 do not."""
    (tmp_path / "TEST-0001.json").write_text(json.dumps(_ADVISORY))
    flagged = {v: bool(audit_deps.audit({"example-pkg": v}, tmp_path)[0])
               for v in ("0.9", "1.2", "1.5", "2.0")}

    assert {"0.9": True, "1.2": True, "1.5": False, "2.0": False} == flagged


def test_without_a_snapshot_nothing_is_claimed() -> None:
    """No advisory folder: no findings, 0 advisories read, and the report says NOT CHECKED."""
    findings, read, lines = audit_deps.audit({"example-pkg": "1.2"}, None)

    assert ([], 0) == (findings, read)
    assert any(line.startswith("NOT CHECKED") for line in lines)
