"""Signing in and out: the sign-in page, and `/api/session` for API clients.

A failed sign-in says only that the name or password is wrong; after too many failures for
one name from one address, or from one address, the form pauses there (HTTP 429) for the rest
of the window. The address is the real client's (`client_address`); the same name signing in
from elsewhere is not paused, so nobody can lock a colleague out. Signing in
replaces any earlier session of this browser, so a session id can never be planted.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from clepath.store import Store, User
from clepath.web.deps import Form, ReaderSession, SettingsDep, StateDep, StoreDep
from clepath.web.render import page
from clepath.web.routes._common import commit, see_other
from clepath.web.schemas import LoginIn
from clepath.web.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    clear_session_cookie,
    login_form_token,
    new_login_cookie,
    safe_next,
    same_token,
    set_login_cookie,
    set_session_cookie,
)
from clepath.web.state import AppState

__all__ = ["client_address", "router"]

router = APIRouter(tags=["session"])


def client_address(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The address of the real client.

    The socket's peer, unless that peer is one of the configured reverse proxies
    (`CLEPATH_TRUSTED_PROXIES`): then the right-most `X-Forwarded-For` entry that is not a
    trusted proxy (entries further left were written by the client and prove nothing).
    Without trusted proxies `X-Forwarded-For` is ignored, so a client cannot pick its key.
    """
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    chain = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([part for part in chain if part]):
        if hop not in trusted_proxies:
            return hop[:64]
    return peer


def _keys(request: Request, username: str, trusted_proxies: tuple[str, ...]) -> list[str]:
    """Failures count per user *and* address (a stranger elsewhere cannot lock the user out)
    and per address (one address cannot try many names)."""
    client = client_address(request, trusted_proxies)
    return [f"user:{username.strip().lower()}@{client}", f"address:{client}"]


def _sign_in(state: AppState, store: Store, request: Request, username: str, password: str) -> (
    tuple[User | None, str | None, float]
):
    """(user, session token, seconds to wait): the user is None when sign-in failed."""
    keys = _keys(request, username, state.settings.trusted_proxies)
    wait = state.throttle.wait_seconds(keys)
    if wait > 0:
        commit(store, None, "sign_in_paused", "session", detail=f"user {username[:64]}")
        return None, None, wait
    user = store.users.authenticate(username, password)
    if user is None:
        state.throttle.failed(keys)
        store.audit.record(None, "sign_in_failed", "session", username=username[:64])
        store.commit()
        return None, None, 0.0
    state.throttle.succeeded(keys[0])
    store.logins.end(request.cookies.get(SESSION_COOKIE))
    token, _ = store.logins.start(user, hours=state.settings.session_hours)
    commit(store, user, "sign_in", "session")
    return user, token, 0.0


def _login_page(
    request: Request, settings: Any, *, next_url: str, error: str | None = None, status: int = 200
) -> Response:
    cookie = new_login_cookie()
    response = page(
        request,
        "login.html",
        None,
        status=status,
        next_url=next_url,
        signin_token=login_form_token(settings, cookie),
        error=error,
    )
    set_login_cookie(response, request, settings, cookie)
    return response


@router.get("/login", include_in_schema=False)
def login_page(request: Request, settings: SettingsDep, next: str = "") -> Response:
    """The sign-in form (always: signing in again replaces the browser's session)."""
    return _login_page(request, settings, next_url=safe_next(next))


@router.post("/login", include_in_schema=False)
def login(request: Request, state: StateDep, store: StoreDep, form: Form) -> Response:
    """Check the sign-in form; on success set the session cookie and go on."""
    settings = state.settings
    given = form.get("signin_token")
    expected = login_form_token(settings, request.cookies.get(LOGIN_COOKIE) or "")
    target = safe_next(str(form.get("next") or ""))
    if not request.cookies.get(LOGIN_COOKIE) or not same_token(
        expected, given if isinstance(given, str) else None
    ):
        return _login_page(
            request, settings, next_url=target, status=403,
            error="This sign-in form had expired. Please sign in again.",
        )
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    user, token, wait = _sign_in(state, store, request, username, password)
    if user is None or token is None:
        if wait:
            minutes = math.ceil(wait / 60)
            message = f"Too many failed sign-ins. Please wait {minutes} minute(s) and try again."
            return _login_page(request, settings, next_url=target, error=message, status=429)
        return _login_page(
            request, settings, next_url=target, status=401,
            error="The username or password is not right.",
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, settings, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, auth: ReaderSession, settings: SettingsDep, store: StoreDep) -> (
    Response
):
    """End the session."""
    store.logins.end(request.cookies.get(SESSION_COOKIE))
    commit(store, auth.user, "sign_out", "session")
    response = see_other("/login")
    clear_session_cookie(response, request, settings)
    return response


# --- JSON API ---------------------------------------------------------------------------------


@router.post("/api/session", summary="Sign in")
def api_sign_in(body: LoginIn, request: Request, state: StateDep, store: StoreDep) -> Response:
    """Sign in; the session cookie is set and the CSRF token for API writes is returned."""
    user, token, wait = _sign_in(state, store, request, body.username, body.password)
    if user is None or token is None:
        if wait:
            raise HTTPException(429, f"Too many failed sign-ins; retry in {math.ceil(wait)} s.")
        raise HTTPException(401, "The username or password is not right.")
    active = store.logins.resolve(token)
    assert active is not None
    response = JSONResponse(
        {"username": user.username, "role": user.role, "csrf_token": active.csrf_token}
    )
    set_session_cookie(response, request, state.settings, token)
    return response


@router.get("/api/session", summary="Who is signed in")
def api_session(auth: ReaderSession) -> dict[str, str]:
    """The signed-in user, their role and the CSRF token to send as `X-CSRF-Token`."""
    return {"username": auth.user.username, "role": auth.user.role, "csrf_token": auth.csrf_token}


@router.delete("/api/session", summary="Sign out", status_code=204)
def api_sign_out(request: Request, auth: ReaderSession, settings: SettingsDep, store: StoreDep) -> (
    Response
):
    """End the session."""
    store.logins.end(request.cookies.get(SESSION_COOKIE))
    commit(store, auth.user, "sign_out", "session")
    response = Response(status_code=204)
    clear_session_cookie(response, request, settings)
    return response
