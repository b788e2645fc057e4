"""Session cookies and CSRF tokens.

The session cookie holds a random token (the database keeps only its SHA-256); it is HttpOnly,
SameSite=Lax and Secure except over plain HTTP on loopback (`Settings.secure_cookies_for`).
Forms carry the session's own CSRF token; JSON API writes send it in the `X-CSRF-Token`
header. Before sign-in there is no session, so the sign-in form uses a double-submit token:
a random cookie and, in the form, its HMAC under the app's secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from clepath.settings import Settings

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "UNSAFE_METHODS",
    "clear_session_cookie",
    "login_form_token",
    "new_login_cookie",
    "safe_next",
    "same_token",
    "set_login_cookie",
    "set_session_cookie",
]

SESSION_COOKIE = "clepath_session"
LOGIN_COOKIE = "clepath_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _secure(request: Request, settings: Settings) -> bool:
    return settings.secure_cookies_for(request.url.scheme, request.url.hostname)


def set_session_cookie(
    response: Response, request: Request, settings: Settings, token: str
) -> None:
    """Set the session cookie (lifetime = the session's)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request, settings: Settings) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request, settings), path="/"
    )


def new_login_cookie() -> str:
    """A fresh random value for the sign-in form's cookie."""
    return secrets.token_urlsafe(32)


def set_login_cookie(response: Response, request: Request, settings: Settings, value: str) -> None:
    """Set the sign-in form's double-submit cookie (one hour)."""
    response.set_cookie(
        LOGIN_COOKIE,
        value,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        path="/",
    )


def login_form_token(settings: Settings, cookie_value: str) -> str:
    """The token the sign-in form must carry for a given cookie value."""
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, cookie_value.encode("utf-8"), hashlib.sha256).hexdigest()


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def safe_next(target: str | None, default: str = "/patients") -> str:
    """A local path to go to after sign-in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
