"""Pages: the Jinja2 environment (autoescaped) and the one function every page route calls."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from clepath import __version__
from clepath.domain.display import jinja_filters
from clepath.web.describe import describe
from clepath.web.forms import date_picker

if TYPE_CHECKING:
    from clepath.web.deps import Auth

__all__ = ["make_templates", "page", "static_dir"]


def static_dir() -> str:
    """The folder of the local CSS and JavaScript (no CDN)."""
    return str(resources.files("clepath.web") / "static")


def _yes_no(value: object, yes: str = "yes", no: str = "no", unknown: str = "not known") -> str:
    return unknown if value is None else yes if value else no


def _words(value: object) -> str:
    return str(value or "").replace("_", " ")


def make_templates() -> Jinja2Templates:
    """The templates of `clepath/web/templates`, with clepath's filters."""
    templates = Jinja2Templates(directory=str(resources.files("clepath.web") / "templates"))
    env = templates.env
    env.filters["yes_no"] = _yes_no
    env.filters.update(jinja_filters())
    env.filters["words"] = _words
    env.filters["describe"] = describe
    env.globals["version"] = __version__
    env.globals["date_picker"] = date_picker
    env.globals["static"] = lambda name: f"/static/{name}?v={__version__}"
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


def page(
    request: Request,
    name: str,
    auth: Auth | None,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a page; the signed-in user and their CSRF token are always in the context."""
    templates: Jinja2Templates = request.app.state.clepath.templates
    context.setdefault("errors", None)
    context.setdefault("form", {})
    values = {
        "user": None if auth is None else auth.user,
        "csrf_token": "" if auth is None else auth.csrf_token,
        **context,
    }
    return templates.TemplateResponse(request, name, values, status_code=status)
