"""Who holds the e-card a request is made with: a bearer token (mobile app, no cookies, no CSRF) or the
e-card's page session cookie (CSRF header required on API changes, form token on pages)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from permitcard.auth.deps import get_db
from permitcard.db import Database
from permitcard.ecard import service
from permitcard.ecard.errors import EcardSignInNeeded
from permitcard.ecard.sessions import ACCESS, PENDING, SESSION, Holder
from permitcard.shared import web
from permitcard.shared.web import check_api_csrf

ECARD_COOKIE = web.ECARD_COOKIE
bearer_scheme = HTTPBearer(auto_error=False, scheme_name="ecardBearer",
                           description="An e-card access token from `POST /api/v1/ecard/tokens` (10 minutes).")


def api_holder(*, pending: bool = False) -> Callable[..., Coroutine[Any, Any, Holder]]:
    """The holder of a verified e-card (or, with ``pending``, of one waiting for its code)."""
    bearer_kinds = (PENDING,) if pending else (ACCESS,)
    cookie_kinds = (PENDING,) if pending else (SESSION,)

    async def dependency(request: Request, db: Database = Depends(get_db),
                         credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)) -> Holder:
        if credentials is not None:
            holder = await run_in_threadpool(service.holder_for, db, credentials.credentials, kinds=bearer_kinds)
            if holder is None:
                raise EcardSignInNeeded()
            return holder
        holder = await run_in_threadpool(service.holder_for, db, request.cookies.get(ECARD_COOKIE),
                                         kinds=cookie_kinds)
        if holder is None:
            raise EcardSignInNeeded()
        check_api_csrf(request, bearer_authenticated=False)
        return holder

    return dependency


async def page_holder(request: Request, db: Database = Depends(get_db)) -> Holder | None:
    """The holder of the page session (verified or pending), or None."""
    return await run_in_threadpool(service.holder_for, db, request.cookies.get(ECARD_COOKIE),
                                   kinds=(SESSION, PENDING))
