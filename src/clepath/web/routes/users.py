"""Users (admins only): add a user with a role, change a role, stop or allow sign-in, set a
new password. A password change or a stopped account ends that user's sessions; an admin
cannot remove their own admin role or stop their own account (no lock-out by accident).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from clepath.errors import CaseError, FieldProblem
from clepath.store import ROLES, Store, User
from clepath.web import forms
from clepath.web.deps import AdminSession, Form, Id, StoreDep
from clepath.web.render import page
from clepath.web.routes._common import commit, see_other
from clepath.web.schemas import UserIn, UserPatch

__all__ = ["router"]

router = APIRouter(tags=["users"])

_FIELDS = {"username": "username", "password": "password", "role": "role"}


def _user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role, "active": user.active}


def _change(
    store: Store, me: User, user_id: int, *, role: str | None, active: bool | None,
    password: str | None,
) -> User:
    """Apply the changes asked for; CaseError names what was refused."""
    target = store.users.get(user_id)
    if target is None:
        raise HTTPException(404, "There is no such user.")
    if target.id == me.id and ((role and role != "admin") or active is False):
        raise CaseError(
            FieldProblem("role" if role else "active", role or active,
                         "would lock you out of user management",
                         "ask another admin to change your own account")
        )
    if role is not None:
        target = store.users.set_role(user_id, role)
    if password is not None:
        store.users.set_password(user_id, password)
        store.logins.end_all(user_id)
    if active is not None:
        target = store.users.set_active(user_id, active)
        if not active:
            store.logins.end_all(user_id)
    return target


def _users_page(request: Request, auth: Any, store: Store, **extra: Any) -> Response:
    return page(
        request, "users.html", auth, users=store.users.all(), roles=ROLES,
        role_choices=[(r, r) for r in ROLES], **extra,
    )


@router.get("/users", include_in_schema=False)
def users_page(request: Request, auth: AdminSession, store: StoreDep) -> Response:
    """Every user, and the form to add one."""
    return _users_page(request, auth, store)


@router.post("/users", include_in_schema=False)
def add_user(request: Request, auth: AdminSession, store: StoreDep, form: Form) -> Response:
    """Add a user from the form."""
    try:
        added = store.users.add(
            str(form.get("username") or ""), str(form.get("password") or ""),
            str(form.get("role") or ""),
        )
    except CaseError as exc:
        store.rollback()
        errors = forms.form_errors(exc.problems, _FIELDS)
        shown = {"username": form.get("username"), "role": form.get("role")}
        return _users_page(request, auth, store, status=422, form=shown, errors=errors)
    commit(store, auth.user, "create", "user", resource_id=added.id)
    return see_other("/users")


@router.post("/users/{user_id}", include_in_schema=False)
def change_user(
    request: Request, user_id: Id, auth: AdminSession, store: StoreDep, form: Form
) -> Response:
    """Change a user's role, sign-in or password (whichever the form sends)."""
    active_text = form.get("active")
    try:
        _change(
            store, auth.user, user_id,
            role=str(form["role"]) if form.get("role") else None,
            active=None if active_text is None else active_text == "yes",
            password=str(form["password"]) if form.get("password") else None,
        )
    except CaseError as exc:
        store.rollback()
        messages = [forms.plain(p, subject=p.field.capitalize()) for p in exc.problems]
        return page(request, "error.html", auth, status=422, title="Not changed",
                    messages=messages)
    commit(store, auth.user, "update", "user", resource_id=user_id)
    return see_other("/users")


@router.get("/api/users", summary="List users")
def api_users(auth: AdminSession, store: StoreDep) -> list[dict[str, Any]]:
    """Every user with role and whether they may sign in."""
    return [_user_json(u) for u in store.users.all()]


_CONFLICT = {409: {"description": "The change conflicts with the stored users."}}


@router.post("/api/users", summary="Add a user", status_code=201, responses=_CONFLICT)
def api_add_user(body: UserIn, auth: AdminSession, store: StoreDep) -> JSONResponse:
    """Add a user (409 for a taken name; 422 for a weak password or an unknown role)."""
    if store.users.by_name(body.username.strip().lower()) is not None:
        raise HTTPException(409, "That username is already taken.")
    added = store.users.add(body.username, body.password, body.role)
    commit(store, auth.user, "create", "user", resource_id=added.id)
    return JSONResponse(_user_json(added), status_code=201)


@router.patch("/api/users/{user_id}", summary="Change a user", responses=_CONFLICT)
def api_change_user(
    user_id: Id, body: UserPatch, auth: AdminSession, store: StoreDep
) -> dict[str, Any]:
    """Change role, sign-in or password (only the fields sent); 409 for a change that would
    lock you out of user management."""
    if user_id == auth.user.id and ((body.role and body.role != "admin") or body.active is False):
        raise HTTPException(409, "That would lock you out of user management; ask another admin.")
    changed = _change(
        store, auth.user, user_id, role=body.role, active=body.active, password=body.password
    )
    commit(store, auth.user, "update", "user", resource_id=user_id)
    return _user_json(changed)
