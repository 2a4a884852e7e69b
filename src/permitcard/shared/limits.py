"""Request body size limits, per route, enforced while the body streams in (issue 10).

Every request body is limited to ``Settings.max_body_bytes`` (64 KB: the largest form or JSON object of
the service is a few KB) unless its route asks for more with ``allow_body(...)`` (the photo upload).
A ``Content-Length`` above the limit is refused before a byte is read; a chunked body is counted as it
arrives and refused the moment it passes the limit. Either way ``BodyTooLarge`` (413) is raised from
``receive`` inside the app, so the app's error handlers answer it (problem+json or a page, in the
reader's language).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

# (method, path) -> the name of the setting that limits that route's body
_ROUTE_LIMITS: dict[tuple[str, str], str] = {}


def allow_body(method: str, path: str, setting: str) -> None:
    """Let one route (exact method and path) receive up to the bytes of the setting ``setting``."""
    _ROUTE_LIMITS[(method.upper(), path)] = setting


def limit_for(settings: Any, method: str, path: str) -> int:
    return int(getattr(settings, _ROUTE_LIMITS.get((method.upper(), path), "max_body_bytes")))


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail="Content Too Large")
        self.limit = limit


def human_size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{max(1, n // 1024)} KB"


class BodyLimitMiddleware:
    """Pure ASGI: counts the body as ``receive`` hands it to the app."""

    def __init__(self, app: Any, settings: Any) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(self.settings, scope.get("method", "GET"), scope.get("path", ""))
        declared: int | None = None
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        received = 0

        async def limited_receive() -> MutableMapping[str, Any]:
            nonlocal received
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message: MutableMapping[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
