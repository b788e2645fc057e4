"""Reading published case reports into draft case files with provenance (`clepath ingest`).

Offline and rule-based: the project's own normaliser, sentence/section splitter, drug and lab
vocabularies (knowledge packs), a small dose/lab grammar on the UCUM units parser, and
clause-scoped ConText-style assertion cues. No model, no download, no language model.

Layer: beside `clepath.fhir` (above `clepath.casefile`, whose parser checks every draft).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clepath.ingest.draft import IngestResult, ingest_text, write_outputs
    from clepath.ingest.extract import Extraction, PatientDraft, extract

__all__ = ["Extraction", "IngestResult", "PatientDraft", "extract", "ingest_text", "write_outputs"]

# The reader is loaded on first use, so that `clepath.ingest.similar` (shown with every
# assessment) does not load it: a cold `clepath assess` saves its regular expressions.
_HOME = {
    "IngestResult": "draft",
    "ingest_text": "draft",
    "write_outputs": "draft",
    "Extraction": "extract",
    "PatientDraft": "extract",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


class _Package(ModuleType):
    """`clepath.ingest.extract` names the function, as it did when this package imported it
    eagerly, although the submodule of the same name is loaded later (the import system then
    records the submodule on the package; that record is ignored, sys.modules keeps it)."""

    @property
    def extract(self) -> Any:
        return importlib.import_module(f"{__name__}.extract").extract

    @extract.setter
    def extract(self, value: Any) -> None:
        pass


sys.modules[__name__].__class__ = _Package
