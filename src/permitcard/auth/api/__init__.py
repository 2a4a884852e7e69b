"""JSON routes of the auth context: sessions and accounts, onboarding (employers, invitations,
passwords), staff account care."""


from permitcard.auth.api import onboarding, session
from permitcard.auth.api.session import set_session_cookie
from permitcard.shared.routes import Routes

router = Routes()
router.include(session.router)
router.include(onboarding.router)

__all__ = ["router", "set_session_cookie"]
