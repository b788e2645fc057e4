"""The FHIR import, one module per resource type; `clepath.fhir.importer` assembles them."""
