"""The OpenAPI document, completed: the security schemes the API really uses, and the one
error shape (RFC 9457 problem details) as every operation's `default` response, so every
status an operation can answer is documented.

Signed-in calls carry the session cookie (`POST /api/session` sets it); writes also send
`X-CSRF-Token` (from `GET /api/session`). Sign-in and the health checks need neither.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from clepath.web.security import CSRF_HEADER, SESSION_COOKIE

__all__ = ["PROBLEM_SCHEMA", "install_openapi"]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `problems` lists each invalid field.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message", "suggestions", "text"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "accepted": {"type": ["string", "null"]},
                    "suggestions": {"type": "array", "items": {"type": "string"}},
                    "text": {"type": "string"},
                },
            },
        },
    },
}
_PUBLIC = {("post", "/api/session"), ("get", "/api/health"), ("get", "/healthz"),
           ("get", "/readyz")}
_WRITES = {"post", "put", "patch", "delete"}
_ERROR = {
    "description": "An error, as RFC 9457 problem details.",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def _complete(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = {
        "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                    "description": "Set by POST /api/session."},
        "csrf": {"type": "apiKey", "in": "header", "name": CSRF_HEADER,
                 "description": "The csrf_token of GET /api/session; needed for writes."},
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _WRITES | {"get", "head"}:
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Invalid input.", **_ERROR}
            responses["default"] = _ERROR
            if (method, path) in _PUBLIC or path.startswith("/cds-services"):
                operation["security"] = []
            elif method in _WRITES:
                operation["security"] = [{"session": [], "csrf": []}]
            else:
                operation["security"] = [{"session": []}]
    return document


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` return the completed document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _complete(
                get_openapi(title=app.title, version=app.version, summary=app.summary,
                            routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
