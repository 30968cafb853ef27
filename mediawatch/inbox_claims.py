"""One inbox, several runs: each saved file is claimed, and read, by one run only.

Claims live in the inbox itself, in `.mediawatch-claims/`, so that runs on
every machine that mounts the inbox see them. A run holds an `flock` on
`<run id>.alive` there for as long as it lives, and claims a file before
reading it by writing its run id into `<content hash>.claim` (keyed by the
bytes, like the saved_files registry). Claiming happens under a short
`flock` on `.mutex`, so two runs never both take a file. A claim whose run
is alive is left alone; one whose run is gone (its alive lock is free: the
kernel drops an `flock` however the process ended, kill -9 included) is
taken over. At its end a run removes its claims, after it has recorded
its files in saved_files, so a run that claims a file afterwards checks
the registry again and skips it as seen.

Over NFS, `flock` is mapped to NFS locks (Linux 2.6.12 and later), which the
server tracks; on a filesystem without working locks, give each machine its
own inbox.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from schemas.records import SavedFile

CLAIMS = ".mediawatch-claims"

logger = logging.getLogger(__name__)


def _free(path: Path) -> bool:
    """Whether nobody holds an `flock` on `path` (a missing file is free)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


class InboxClaims:
    """The claims one run holds on one inbox folder; a context manager for the run's life."""

    def __init__(self, inbox: Path, run_id: str) -> None:
        self.folder = inbox / CLAIMS
        self.run_id = run_id
        self._alive_fd: int | None = None
        self._mine: set[str] = set()

    def __enter__(self) -> InboxClaims:
        self.folder.mkdir(exist_ok=True)
        fd = os.open(self._alive_path(self.run_id), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._alive_fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._mutex():
            for key in self._mine:
                (self.folder / f"{key}.claim").unlink(missing_ok=True)
            self._alive_path(self.run_id).unlink(missing_ok=True)
        if self._alive_fd is not None:
            os.close(self._alive_fd)
            self._alive_fd = None

    def _alive_path(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.alive"

    @contextmanager
    def _mutex(self) -> Iterator[None]:
        fd = os.open(self.folder / ".mutex", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def claim(self, files: Sequence[SavedFile]) -> tuple[list[SavedFile], dict[str, str]]:
        """Claim the files no live run holds; return them, and by path who holds the rest."""
        mine: list[SavedFile] = []
        others: dict[str, str] = {}
        with self._mutex():
            for entry in files:
                owner = self._take(entry.content_hash)
                if owner == self.run_id:
                    mine.append(entry)
                else:
                    others[entry.path] = owner
        return mine, others

    def _take(self, key: str) -> str:
        """Claim `key` for this run unless a live run holds it; return who holds it now."""
        path = self.folder / f"{key}.claim"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            owner = path.read_text("utf-8").strip()
            if owner == self.run_id or not _free(self._alive_path(owner)):
                return owner
            logger.warning("took over the claim of run %s, which ended without finishing", owner)
            self._alive_path(owner).unlink(missing_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
        try:
            os.write(fd, self.run_id.encode("utf-8"))
        finally:
            os.close(fd)
        self._mine.add(key)
        return self.run_id
