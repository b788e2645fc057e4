"""Route modules, one per resource; each serves its pages and its JSON API side by side.

`ROUTERS` is the order `create_app` includes them in. Route handlers parse the request, call
the store and the clinical core, and render: no clinical rule lives here.
"""

from fastapi import APIRouter

from clepath.web.routes import (
    assessments,
    assets,
    audit,
    auth,
    casefiles,
    clasi,
    diagnoses,
    documents,
    findings,
    health,
    ingest,
    ivig,
    labs,
    measurements,
    patients,
    therapies,
    users,
)

__all__ = ["ROUTERS"]

# casefiles and ingest before patients: `/patients/import` and `/patients/ingest` must not be
# read as a patient id.
ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    casefiles.router,
    ingest.router,
    patients.router,
    assessments.router,
    clasi.router,
    therapies.router,
    labs.router,
    findings.router,
    measurements.router,
    diagnoses.router,
    ivig.router,
    documents.router,
    users.router,
    audit.router,
    health.router,
    assets.router,
)
