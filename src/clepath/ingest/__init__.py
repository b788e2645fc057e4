"""Reading published case reports into draft case files with provenance (`clepath ingest`).

Offline and rule-based: the project's own normaliser, sentence/section splitter, drug and lab
vocabularies (knowledge packs), a small dose/lab grammar on the UCUM units parser, and
clause-scoped ConText-style assertion cues. No model, no download, no language model.

Layer: beside `clepath.fhir` (above `clepath.casefile`, whose parser checks every draft).
"""

from clepath.ingest.draft import IngestResult, ingest_text, write_outputs
from clepath.ingest.extract import Extraction, PatientDraft, extract

__all__ = ["Extraction", "IngestResult", "PatientDraft", "extract", "ingest_text", "write_outputs"]
