"""Rendering assessments and plans: JSON objects (documented by JSON Schemas in
`clepath/schemas/`), Rich terminal reports and calendar files.

May import: the clinical core, rich, icalendar and the standard library's json.
"""
