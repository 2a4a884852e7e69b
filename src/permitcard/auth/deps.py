"""Request dependencies: who is signed in, and may they do this (function-level, from the table)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from permitcard.auth import service
from permitcard.auth.domain import has_permission
from permitcard.auth.service import CurrentUser
from permitcard.db import Database
from permitcard.shared.errors import Forbidden, Unauthenticated
from permitcard.shared.web import CSRF_HEADER, check_csrf

SESSION_COOKIE = "pc_session"
_SAFE = {"GET", "HEAD", "OPTIONS"}


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
        if request.url.path.startswith("/api/") and request.method not in _SAFE:
            check_csrf(request, request.headers.get(CSRF_HEADER))
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
