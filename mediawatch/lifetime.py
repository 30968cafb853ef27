"""Child processes that end with their parent, even when the parent is killed with SIGKILL.

A process killed outright runs no cleanup, so its children (the temporary
Prefect API server, the extraction workers) would live on, holding ports and
memory. Two mechanisms, both set up in the child: Linux's parent-death signal
(`prctl(PR_SET_PDEATHSIG)`), which the kernel sends when the parent thread
exits, and a watchdog thread that exits the child once a given pid is gone,
for a child whose parent is not the process to follow (a worker forked by the
forkserver follows the run's process) or a system without `prctl`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_WATCH_SECONDS = 0.5


def die_with_parent(sig: int = signal.SIGTERM, *, parent: int | None = None) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux only).

    Called first thing in the child (the setting survives a later exec). If
    the parent (`parent`, when given) is already gone, exit now: the signal
    would never come.
    """
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _stat(pid: int) -> list[str] | None:
    """The fields of `/proc/<pid>/stat` after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def alive(pid: int) -> bool:
    """Whether a process with this id exists and has not ended (a zombie has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat(pid)
    return fields is None or fields[0] != "Z"


def started(pid: int) -> str | None:
    """When `pid` started (clock ticks after boot), None if it is gone: a reused pid differs."""
    fields = _stat(pid)
    return fields[19] if fields else None


def runs(pid: int, program: bytes) -> bool:
    """Whether `pid` is alive and still the program its command line names (pids are reused).

    A process in the middle of its exec has an empty command line for a moment
    (longer on a busy machine): that one counts as running while it is alive.
    """
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return program in command if command else alive(pid)


def exit_when_gone(pid: int) -> None:
    """Start a daemon thread that ends this process within half a second of `pid` ending."""

    def watch() -> None:
        while alive(pid) and os.getppid() != 1:
            time.sleep(_WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name=f"exit-when-{pid}-ends", daemon=True).start()
