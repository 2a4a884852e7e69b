"""HTML routes of the auth context: sign-in, account, employers' onboarding, staff accounts."""

from fastapi import APIRouter

from permitcard.auth.pages import account, employers, signin
from permitcard.auth.pages.signin import HOME_BY_ROLE, home_for, safe_next

router = APIRouter(include_in_schema=False)
for _module in (signin, account, employers):
    router.include_router(_module.router)

__all__ = ["HOME_BY_ROLE", "home_for", "router", "safe_next"]
