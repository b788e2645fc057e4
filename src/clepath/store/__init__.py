"""Persistence: SQLAlchemy tables, repositories (domain in, domain out), migrations.

May import: the clinical core, clepath.casefile, clepath.fhir, SQLAlchemy, Alembic.
"""
