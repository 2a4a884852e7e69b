"""The browser harness: a real server (real migrations, real CLI) and headless Debian Chromium.

Every test in this folder is marked ``e2e``. One server and one browser per session; a fresh
browser context (cookies, language) per test.

    .venv/bin/pytest tests/e2e -q
    PERMITCARD_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/pytest tests/e2e -q
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_URL, fresh_pg_database

E2E_DIR = Path(__file__).resolve().parent
ROOT = E2E_DIR.parents[1]
BIN = Path(sys.executable).parent
PERMITCARD = str(BIN / "permitcard")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CLOCK_START = "2026-11-27T09:00:00+08:00"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ACCEPT_LANGUAGE = {"en": "en-GB,en;q=0.9", "zh-Hans": "zh-CN,zh;q=0.9"}
DESKTOP = {"width": 1280, "height": 900}
# The server's Ed25519 seed for signed QR codes: the journey recomputes the notice's signed address.
SIGNING_SEED = os.urandom(32)
MOBILE = {"width": 375, "height": 812}

LANGS = ["en", "zh-Hans"]
LIVE: dict[str, Path] = {}  # the live server's var folder (its mail drop is var/mail)
LIVE_DB: dict[str, str] = {}  # the live server's database URL
LIVE_ENV: dict[str, str] = {}  # the live server's environment (to run `permitcard` commands against its database)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


# --------------------------------------------------------------------------- the server

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_env(tmp: Path, port: int, database_url: str) -> dict[str, str]:
    # Start from the outer environment without any PERMITCARD_* that tests/conftest.py set for
    # in-process tests: the live server is configured here and only here.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERMITCARD_") and k != "DATABASE_URL"}
    env.update({
        "PERMITCARD_VAR_DIR": str(tmp),
        "DATABASE_URL": database_url,
        "PERMITCARD_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "PERMITCARD_SIGNING_KEY": base64.b64encode(SIGNING_SEED).decode(),
        "PERMITCARD_BASE_URL": f"http://127.0.0.1:{port}",
        "PERMITCARD_CLOCK_START": CLOCK_START,
        "PERMITCARD_ENVIRONMENT": "test",
        "PYTHONUNBUFFERED": "1",
        "NO_COLOR": "1",
    })
    return env


def _run_cli(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([PERMITCARD, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        pytest.fail(f"`permitcard {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
                    pytrace=False)


def _wait_healthy(base_url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}",
                        pytrace=False)
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as r:  # noqa: S310 - local server
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling a process that is starting up: no browser wait applies here
    pytest.fail(f"the server did not answer /healthz within {timeout}s:\n{log.read_text(errors='replace')}",
                pytrace=False)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """A running ``permitcard serve`` on a migrated, demo-seeded database; yields its base URL."""
    tmp = Path(tempfile.mkdtemp(prefix="permitcard-e2e-"))
    port = _free_port()
    databases = contextlib.ExitStack()
    database_url = (databases.enter_context(fresh_pg_database("permitcard_e2e")) if PG_URL
                    else f"sqlite:///{tmp}/e2e.db")
    env = _server_env(tmp, port, database_url)
    LIVE["var_dir"] = tmp
    LIVE_DB["url"] = database_url  # for a test that stands in for a CLI (e.g. a paper permit)
    LIVE_ENV.clear()
    LIVE_ENV.update(env)
    log = tmp / "server.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        _run_cli(["db", "upgrade"], env)
        _run_cli(["seed-demo"], env)
        with log.open("wb") as out:
            proc = subprocess.Popen([PERMITCARD, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                    env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, proc, log)
        yield base_url
        if proc.poll() is not None:
            print(f"\n[e2e] the server died during the run ({proc.returncode}):\n{log.read_text(errors='replace')}")
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        server_log = log.read_text(errors="replace") if log.exists() else ""
        if "Traceback" in server_log:
            print(f"\n[e2e] server log had tracebacks:\n{server_log}")
        databases.close()
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- the browser

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _only_local(route: Any) -> None:
    """Never let the browser talk to anything but the local server."""
    url = route.request.url
    if url.startswith(("http://127.0.0.1:", "data:", "blob:", "about:")):
        route.continue_()
    else:
        route.abort()


def new_page(browser: Any, base_url: str, lang: str = "en", viewport: dict[str, int] | None = None,
             *, cookie: bool = True, accept_language: str | None = None) -> Any:
    """A fresh context (own cookies) reading ``lang`` (Accept-Language, and the switcher's cookie
    unless ``cookie=False``), and its page."""
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport or DESKTOP,
        # No `locale=`: Chromium would send it as Accept-Language instead of the header below.
        extra_http_headers={"Accept-Language": accept_language or ACCEPT_LANGUAGE[lang]},
        timezone_id="Asia/Shanghai",
    )
    if cookie:
        context.add_cookies([{"name": "lang", "value": "zh_Hans" if lang == "zh-Hans" else "en", "url": base_url}])
    context.route("**/*", _only_local)
    context.set_default_timeout(15_000)
    page = context.new_page()
    return page


@pytest.fixture(params=LANGS)
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Any, live_server: str, lang: str) -> Iterator[Any]:
    """A desktop page (1280 wide) in a fresh context reading ``lang``."""
    p = new_page(browser, live_server, lang)
    yield p
    p.context.close()


@pytest.fixture
def mobile_page(browser: Any, live_server: str, lang: str) -> Iterator[Any]:
    """A 375×812 page in a fresh context reading ``lang``."""
    p = new_page(browser, live_server, lang, MOBILE)
    yield p
    p.context.close()


@pytest.fixture
def make_page(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """Several independent people (contexts) in one test: make_page(lang, viewport=None)."""
    pages: list[Any] = []

    def make(lang: str = "en", viewport: dict[str, int] | None = None, *, cookie: bool = True,
             accept_language: str | None = None) -> Any:
        p = new_page(browser, live_server, lang, viewport, cookie=cookie, accept_language=accept_language)
        pages.append(p)
        return p

    yield make
    for p in pages:
        p.context.close()


# --------------------------------------------------------------------------- helpers

def shot(page: Any, name: str) -> Path:
    """A full-page PNG at test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return list(results.response.get("violations", []))


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v.get('help')}")
        for node in v.get("nodes", [])[:5]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {node.get('target')}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Any, name: str) -> None:
    """axe-core with the WCAG 2.0/2.1/2.2 A and AA rules: no violation at all."""
    violations = axe_violations(page)
    if violations:
        pytest.fail(f"{len(violations)} accessibility violation(s) on {name} ({page.url}):\n"
                    + format_violations(violations), pytrace=False)


