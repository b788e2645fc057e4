"""Trusted CDS clients and the card's patient link: what the web app and the stand-alone CDS
server (`clepath cds serve`) both read from their configuration.

Kept apart from `clepath.web.app`, so the CDS server starts without loading the web pages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from clepath.errors import CaseError, FieldProblem
from clepath.fhir.cds.auth import TrustedIssuer

__all__ = ["ISSUERS_ACCEPTED", "parse_issuers", "patient_link"]

ISSUERS_ACCEPTED = 'a JSON list of {"iss": ..., "jwks_file": ...} or {"iss": ..., "jwks_url": ...}'


def patient_link(public_url: str | None) -> Callable[[str], str] | None:
    """The link from a CDS card to the patient in the web app at `public_url` (None: none)."""
    if not public_url or not public_url.strip():
        return None
    base = public_url.strip().rstrip("/")
    return lambda case_id: f"{base}/patients?q={quote(case_id)}"


def parse_issuers(
    entries: object, *, field: str, folder: Path, where: str
) -> tuple[TrustedIssuer, ...]:
    """Trusted CDS clients from a list of `{"iss", "jwks_file" | "jwks_url"}` entries (files
    relative to `folder`); a CaseError naming `field` for anything else."""
    accepted = ISSUERS_ACCEPTED
    if not isinstance(entries, list):
        raise CaseError(FieldProblem(field, where, "is not a JSON list", accepted))
    issuers: list[TrustedIssuer] = []
    for index, entry in enumerate(entries):
        item = f"{field}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("iss"), str):
            raise CaseError(FieldProblem(item, entry, "needs an `iss`", accepted))
        if isinstance(entry.get("jwks_file"), str):
            issuers.append(TrustedIssuer.from_file(entry["iss"], folder / entry["jwks_file"]))
        elif isinstance(entry.get("jwks_url"), str):
            issuers.append(TrustedIssuer.from_url(entry["iss"], entry["jwks_url"]))
        else:
            raise CaseError(FieldProblem(item, entry, "needs `jwks_file` or `jwks_url`", accepted))
    return tuple(issuers)
