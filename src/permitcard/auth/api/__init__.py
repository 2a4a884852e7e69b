"""JSON routes of the auth context: sessions and accounts, onboarding (employers, invitations,
passwords), staff account care."""

from fastapi import APIRouter

from permitcard.auth.api import onboarding, session
from permitcard.auth.api.session import set_session_cookie

router = APIRouter()
router.include_router(session.router)
router.include_router(onboarding.router)

__all__ = ["router", "set_session_cookie"]
