"""Errors turned into answers, in one place: JSON for `/api/`, a page (or sign-in) otherwise.

Every JSON error has one shape, RFC 9457 problem details (`application/problem+json`):
`type`, `title`, `status`, `detail`, and for invalid input `problems` (one per field).

- 401 on a page: 303 to the sign-in page, which returns to the page afterwards.
- CaseError: 422 with every problem (field, message, accepted form, suggestions).
- A request the API cannot read (FastAPI's validation): 422 in the same problem format.
- DosingError and AssessmentError: 422 with the core's message.
Messages never echo submitted values back into logs; they go to the user only.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from clepath.errors import AssessmentError, CaseError, DosingError, FieldProblem
from clepath.web.forms import plain
from clepath.web.render import page

__all__ = ["PROBLEM_TYPE", "install_handlers", "is_api", "problem", "problems_json"]


def is_api(request: Request) -> bool:
    """True for the JSON API (paths under /api/)."""
    return request.url.path.startswith("/api/")


def problems_json(problems: list[FieldProblem]) -> list[dict[str, Any]]:
    """The API's problem list: field, message, accepted form, suggestions, plain words."""
    return [
        {
            "field": p.field,
            "message": p.message,
            "accepted": p.accepted or None,
            "suggestions": list(p.suggestions),
            "text": plain(p, subject=p.field or "The entry"),
        }
        for p in problems
    ]


PROBLEM_TYPE = "application/problem+json"


def problem(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An RFC 9457 problem-details answer."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status, headers=headers, media_type=PROBLEM_TYPE)


def _problem_response(request: Request, problems: list[FieldProblem]) -> Response:
    if is_api(request):
        return problem(422, "invalid input", problems=problems_json(problems))
    messages = [plain(p, subject=f"“{p.field}”" if p.field else "The entry") for p in problems]
    return page(request, "error.html", None, status=422, title="Invalid input", messages=messages)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if is_api(request):
        return problem(exc.status_code, str(exc.detail), headers=exc.headers)
    if exc.status_code == 401:
        target = request.url.path
        if request.url.query and request.method == "GET":
            target += "?" + request.url.query
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    titles = {403: "Not allowed", 404: "Not found", 405: "Not allowed here", 429: "Please wait"}
    return page(
        request,
        "error.html",
        None,
        status=exc.status_code,
        title=titles.get(exc.status_code, "Error"),
        messages=[str(exc.detail)],
    )


async def _case_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CaseError)
    return _problem_response(request, exc.problems)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        FieldProblem(
            ".".join(str(part) for part in err.get("loc", ())[1:]) or "body",
            "(see request)",
            str(err.get("msg", "is not valid")).lower(),
        )
        for err in exc.errors()
    ]
    return _problem_response(request, problems)


async def _core_error(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return problem(422, str(exc))
    return page(
        request, "error.html", None, status=422, title="Cannot compute", messages=[str(exc)]
    )


def install_handlers(app: FastAPI) -> None:
    """Register every handler on the app."""
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(CaseError, _case_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DosingError, _core_error)
    app.add_exception_handler(AssessmentError, _core_error)