class _LiveServerCodes:
    """One live server per session: the time steps used per e-mail are remembered under this key."""


_TOTP_SCOPE = _LiveServerCodes()


def login(page: Any, email: str, password: str, *, secret: str | None = None) -> None:
    """Sign in through the form, the way a person does; waits for the page after it. Staff then
    type the code from their authenticator: computed here from seed-demo's printed secret (or
    ``secret``), a fresh one each time (a code is good once)."""
    from permitcard.seed import demo_secret
    from tests.factories import totp_code

    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form[action='/login'] button[type=submit]").click()
    if "/login/code" in page.url:
        page.locator("#code").fill(totp_code(email, secret=secret or demo_secret(email), scope=_TOTP_SCOPE))
        with page.expect_navigation():
            page.locator("main form[action='/login/code'] button[type=submit]").click()
    if "/login" in page.url:
        pytest.fail(f"could not sign in as {email}: still on {page.url}", pytrace=False)


def logout(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form[action='/logout'] button").click()


def html_lang(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang"))


def zh_catalog() -> dict[str, str]:
    """msgid → msgstr of the Chinese catalog, the translated ones only (may be empty)."""
    po = ROOT / "src" / "permitcard" / "locale" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return {}
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    found = {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str) and m.string
             and not m.fuzzy}
    for m in catalog:  # a message with a plural form: both English forms read as the one Chinese form
        if isinstance(m.id, (tuple, list)) and m.string and m.string[0] and not m.fuzzy:
            found |= {str(form): str(m.string[0]) for form in m.id}
    return found


def text_for(lang: str, msgid: str) -> str:
    """What a reader of ``lang`` sees for ``msgid`` (the translation if there is one)."""
    if lang == "zh-Hans":
        return zh_catalog().get(msgid, msgid)
    return msgid


def page_routes() -> set[tuple[str, str]]:
    """(METHOD, path pattern with ``{}`` for parameters) of every HTML route the code defines now."""
    from permitcard.bootstrap import context_routes

    return {(method, re.sub(r"\{[^}]+\}", "{}", path))
            for routes in context_routes("pages") for method, path in routes.declared()}


def signed(message: str) -> str:
    """What the server's signing key makes of ``message`` (Ed25519, URL-safe base64 without padding)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    sig = Ed25519PrivateKey.from_private_bytes(SIGNING_SEED).sign(message.encode())
    return base64.urlsafe_b64encode(sig).decode().rstrip("=")


def mail_to(address: str, *, containing: str = "", timeout: float = 15) -> str:
    """The newest e-mail the live server sent to ``address`` (its outbox delivers it within a second
    or two of the commit): subject and body as text."""
    from email import message_from_bytes, policy

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = []
        for path in sorted((LIVE["var_dir"] / "mail").glob("*.eml")):
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            text = f"{msg['Subject']}\n{msg.get_content()}"  # type: ignore[attr-defined]
            if msg["To"] == address and containing in text:
                found.append(text)
        if found:
            return found[-1]
        time.sleep(0.2)  # a file written by another process: no browser wait applies here
    pytest.fail(f"no e-mail to {address} within {timeout}s", pytrace=False)
