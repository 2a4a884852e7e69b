"""Request dependencies: who is signed in, and may they do this (function-level, from the table).

Routers get the acting user of a use case from one dependency: ``actor: Actor = Depends(acting("perm"))``
(signed in, holding the permission, with the client's address); ``require`` where a route needs the
account itself (``CurrentUser``) rather than an actor.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from permitcard.auth import service
from permitcard.auth.domain import has_permission
from permitcard.auth.service import CurrentUser
from permitcard.db import Database
from permitcard.shared import web
from permitcard.shared.audit import Actor
from permitcard.shared.errors import Forbidden, Unauthenticated
from permitcard.shared.web import check_api_csrf

SESSION_COOKIE = web.SESSION_COOKIE


# Dependencies that touch no database are `async def`: FastAPI runs sync dependencies in the
# thread pool, and each hop there costs about a millisecond (measured with wrk, bench/REPORT.md).
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def optional_user(request: Request, db: Database = Depends(get_db)) -> CurrentUser | None:
    if not hasattr(request.state, "user"):
        token = request.cookies.get(SESSION_COOKIE)
        request.state.user = await run_in_threadpool(service.session_user, db, token) if token else None
    user: CurrentUser | None = request.state.user
    return user


def require(permission: str | None = None) -> Callable[..., Coroutine[Any, Any, CurrentUser]]:
    """A signed-in user holding ``permission``. API calls that change state also need the CSRF header."""

    async def dependency(request: Request, user: CurrentUser | None = Depends(optional_user)) -> CurrentUser:
        if user is None:
            raise Unauthenticated()
        if request.url.path.startswith("/api/"):
            # The account was found from the session cookie (never a bearer token): CSRF applies.
            check_api_csrf(request, bearer_authenticated=False)
        if permission is not None and not has_permission(user.role, permission):
            raise Forbidden()
        return user

    return dependency


def require_any(*permissions: str) -> Callable[..., Coroutine[Any, Any, CurrentUser]]:
    async def dependency(request: Request, user: CurrentUser = Depends(require())) -> CurrentUser:
        if not any(has_permission(user.role, p) for p in permissions):
            raise Forbidden()
        return user

    return dependency


def acting(permission: str | None = None) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """The signed-in user holding ``permission`` (any signed-in user if None) as the ``Actor`` of a use
    case, with the client's address."""
    check = require(permission)

    async def dependency(request: Request, user: CurrentUser = Depends(check)) -> Actor:
        return user.actor(client_ip(request))

    return dependency


def acting_any(*permissions: str) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """Like ``acting``, for a user holding at least one of ``permissions``."""
    check = require_any(*permissions)

    async def dependency(request: Request, user: CurrentUser = Depends(check)) -> Actor:
        return user.actor(client_ip(request))

    return dependency
