"""Population screening of FHIR Bulk Data exports (`clepath screen`) and synthetic CLE cohorts
(`clepath generate cohort`): SQL-on-FHIR views compiled to DuckDB SQL, rules pre-filtered in SQL
and confirmed patient by patient by the assessment engine."""
