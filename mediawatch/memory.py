"""Give the C heap's free pages back to the system between batches.

glibc keeps memory that Python and the libraries freed (a batch's raw pages
of 100-200 KB each, its Arrow tables) in its heap for reuse, and a heap
fragmented by a long run holds it for good: the process's resident size then
grows with the run though what it uses does not. `malloc_trim` returns every
free page; elsewhere than glibc there is nothing to do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None on a C library without it (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system; whether the C library could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
