"""One warehouse writer at a time across flow runs: a Prefect global concurrency limit.

DuckDB lets one process write a file. Runs that overlap (a schedule firing
while a manual run loads) queue for the single slot of a named global
concurrency limit instead of fighting over the file lock; the limit lives in
the Prefect API the runs report to, so it holds across processes and
workers. A DuckDB client a user opens is outside Prefect: that case is left to
the loader's lock retries and spool.

Taking the slot is an API call, and on the SQLite database of Prefect's
temporary server it often meets "database is locked" and waits two seconds
for Prefect's retry. `SlotRequest` asks for it ahead of need, in a background
thread, so that wait overlaps the batch's classification and validation.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency


def ensure_limit(name: str) -> None:
    """Create the limit with one slot, or set an existing one back to one slot."""
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, 1)


@contextmanager
def write_slot(name: str) -> Iterator[None]:
    """Hold the limit's one slot for the block; wait while another run holds it."""
    with concurrency(name, occupy=1, strict=True):
        yield


class SlotRequest:
    """The write slot, asked for now and taken by a background thread while the caller works.

    The thread holds it from when it is granted until `release`; the caller
    `wait`s for it before writing.
    """

    def __init__(self, name: str) -> None:
        self._granted: Future[None] = Future()
        self._released = threading.Event()
        executor = ThreadPoolExecutor(1, thread_name_prefix=f"write-slot-{name}")
        # The thread sees this one's Prefect settings and run context.
        self._holder = executor.submit(contextvars.copy_context().run, self._hold, name)
        executor.shutdown(wait=False)

    def _hold(self, name: str) -> None:
        with write_slot(name):
            self._granted.set_result(None)
            self._released.wait()

    def wait(self) -> None:
        """Block until the slot is held; raise what stopped it from being taken."""
        wait([self._granted, self._holder], return_when=FIRST_COMPLETED)
        if not self._granted.done():
            self._holder.result()

    def release(self) -> None:
        """Let the slot go: now if it is held, else as soon as it is granted."""
        self._released.set()
        if self._granted.done():
            self._holder.result()
