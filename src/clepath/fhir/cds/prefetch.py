"""Prefetch: templates, tokens, and what each prefetch value means (CDS Hooks 2.0 §Prefetch).

A client may honour none, some or all templates. Each key is read into one of four states:

* `absent`: the key is missing (not attempted, or it failed): fetch it from `fhirServer`;
* `null`: the key is `null`: the client has no data (an empty result, not an error);
* `outcome`: an OperationOutcome stands in for the data after an error: fetch it;
* `data`: a resource or a Bundle (a `next` link means more pages to fetch).

Tokens: `{{context.<field>}}` for a hook context field of a simple type, the user tokens
`{{userPractitionerId}}`, `{{userPractitionerRoleId}}`, `{{userPatientId}}`,
`{{userRelatedPersonId}}`, and, for forward compatibility with the 3.0 ballot's simpler FHIRPath,
`{{today()}}` with `+`/`-` a number of days.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from clepath.errors import ClepathError

__all__ = [
    "DataUnavailable",
    "PrefetchValue",
    "State",
    "TokenProblem",
    "classify",
    "classify_all",
    "render",
    "resolved",
]

State = Literal["absent", "null", "outcome", "data"]

_TOKEN = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_TODAY = re.compile(r"^today\(\)\s*(?:([+-])\s*(\d+)\s*(days?|weeks?))?$")
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


class TokenProblem(ClepathError):
    """A prefetch template names a token that cannot be filled from the context."""


class DataUnavailable(ClepathError):
    """Required prefetch data could be had neither from the request nor from the FHIR server
    (HTTP 412)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        super().__init__("required data unavailable: " + ", ".join(keys))


@dataclass(frozen=True)
class PrefetchValue:
    """One prefetch key, read: its state, its resources and any page still to fetch."""

    state: State
    resources: tuple[dict[str, Any], ...] = ()
    next_url: str | None = None
    note: str | None = None
    fetched: bool = False  # True when the data came from the FHIR server, not the client

    @property
    def usable(self) -> bool:
        """True when the key holds data or an explicit `null` (no data)."""
        return self.state in ("data", "null") and self.next_url is None


def _token_value(expression: str, context: Mapping[str, Any], today: dt.date) -> str:
    if expression.startswith("context."):
        name = expression.removeprefix("context.")
        value = context.get(name)
        if "." in name or isinstance(value, (Mapping, list)) or value is None:
            raise TokenProblem(f"{{{{{expression}}}}} is not a simple context field")
        return str(value)
    if expression in _USER_TOKENS:
        user = str(context.get("userId") or "")
        kind, _, ident = user.partition("/")
        if kind != _USER_TOKENS[expression] or not ident:
            raise TokenProblem(f"{{{{{expression}}}}}: the user is {user or 'not given'}")
        return ident
    match = _TODAY.match(expression)
    if match:
        sign, amount, unit = match.groups()
        days = int(amount or 0) * (7 if unit and unit.startswith("week") else 1)
        return (today + dt.timedelta(days=-days if sign == "-" else days)).isoformat()
    raise TokenProblem(f"{{{{{expression}}}}} is not a supported prefetch token")


def render(template: str, context: Mapping[str, Any], *, today: dt.date) -> str:
    """A prefetch template with its tokens filled in: a relative FHIR query URL."""
    return _TOKEN.sub(lambda m: _token_value(m.group(1), context, today), template)


def _bundle_resources(bundle: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    out = []
    for entry in bundle.get("entry") or ():
        if not (type(entry) is dict or isinstance(entry, Mapping)) or not (
                type(entry.get("resource")) is dict
                or isinstance(entry.get("resource"), Mapping)):
            continue
        if (entry.get("search") or {}).get("mode") == "outcome":
            continue  # a searchset's own warnings, not data
        out.append(dict(entry["resource"]))
    return tuple(out)


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or ():
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None


def classify(prefetch: Mapping[str, Any] | None, key: str) -> PrefetchValue:
    """The state of one prefetch key of a request."""
    if prefetch is None or key not in prefetch:
        return PrefetchValue("absent")
    value = prefetch[key]
    if value is None:
        return PrefetchValue("null")
    if not isinstance(value, Mapping) or not isinstance(value.get("resourceType"), str):
        return PrefetchValue("absent", note="not a FHIR resource: ignored")
    if value["resourceType"] == "OperationOutcome":
        issues = [i.get("diagnostics") or (i.get("details") or {}).get("text")
                  for i in value.get("issue") or () if isinstance(i, Mapping)]
        return PrefetchValue("outcome", note="; ".join(str(i) for i in issues if i) or None)
    if value["resourceType"] == "Bundle":
        return PrefetchValue("data", _bundle_resources(value), _next_link(value))
    return PrefetchValue("data", (dict(value),))


def classify_all(prefetch: Mapping[str, Any] | None, keys: list[str]) -> dict[str, PrefetchValue]:
    """The state of every key a service asks for."""
    return {key: classify(prefetch, key) for key in keys}


@dataclass(frozen=True)
class _Merged:
    resources: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def resolved(values: Mapping[str, PrefetchValue], required: tuple[str, ...]) -> list[
        dict[str, Any]]:
    """All resources of the usable keys; DataUnavailable when a required key is not usable."""
    merged = _Merged()
    for key, value in values.items():
        if value.state == "data":
            merged.resources.extend(value.resources)
        if key in required and value.state not in ("data", "null"):
            merged.missing.append(key)
    if merged.missing:
        raise DataUnavailable(sorted(merged.missing))
    return merged.resources
