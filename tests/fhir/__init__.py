"""Tests of the FHIR R4 mapping: export, import, validation, CLI."""
