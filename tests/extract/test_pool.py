"""The extraction pool's workers: set up to end with the run and to collect garbage less often."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest

from transforms.extract import _WORKER_GC_THRESHOLD, _start_worker


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """The test process's collector settings, put back after a test changed them."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_a_started_worker_freezes_what_it_imported_and_collects_less_often() -> None:
    assert gc.get_freeze_count() == 0
    _start_worker(os.getpid())  # its watcher thread waits on this process: it never fires
    assert gc.get_freeze_count() > 1000
    assert gc.get_threshold()[0] == _WORKER_GC_THRESHOLD > 700
