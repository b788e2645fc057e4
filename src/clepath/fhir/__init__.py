"""FHIR R4 mapping (case <-> Bundle) and CDS Hooks 2.0 logic as plain functions.

May import: the clinical core, clepath.casefile, fhir.resources. No web framework.
"""
