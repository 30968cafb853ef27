"""One warehouse writer at a time: an `flock` on a file next to the warehouse.

DuckDB lets one process write a file. Runs that overlap (a schedule firing
while a manual run loads) queue for an exclusive `flock` on
`<warehouse>.lock` instead of fighting over DuckDB's own lock. The operating
system drops an `flock` when the process holding it dies, however it dies, so
a crashed run can never leave the warehouse held. (A Prefect global
concurrency limit was used before: the temporary API server of a CLI run
keeps its leases in memory, so a run killed while holding the slot left it
taken for good and every later run hung. A Prefect limit is only worth having
when runs on several machines share one warehouse through a Prefect server
with durable, renewed leases; the single-file DuckDB warehouse is one
machine's, so it is gone.)

The lock file also says who holds it (run id, pid, flow, since when), written
after the lock is taken and emptied before it is released. A run that waits
logs the holder at INFO every `_REPORT_SECONDS`, shows the wait in its flow
run's state in the Prefect UI (a Running state named `Waiting for
warehouse`, whose message names the holder, since when and the bound; back to
`Running` once the lock is taken), and gives up after
`load.lock_timeout` seconds with `WarehouseBusy`, a `WarehouseLocked`: a
batch load spools the batch, so nothing read is lost. A holder record left
by a killed process (the lock is free but the file is not empty) is logged
and cleared by the next writer.

`SlotRequest` takes the lock in a background thread, ahead of need, so any
wait overlaps the batch's stages. A DuckDB client a user opens is outside
this lock: that case is left to the loader's lock retries and the spool.
"""

from __future__ import annotations

import contextvars
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import get_client, get_run_logger
from prefect.client.schemas.objects import StateType
from prefect.exceptions import MissingContextError, PrefectHTTPStatusError
from prefect.runtime import flow_run
from prefect.states import Running

from mediawatch.errors import WarehouseLocked

_POLL_SECONDS = 0.05
_REPORT_SECONDS = 5.0
WAITING_STATE = "Waiting for warehouse"


class WarehouseBusy(WarehouseLocked):
    """Another run held the warehouse's writer lock longer than this run may wait."""


@dataclass(frozen=True, slots=True)
class WriterLock:
    """The lock file of one warehouse, and who takes it: which run, of which flow."""

    path: Path
    timeout: float
    run_id: str = ""
    flow: str = ""

    @classmethod
    def beside(
        cls, warehouse: Path | str, timeout: float, run_id: str = "", flow: str = ""
    ) -> WriterLock:
        """The lock for the warehouse file `warehouse`: `<warehouse>.lock` in its folder."""
        target = Path(warehouse)
        return cls(target.with_name(f"{target.name}.lock"), timeout, run_id, flow)


def _logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


def read_holder(path: Path) -> dict[str, object] | None:
    """The holder record in the lock file, or None if it is empty, missing or unreadable."""
    try:
        return json.loads(path.read_text("utf-8") or "null")
    except (OSError, ValueError):
        return None


def describe(holder: dict[str, object] | None) -> str:
    """`run X (pid N, flow F) since T`, or `another process` when nothing is recorded."""
    if not holder:
        return "another process"
    return (
        f"run {holder.get('run_id') or '?'} (pid {holder.get('pid')}, "
        f"flow {holder.get('flow') or '?'}) since {holder.get('since')}"
    )


