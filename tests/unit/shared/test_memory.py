"""The web and worker processes limit glibc's malloc arenas, unless the operator set MALLOC_ARENA_MAX."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from permitcard.shared.memory import few_arenas


def test_the_operators_own_malloc_arena_max_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert few_arenas() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_glibc_takes_the_limit_in_a_fresh_process():
    code = ("import os; os.environ.pop('MALLOC_ARENA_MAX', None)\n"
            "from permitcard.shared import memory\n"
            "assert memory.few_arenas() is True\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_served_app_is_built_without_the_cyclic_collector_and_then_frozen(tmp_path):
    """`uvicorn permitcard.asgi:app`: the collector is back on once the app is built, and what the build
    made is out of its reach (a full collection no longer walks the routes and mappers)."""
    code = ("import gc\n"
            "import permitcard.asgi as asgi\n"
            "assert asgi.app is not None\n"
            "assert gc.isenabled()\n"
            "assert gc.get_freeze_count() > 50_000, gc.get_freeze_count()\n"
            "asgi.app.state.db.close()\n")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/start.db",
           "PERMITCARD_VAR_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, env=env)
