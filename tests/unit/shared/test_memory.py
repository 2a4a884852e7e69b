"""The web and worker processes limit glibc's malloc arenas, unless the operator set MALLOC_ARENA_MAX."""

from __future__ import annotations

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
