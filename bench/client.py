"""A small HTTP/1.1 keep-alive client on asyncio streams: cheap enough not to be the bottleneck.

One `Conn` is one TCP connection to 127.0.0.1; requests on it are sequential (a client waits for
its answer, as a person at a counter does). Cookies are not kept on the connection: each request
carries the `Account` session it acts as, so one connection can play the employer then the officer.

`sign_in` is the ONE place the bench signs in (the permitcard API and the bare app answer the same
`POST /api/v1/session`); a second factor for staff is added there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"  # the bench never sends traffic anywhere else
TIMEOUT = 60.0  # seconds for one answer: a stuck server fails the cell instead of hanging it


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def cookies(self) -> dict[str, str]:
        out = {}
        for name, value in self.headers:
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                k, _, v = pair.partition("=")
                out[k.strip()] = v.strip().strip('"')
        return out


@dataclass
class Account:
    """A signed-in session: its cookies and the CSRF token sent as X-CSRF-Token."""

    email: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def header_lines(self) -> str:
        lines = ""
        if self.cookies:
            lines += "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n"
        if self.csrf:
            lines += f"X-CSRF-Token: {self.csrf}\r\n"
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"email": self.email, "cookies": self.cookies, "csrf": self.csrf}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Account:
        return cls(email=d["email"], cookies=dict(d["cookies"]), csrf=d["csrf"])


class HTTPError(Exception):
    def __init__(self, what: str, response: Response) -> None:
        super().__init__(f"{what}: HTTP {response.status} {response.body[:300]!r}")
        self.response = response


class Conn:
    def __init__(self, port: int, host: str = HOST) -> None:
        assert host == HOST, "bench traffic goes to 127.0.0.1 only"
        self.host, self.port = host, port
        self._r: asyncio.StreamReader | None = None
        self._w: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self._r, self._w = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._w is not None:
            self._w.close()
            with contextlib.suppress(OSError):
                await self._w.wait_closed()
        self._r = self._w = None

    async def request(self, method: str, path: str, body: bytes = b"", *, account: Account | None = None,
                      content_type: str = "application/json") -> Response:
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: application/json\r\n"
                f"Accept-Language: en\r\n")
        if account is not None:
            head += account.header_lines()
        if body or method in ("POST", "PUT", "PATCH"):
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        raw = head.encode() + b"\r\n" + body
        for attempt in (0, 1):
            fresh = self._w is None
            if fresh:
                await self._open()
            assert self._w is not None and self._r is not None
            try:
                self._w.write(raw)
                return await asyncio.wait_for(self._read(), TIMEOUT)
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed an idle keep-alive connection: reconnect once, never on a fresh one.
                await self.close()
                if fresh or attempt:
                    raise
        raise AssertionError("unreachable")

    async def _read(self) -> Response:
        assert self._r is not None
        head = await self._r.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        length = -1
        chunked = close = False
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers.append((name, value))
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self._r.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self._r.readuntil(b"\r\n")
                    break
                parts.append(await self._r.readexactly(size))
                await self._r.readexactly(2)
            body = b"".join(parts)
        elif length >= 0:
            body = await self._r.readexactly(length)
        else:
            body = await self._r.read()
            close = True
        if close:
            await self.close()
        return Response(status, headers, body)

    async def json(self, method: str, path: str, payload: Any = None, *, account: Account | None = None,
                   expect: tuple[int, ...] = (200, 201), what: str = "") -> Any:
        body = json.dumps(payload).encode() if payload is not None else b""
        r = await self.request(method, path, body, account=account)
        if r.status not in expect:
            raise HTTPError(what or f"{method} {path}", r)
        return r.json()


async def sign_in(conn: Conn, email: str, password: str, *, totp_secret: str | None = None) -> Account:
    """Sign in through the API as a client would; the session cookie and CSRF token come back.

    The ONE sign-in of the bench: when staff need a second factor, the code from ``totp_secret``
    goes into the body here (and the seed's secrets into ``accounts``).
    """
    body: dict[str, str] = {"email": email, "password": password}
    if totp_secret:
        body["totp_code"] = totp_code(totp_secret)
    r = await conn.request("POST", "/api/v1/session", json.dumps(body).encode())
    if r.status != 200:
        raise HTTPError(f"sign-in of {email}", r)
    return Account(email=email, cookies=r.cookies(), csrf=str(r.json()["csrf_token"]))


def totp_code(secret_b32: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (SHA-1), for staff accounts with a second factor."""
    import base64
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(value).zfill(digits)


def multipart(fields: dict[str, str], file_field: str, filename: str, data: bytes,
              file_type: str = "image/jpeg") -> tuple[bytes, str]:
    """A multipart/form-data body (for the photo upload of the card journey's preparation)."""
    boundary = "benchboundary7f3a9c"
    out = b""
    for k, v in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").encode()
    out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {file_type}\r\n\r\n").encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"
