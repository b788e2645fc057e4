"""FHIR R4 mapping (case <-> Bundle) and CDS Hooks 2.0 logic as plain functions.

May import: the clinical core, clepath.casefile, fhir.resources. No web framework.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["bundle_to_case_data", "case_to_bundle", "import_bundle", "validate_bundle"]

_EXPORTS = {
    "bundle_to_case_data": "clepath.fhir.importer",
    "case_to_bundle": "clepath.fhir.export",
    "import_bundle": "clepath.fhir.importer",
    "validate_bundle": "clepath.fhir.validate",
}


def __getattr__(name: str) -> Any:
    """Re-exports, imported on first use (importing the package stays cheap)."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'clepath.fhir' has no attribute {name!r}")
