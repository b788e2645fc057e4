"""Request bodies are capped before they are parsed: 413 as soon as the declared or received
size passes the limit, so nobody can make the app read 50 MB to refuse it.

| request | limit |
| --- | --- |
| without a session cookie, and the sign-in endpoints | 16 KiB |
| case-file import and case-report reading | 16 MiB |
| any other signed-in request, and CDS Hooks calls (signed by the EHR) | 2 MiB |
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clepath.web.security import SESSION_COOKIE

__all__ = ["ANONYMOUS_BYTES", "BodyLimit", "IMPORT_BYTES", "SIGNED_IN_BYTES", "limit_for"]

ANONYMOUS_BYTES = 16 * 1024
SIGNED_IN_BYTES = 2 * 1024 * 1024
IMPORT_BYTES = 16 * 1024 * 1024
_SIGN_IN = frozenset({"/login", "/api/session"})
_IMPORTS = frozenset({"/api/cases", "/patients/import", "/patients/ingest",
                      "/patients/ingest/confirm"})


def _has_session(scope: Scope) -> bool:
    for key, value in scope.get("headers", ()):
        if key == b"cookie" and SESSION_COOKIE.encode() + b"=" in value:
            return True
    return False


def limit_for(scope: Scope) -> int:
    """The largest body this request may send, in bytes."""
    path = str(scope.get("path", ""))
    if path.startswith("/cds-services"):
        return SIGNED_IN_BYTES  # an EHR's signed call; its prefetch may be large
    if path in _SIGN_IN or not _has_session(scope):
        return ANONYMOUS_BYTES
    return IMPORT_BYTES if path in _IMPORTS else SIGNED_IN_BYTES


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    detail = f"The request body is larger than {limit} bytes."
    if str(scope.get("path", "")).startswith("/api/"):
        body = json.dumps({"type": "about:blank", "title": "Content Too Large", "status": 413,
                           "detail": detail}).encode()
        kind = b"application/problem+json"
    else:
        body, kind = detail.encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Pure ASGI middleware: refuse oversized bodies by Content-Length, and stop reading a body
    without one (chunked) as soon as it passes the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope)
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await _refuse(scope, send, limit)
                    return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the app so its handlers answer (problem details or a page).
                    raise HTTPException(413, f"The request body is larger than {limit} bytes.")
            return message

        await self.app(scope, counted, send)
