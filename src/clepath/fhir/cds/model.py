"""A CDS Hooks 2.0 service request, parsed and checked (§Calling a CDS Service).

Checks: `hook` is one the service answers; `hookInstance` is given; `context` holds the fields
the hook requires (patient-view: userId, patientId; order-select: also selections and
draftOrders; order-sign: also draftOrders); cds-r-1 (`fhirAuthorization` needs `fhirServer`);
`fhirAuthorization` is a Bearer token. The access token is kept out of every repr and log line:
it is short-lived and must never be logged or stored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from clepath.errors import ClepathError

__all__ = ["FhirAuthorization", "HookRequest", "RequestProblem", "parse_hook_request"]

_CONTEXT_FIELDS = {
    "patient-view": ("userId", "patientId"),
    "order-select": ("userId", "patientId", "selections", "draftOrders"),
    "order-sign": ("userId", "patientId", "draftOrders"),
}


class RequestProblem(ClepathError):
    """The request body is not a valid CDS Hooks call for this service (HTTP 400)."""


@dataclass(frozen=True)
class FhirAuthorization:
    """The bearer token a client grants for FHIR reads. Never logged, never stored."""

    access_token: str = field(repr=False)
    token_type: str = "Bearer"  # noqa: S105 - the token scheme, not a secret
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None

    def __repr__(self) -> str:
        return f"FhirAuthorization(token=<hidden>, scope={self.scope!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class HookRequest:
    """One hook call, checked."""

    hook: str
    hook_instance: str
    context: Mapping[str, Any]
    prefetch: Mapping[str, Any] | None = None
    fhir_server: str | None = None
    fhir_authorization: FhirAuthorization | None = None

    @property
    def patient_id(self) -> str:
        """`context.patientId`."""
        return str(self.context["patientId"])

    @property
    def draft_orders(self) -> Mapping[str, Any] | None:
        """`context.draftOrders` (a Bundle), when the hook has one."""
        orders = self.context.get("draftOrders")
        return orders if isinstance(orders, Mapping) else None

    @property
    def selections(self) -> tuple[str, ...]:
        """`context.selections` (order-select), e.g. `MedicationRequest/103`."""
        return tuple(str(s) for s in self.context.get("selections") or ())


def _authorization(raw: Any) -> FhirAuthorization:
    if not isinstance(raw, Mapping):
        raise RequestProblem("fhirAuthorization must be an object")
    token = raw.get("access_token")
    if not isinstance(token, str) or not token:
        raise RequestProblem("fhirAuthorization.access_token is required")
    token_type = raw.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise RequestProblem("fhirAuthorization.token_type must be Bearer")
    expires = raw.get("expires_in")
    return FhirAuthorization(
        access_token=token,
        token_type="Bearer",  # noqa: S106 - the token scheme, not a secret
        expires_in=expires if isinstance(expires, int) else None,
        scope=raw.get("scope") if isinstance(raw.get("scope"), str) else None,
        subject=raw.get("subject") if isinstance(raw.get("subject"), str) else None,
        patient=raw.get("patient") if isinstance(raw.get("patient"), str) else None,
    )


def _check_context(hook: str, context: Mapping[str, Any]) -> None:
    for name in _CONTEXT_FIELDS.get(hook, ("userId", "patientId")):
        value = context.get(name)
        if value is None or value == "" or value == []:
            raise RequestProblem(f"context.{name} is required for {hook}")
    for name in ("userId", "patientId"):
        if not isinstance(context.get(name), str):
            raise RequestProblem(f"context.{name} must be a string")
    orders = context.get("draftOrders")
    if orders is not None and not (isinstance(orders, Mapping)
                                   and orders.get("resourceType") == "Bundle"):
        raise RequestProblem("context.draftOrders must be a FHIR Bundle")
    selections = context.get("selections")
    if selections is not None and not (isinstance(selections, list)
                                       and all(isinstance(s, str) for s in selections)):
        raise RequestProblem("context.selections must be a list of resource references")


def parse_hook_request(body: Any, hooks: Collection[str]) -> HookRequest:
    """Check a service call's JSON body; raise RequestProblem naming the first fault."""
    if not isinstance(body, Mapping):
        raise RequestProblem("the request body must be a JSON object")
    hook = body.get("hook")
    if not isinstance(hook, str) or hook not in hooks:
        raise RequestProblem(f"this service answers {', '.join(sorted(hooks))}, not {hook!r}")
    instance = body.get("hookInstance")
    if not isinstance(instance, str) or not instance:
        raise RequestProblem("hookInstance is required")
    context = body.get("context")
    if not isinstance(context, Mapping):
        raise RequestProblem("context is required")
    _check_context(hook, context)
    server = body.get("fhirServer")
    if server is not None and (not isinstance(server, str)
                               or not server.startswith(("https://", "http://"))):
        raise RequestProblem("fhirServer must be an http(s) URL")
    authorization = None
    if body.get("fhirAuthorization") is not None:
        if server is None:
            raise RequestProblem("fhirAuthorization needs fhirServer (cds-r-1)")
        authorization = _authorization(body["fhirAuthorization"])
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, Mapping):
        raise RequestProblem("prefetch must be an object")
    return HookRequest(
        hook=hook,
        hook_instance=instance,
        context=context,
        prefetch=prefetch,
        fhir_server=server,
        fhir_authorization=authorization,
    )
