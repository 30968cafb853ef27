"""One warehouse writer at a time across flow runs: a Prefect global concurrency limit.

DuckDB lets one process write a file. Runs that overlap (a schedule firing
while a manual run loads) queue for the single slot of a named global
concurrency limit instead of fighting over the file lock; the limit lives in
the Prefect API the runs report to, so it holds across processes and
workers. A DuckDB client a user opens is outside Prefect: that case is left to
the loader's lock retries and spool.
"""

from __future__ import annotations

from collections.abc import Iterator
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
