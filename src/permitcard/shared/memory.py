"""A long-running process's memory: few malloc arenas.

glibc gives a thread that finds the arenas busy an arena of its own, up to eight per core. The web
process runs its use cases in a pool of threads, so after a load it holds many arenas, each keeping
freed memory it cannot return (measured: 153 MB after the bench's journeys on SQLite; 139 MB with two
arenas). ``few_arenas`` sets the limit from inside the process, as ``MALLOC_ARENA_MAX=2`` would from
outside, before the threads start; an operator's own MALLOC_ARENA_MAX wins, and elsewhere than glibc it
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_ARENA_MAX = -8  # malloc.h


def few_arenas(n: int = 2) -> bool:
    """Limit malloc to ``n`` arenas; whether the limit was set."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        # The interpreter's own symbols include its C library's: no ``find_library``, which runs
        # ``ldconfig`` in a subprocess (35 ms of every start, measured), unless they do not.
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "mallopt"):
            name = ctypes.util.find_library("c")
            if not name:
                return False
            libc = ctypes.CDLL(name)
    except OSError:
        return False
    if not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, n))
