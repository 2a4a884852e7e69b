"""Accounts from the command line; a production start creates none by itself."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select, text

from permitcard.auth.models import User
from permitcard.db import make_engine


def _cli(args: list[str], url: str, tmp_path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url, PERMITCARD_VAR_DIR=str(tmp_path), PERMITCARD_ENVIRONMENT="production")
    return subprocess.run([sys.executable, "-m", "permitcard.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=120)


def test_production_start_has_no_accounts_until_an_admin_is_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    assert _cli(["db", "upgrade"], url, tmp_path).returncode == 0
    engine = make_engine(url)
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(User)).scalar_one() == 0
        assert c.execute(text("SELECT count(*) FROM bank")).scalar_one() == 0

    weak = _cli(["users", "create-admin", "root@example.com"], url, tmp_path, stdin="pass1\npass1\n")
    assert weak.returncode == 2 and "at least 12" in (weak.stdout + weak.stderr)

    common = _cli(["users", "create-admin", "root@example.com"], url, tmp_path, stdin="qwerty123456\nqwerty123456\n")
    assert common.returncode == 2 and "too common" in (common.stdout + common.stderr)

    ok = _cli(["users", "create-admin", "root@example.com"], url, tmp_path,
              stdin="a long admin passphrase\na long admin passphrase\n")
    assert ok.returncode == 0, ok.stderr
    with engine.connect() as c:
        roles = c.execute(select(User.role, User.email)).all()
        enrolled = c.execute(select(User.totp_secret, User.totp_confirmed_at)).all()
    assert roles == [("admin", "root@example.com")]
    # Nobody is enrolled by the system: the administrator sets up their factor at the first sign-in.
    assert enrolled == [(None, None)]
    engine.dispose()