def _show_state(name: str, message: str) -> None:
    """Put this flow run (if any) in a Running state named `name` with `message`, for the UI.

    Forced, because the server renames a second Running state "Rerunning";
    and only over a Running state, so a run being cancelled stays so. A
    refused request is logged: the wait goes on either way.
    """
    run_id = flow_run.get_id()
    if run_id is None:
        return
    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run_id).state
            if state is not None and state.type == StateType.RUNNING:
                client.set_flow_run_state(run_id, Running(name=name, message=message), force=True)
    except PrefectHTTPStatusError as exc:
        _logger().warning("could not show the warehouse wait in the run's state: %s", exc)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(fd: int, lock: WriterLock) -> None:
    """Take the lock on `fd`, reporting the holder while waiting; `WarehouseBusy` at the timeout."""
    if _try_lock(fd):
        return
    started = time.monotonic()
    gives_up = datetime.now(UTC).timestamp() + lock.timeout
    next_report = started
    shown = ""
    while not _try_lock(fd):
        now = time.monotonic()
        holder = describe(read_holder(lock.path))
        if now - started >= lock.timeout:
            raise WarehouseBusy(
                f"the warehouse is held by {holder}; gave up after waiting "
                f"{lock.timeout:g} s (load.lock_timeout)"
            )
        if now >= next_report:
            if holder != shown:
                until = datetime.fromtimestamp(gives_up, UTC).isoformat(timespec="seconds")
                _show_state(
                    WAITING_STATE,
                    f"waiting for the warehouse writer lock, held by {holder}; "
                    f"waits until {until} ({lock.timeout:g} s, load.lock_timeout)",
                )
                shown = holder
            _logger().info(
                "warehouse held by %s; waiting up to %g s", holder, lock.timeout - (now - started)
            )
            next_report = now + _REPORT_SECONDS
        time.sleep(_POLL_SECONDS)
    taken = f"warehouse writer lock taken after {time.monotonic() - started:.1f} s"
    if shown:
        _show_state("Running", taken)
    _logger().info(taken)


def _record(fd: int, lock: WriterLock) -> None:
    """Write this process as the holder, clearing (and logging) a record a crash left behind."""
    left = os.pread(fd, 4096, 0)
    if left:
        _logger().warning(
            "cleared a writer-lock record left by a process that ended without releasing it: %s",
            left.decode("utf-8", "replace"),
        )
    holder = {
        "run_id": lock.run_id,
        "pid": os.getpid(),
        "flow": lock.flow,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode(), 0)


@contextmanager
def write_slot(lock: WriterLock) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block; wait (bounded) while another holds it."""
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, lock)
        try:
            _record(fd, lock)
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class SlotRequest:
    """The writer lock, asked for now and taken by a background thread while the caller works.

    The thread holds it from when it is granted until `release`; the caller
    `wait`s for it before writing.
    """

    def __init__(self, lock: WriterLock) -> None:
        self._granted: Future[None] = Future()
        self._released = threading.Event()
        executor = ThreadPoolExecutor(1, thread_name_prefix="writer-lock")
        # The thread sees this one's Prefect settings and run context (for its logs).
        self._holder = executor.submit(contextvars.copy_context().run, self._hold, lock)
        executor.shutdown(wait=False)

    def _hold(self, lock: WriterLock) -> None:
        with write_slot(lock):
            self._granted.set_result(None)
            self._released.wait()

    def wait(self) -> None:
        """Block until the lock is held; raise what stopped it from being taken."""
        wait([self._granted, self._holder], return_when=FIRST_COMPLETED)
        if not self._granted.done():
            self._holder.result()

    def release(self) -> None:
        """Let the lock go: now if it is held, else as soon as it is granted."""
        self._released.set()
        if self._granted.done():
            self._holder.result()


def runs_folder(warehouse: Path | str) -> Path:
    """Where live runs keep their run locks: `<warehouse>.runs/` in the warehouse's folder."""
    target = Path(warehouse)
    return target.with_name(f"{target.name}.runs")


@contextmanager
def run_alive(folder: Path, run_id: str) -> Iterator[None]:
    """Hold `<folder>/<run_id>.lock` for the block: the run is alive while the lock is held.

    The file is removed at the end; a killed run leaves it, unlocked.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
    finally:
        os.close(fd)


def still_running(folder: Path, run_id: str) -> bool:
    """Whether a live process holds the run's lock; a run lock a crash left is removed."""
    path = folder / f"{run_id}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        if not _try_lock(fd):
            return True
        path.unlink(missing_ok=True)
        return False
    finally:
        os.close(fd)
