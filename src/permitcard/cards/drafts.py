"""Answers of a multi-page form kept between pages in a sealed cookie (AES-GCM, HttpOnly, SameSite).

No personal data in URLs, POST-redirect-GET on every page, the browser's back button works.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from permitcard.shared import crypto

APPLICANT_COOKIE, APPLICANT_PATH = "pc_card_draft", "/my/card"
BRANCH_COOKIE, BRANCH_PATH = "pc_branch_draft", "/branch/applications"


def read_draft(request: Request, cookie: str = APPLICANT_COOKIE) -> dict[str, str]:
    raw = request.cookies.get(cookie)
    if not raw:
        return {}
    try:
        data = json.loads(crypto.decrypt(raw))
    except Exception:  # a tampered or stale cookie is an empty draft
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_draft(response: Response, data: dict[str, Any], *, cookie: str = APPLICANT_COOKIE,
                path: str = APPLICANT_PATH) -> Response:
    response.set_cookie(cookie, crypto.encrypt(json.dumps(data)), httponly=True, samesite="strict",
                        max_age=3600, path=path)
    return response


def clear_draft(response: Response, *, cookie: str = APPLICANT_COOKIE, path: str = APPLICANT_PATH) -> Response:
    response.delete_cookie(cookie, path=path)
    return response
