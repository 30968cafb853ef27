"""Between batches the C heap's free pages go back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import os
import platform

import pytest

from mediawatch.memory import release_free_memory

MB = 1024 * 1024


def resident() -> int:
    """This process's resident set size in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_pages_a_batch_freed_in_a_fragmented_heap_are_given_back() -> None:
    release_free_memory()
    # 100 KB blocks (under glibc's mmap threshold: they come from the heap), each
    # followed by a small block that stays, so the freed space cannot shrink the heap.
    blocks, keepers = [], []
    for i in range(1500):
        blocks.append(bytes([i % 251]) * 100_000)
        keepers.append(bytes([i % 13]) * 1_000)
    del blocks
    before = resident()
    assert release_free_memory()
    assert before - resident() > 100 * MB
    assert len(keepers) == 1500
