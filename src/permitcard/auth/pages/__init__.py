"""HTML routes of the auth context: sign-in, account, employers' onboarding, staff accounts."""


from permitcard.auth.pages import account, employers, signin
from permitcard.auth.pages.signin import HOME_BY_ROLE, home_for, safe_next
from permitcard.shared.routes import Routes

router = Routes(include_in_schema=False)
for _module in (signin, account, employers):
    router.include(_module.router)

__all__ = ["HOME_BY_ROLE", "home_for", "router", "safe_next"]
