"""Between batches the C heap's free pages go back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# In a fresh interpreter, so that the heap is as a run's is and not as the test session left it:
# 100 KB blocks (under glibc's mmap threshold: they come from the heap), each followed by a
# small block that stays, so the freed space cannot shrink the heap by itself. Prints the MB
# given back by freeing the big blocks, then by `release_free_memory`.
FRAGMENT = """
import os
from mediawatch.memory import release_free_memory

def resident():
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20

blocks, keepers = [], []
for i in range(1500):
    blocks.append(bytes([i % 251]) * 100_000)
    keepers.append(bytes([i % 13]) * 1_000)
full = resident()
del blocks
freed = resident()
assert release_free_memory()
print(full - freed, freed - resident(), len(keepers))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_pages_a_batch_freed_in_a_fragmented_heap_are_given_back() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRAGMENT], capture_output=True, text=True, check=True
    )
    by_freeing, by_release, kept = (int(n) for n in done.stdout.split())
    assert by_freeing < 20  # glibc keeps what was freed...
    assert by_release > 100  # ...until it is released
    assert kept == 1500
