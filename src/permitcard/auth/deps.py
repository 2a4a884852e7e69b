"""Request dependencies: who is signed in, and may they do this (function-level, from the table).

Routers get the acting user of a use case from one dependency: ``actor: Actor = Depends(acting("perm"))``
(signed in, holding the permission, with the client's address); ``require`` where a route needs the
account itself (``CurrentUser``) rather than an actor.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from permitcard.auth import service
from permitcard.auth.domain import ROLE_LABELS, Role, has_permission
from permitcard.auth.service import CurrentUser
from permitcard.db import Database
from permitcard.shared import web
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, Forbidden, Unauthenticated
from permitcard.shared.web import check_api_csrf

SESSION_COOKIE = web.SESSION_COOKIE


# Dependencies that touch no database are `async def`: FastAPI runs sync dependencies in the
# thread pool, and each hop there costs about a millisecond (measured with wrk, bench/REPORT.md).
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def optional_user(request: Request) -> CurrentUser | None:
    """The account of the request's session, or None: looked up once per request (kept on
    ``request.state``)."""
    state = request.state
    try:
        return state.user  # type: ignore[no-any-return]
    except AttributeError:
        token = request.cookies.get(SESSION_COOKIE)
        db: Database = request.app.state.db
        user: CurrentUser | None = None
        if token and db.is_sqlite:
            # One indexed read of a local file, shorter than a hop to the thread pool and back; the
            # rare write of the last-seen stamp (it may wait for the one writer) goes to the pool.
            user, stale = service.read_session(db, token)
            if stale:
                await run_in_threadpool(service.touch_session, db, token)
        elif token:
            user = await run_in_threadpool(service.session_user, db, token)
        state.user = user
        return user


def role_refusal(role: str, *permissions: str) -> Forbidden:
    """A 403 that says why: which roles use this page, and which role the reader signed in with."""
    allowed = [r for r in Role if any(has_permission(r.value, p) for p in permissions)]
    return Forbidden(N_("This page is for: %(roles)s. You are signed in as: %(role)s."),
                     roles=RoleList(allowed), role=RoleList([Role(role)]))


class RoleList(list[Role]):
    """Role names translated when the message is (``i18n.translate`` localises ``%s`` parameters)."""

    def __str__(self) -> str:
        from permitcard.shared import i18n

        sep = "、" if i18n.get_locale() == "zh_Hans" else ", "
        return sep.join(i18n.gettext(ROLE_LABELS[r]) for r in self) if self else "—"


async def _allowed(request: Request, permissions: tuple[str, ...]) -> CurrentUser:
    """The signed-in user holding one of ``permissions`` (any signed-in user if none are named). API calls
    that change state also need the CSRF header. One function, not a chain of dependencies: FastAPI
    solves each level of a chain on every request."""
    user = await optional_user(request)
    if user is None:
        raise Unauthenticated()
    if request.scope["path"].startswith("/api/"):
        # The account was found from the session cookie (never a bearer token): CSRF applies.
        check_api_csrf(request, bearer_authenticated=False)
    if permissions and not any(has_permission(user.role, p) for p in permissions):
        raise role_refusal(user.role, *permissions)
    return user


def require(permission: str | None = None) -> Callable[..., Coroutine[Any, Any, CurrentUser]]:
    """A signed-in user holding ``permission``. API calls that change state also need the CSRF header."""
    permissions = (permission,) if permission is not None else ()

    async def dependency(request: Request) -> CurrentUser:
        return await _allowed(request, permissions)

    return dependency


def require_any(*permissions: str) -> Callable[..., Coroutine[Any, Any, CurrentUser]]:
    async def dependency(request: Request) -> CurrentUser:
        return await _allowed(request, permissions)

    return dependency


def acting(permission: str | None = None) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """The signed-in user holding ``permission`` (any signed-in user if None) as the ``Actor`` of a use
    case, with the client's address."""
    permissions = (permission,) if permission is not None else ()

    async def dependency(request: Request) -> Actor:
        return (await _allowed(request, permissions)).actor(client_ip(request))

    return dependency


def acting_any(*permissions: str) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """Like ``acting``, for a user holding at least one of ``permissions``."""

    async def dependency(request: Request) -> Actor:
        return (await _allowed(request, permissions)).actor(client_ip(request))

    return dependency
