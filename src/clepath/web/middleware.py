"""The outermost layer of every request: security headers, timing and a log line without data.

Every response carries `X-Request-ID` (the caller's, when it is a plain token, else a new one)
and every log line written while serving it names the same id (`clepath.web.logs`).

The log line names the method, the route's template (`/patients/{patient_id}`, never the
path itself or its query string), the status and the time taken; nothing a patient could be
recognised by reaches the application log. An unexpected exception is logged by type only
and answered with a plain 500, so no message or traceback carries patient data either.
`Server-Timing` reports the server's time (the web benchmark reads it).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clepath.web.logs import new_request_id, request_id_var

__all__ = ["RequestGuard", "SECURITY_HEADERS"]

log = logging.getLogger("clepath.web")

SECURITY_HEADERS: dict[str, str] = {
    # Everything is served from this origin: no CDN, no inline script, no framing.
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # Patient ids and search words in URLs never travel to other sites.
    "referrer-policy": "no-referrer",
}


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "(no route)"


class RequestGuard:
    """Pure ASGI middleware: headers, timing, a data-free log line, a last-resort 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = None
        for key, value in scope.get("headers", ()):
            if key == b"x-request-id":
                given = value.decode("latin-1")
                break
        request_id = new_request_id(given)
        token = request_id_var.set(request_id)
        status = {"code": 500, "sent": False}
        is_static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                headers = list(message.get("headers", []))
                present = {k.decode("latin-1").lower() for k, _ in headers}
                extra = dict(SECURITY_HEADERS)
                if not is_static:
                    extra["cache-control"] = "no-store"
                elapsed = (time.perf_counter() - started) * 1000
                extra["server-timing"] = f"app;dur={elapsed:.1f}"
                extra["x-request-id"] = request_id
                headers += [
                    (k.encode("latin-1"), v.encode("latin-1"))
                    for k, v in extra.items()
                    if k not in present
                ]
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # noqa: BLE001 - the web edge: log the type only, answer 500
            log.error(
                "unhandled %s on %s %s", type(exc).__name__, scope.get("method"),
                _route_template(scope),
            )
            if not status["sent"]:
                await _plain_500(send_with_headers)
            status["code"] = 500
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            method, route = scope.get("method"), _route_template(scope)
            log.info(
                "%s %s %s %.1fms", method, route, status["code"], elapsed,
                extra={"method": method, "route": route, "status": status["code"],
                       "ms": round(elapsed, 1), "request_id": request_id},
            )
            request_id_var.reset(token)


async def _plain_500(send: Send) -> None:
    body = b"Something went wrong in clepath. The error was logged without patient data."
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})
