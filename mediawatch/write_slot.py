"""One warehouse writer at a time across flow runs: a Prefect global concurrency limit.

DuckDB lets one process write a file. Runs that overlap (a schedule firing
while a manual run loads) queue for the single slot of a named global
concurrency limit instead of fighting over the file lock; the limit lives in
the Prefect API the runs report to, so it holds across processes and
workers. A DuckDB client a user opens is outside Prefect: that case is left to
the loader's lock retries and spool.

The slot is taken with a lease through Prefect's client, as Prefect's own
`concurrency()` takes it, with one difference: on a SQLite-backed API (the
temporary server of a CLI run, or a default `prefect server start`) about
half the requests meet "database is locked" and come back 503, which
Prefect's client retries after 2 s, then 4 s. Those are retried here after
50 ms instead. `SlotRequest` also asks for the slot ahead of need, in a
background thread, so any wait overlaps the batch's stages. The lease
(`LEASE_SECONDS`) frees the slot if its holder dies; it is not renewed, so a
write that holds it longer (reclassifying a very large warehouse) may see
another run start writing, which DuckDB's own lock then makes retry or spool.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.exceptions import PrefectHTTPStatusError
from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings

from mediawatch.errors import MediawatchError

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

_T = TypeVar("_T")
# Longer than any batch holds the slot, short enough that a crashed run frees it soon.
LEASE_SECONDS = 600.0
_BUSY_RETRY_SECONDS = 0.05
_BUSY_GIVE_UP_SECONDS = 60.0
_LOCKED = 423  # the slot is taken: wait as long as the API's Retry-After says
_BUSY = 503  # the API's database was busy: try again at once


class WriteSlotMissing(MediawatchError):
    """The concurrency limit to take the slot from does not exist in the Prefect API."""


def ensure_limit(name: str) -> None:
    """Create the limit with one slot, or set an existing one back to one slot."""
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, 1)


@contextmanager
def write_slot(name: str) -> Iterator[None]:
    """Hold the limit's one slot for the block; wait while another run holds it."""
    with get_client(sync_client=True) as client:
        lease = _acquire(client, name)
        try:
            yield
        finally:
            _busy_retried(lambda: client.release_concurrency_slots_with_lease(lease))


def _acquire(client: SyncPrefectClient, name: str) -> UUID:
    """Take the slot, waiting while it is held elsewhere; return the lease id."""
    while True:
        try:
            response = _busy_retried(
                lambda: client.increment_concurrency_slots_with_lease(
                    names=[name], slots=1, mode="concurrency", lease_duration=LEASE_SECONDS
                )
            )
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code != _LOCKED:
                raise
            time.sleep(float(exc.response.headers.get("Retry-After", 1)))
            continue
        granted = response.json()
        if not granted["limits"]:
            raise WriteSlotMissing(f"there is no Prefect concurrency limit named {name!r}")
        return UUID(granted["lease_id"])


def _busy_retried(request: Callable[[], _T]) -> _T:
    """Make a Prefect API request, repeating it every 50 ms while the API answers 503.

    Gives up (raising the 503) after `_BUSY_GIVE_UP_SECONDS` of busy answers.
    """
    deadline = time.monotonic() + _BUSY_GIVE_UP_SECONDS
    while True:
        try:
            with temporary_settings(updates={PREFECT_CLIENT_MAX_RETRIES: 0}):
                return request()
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code != _BUSY or time.monotonic() > deadline:
                raise
        time.sleep(_BUSY_RETRY_SECONDS)


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
