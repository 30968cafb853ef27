"""A folder of saved pages, read a batch of files at a time.

`list_folder` walks the folder and fingerprints every file (sha256 of its
bytes and its sidecar's, read in chunks) and asks the registry which bytes it
knows, keeping no content. `read_files` then reads, decodes and converts only
the files it is given, so a run that reads `batch_size` files per batch holds
at most one batch of raw bytes, whatever the size of the folder.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from mediawatch.errors import MediawatchError
from mediawatch.inbox_claims import CLAIMS
from mediawatch.registry import known_files
from mediawatch.warehouse import Warehouse
from schemas.records import Article, Failure, Page, SavedFile
from transforms.extract import from_plain_text
from transforms.saved_pages import (
    WARC_SUFFIXES,
    ReadResult,
    SavedDocument,
    UnreadableFile,
    file_identity,
    read_saved,
    sidecar_names,
)

_UTF8_HTML = "text/html; charset=utf-8"
_CHUNK = 1 << 20
# The reason of a `seen` file: its status in the registry, e.g. "processed earlier".
EARLIER = " earlier"


class NotAFolder(MediawatchError):
    """The saved-pages folder to read does not exist or is a file."""


def check_folder(directory: Path) -> None:
    """Refuse a folder that is not there: the CLI and the scheduled flow fail alike, visibly.

    A missing inbox is not created: a typo in the path would then be a new,
    empty folder and a run that reports nothing, for ever.
    """
    if not directory.is_dir():
        raise NotAFolder(
            f"{directory} is not a folder: create it (mkdir -p {directory}) "
            "or give the folder your saved pages are in"
        )


def shown(path: Path | str) -> str:
    """A path as people (and DuckDB) can take it: no surrogates, no raw control characters.

    Bytes that are not UTF-8 become `\\xff`, a newline `\\n`, a tab `\\t`; the
    exact bytes are kept apart (`SavedFile.path_bytes`).
    """
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text  # the usual case, without a look at each character
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def real_path(entry: SavedFile) -> Path:
    """The file an entry names, from its exact bytes when it has them."""
    return Path(os.fsdecode(entry.path_bytes)) if entry.path_bytes else Path(entry.path)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A folder entry that is not read: `reason` is a stable name, `detail` says why."""

    path: Path
    reason: str
    detail: str


def sidecar_path(path: Path) -> Path:
    """The sidecar of a saved file: the first of `sidecar_names` that exists, else the first."""
    candidates = [path.with_name(name) for name in sidecar_names(path.name)]
    return next((c for c in candidates if c.is_file()), candidates[0])


def _skip_reason(path: Path, root: Path, follow_links_outside: bool) -> Skipped | None:
    """Why an entry of the folder is not to be read, or None for a regular file to read.

    Checked without opening anything: a FIFO would block the reader for good.
    """
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.exists():
            return Skipped(path, "broken_link", f"a symbolic link to {shown(target)}, not there")
        if not (follow_links_outside or target.is_relative_to(root)):
            return Skipped(
                path,
                "symlink_outside",
                f"a symbolic link to {shown(target)}, outside the folder "
                "(pages.follow_links_outside is false)",
            )
        if target.is_dir():
            return Skipped(path, "linked_folder", "a symbolic link to a folder is not walked into")
    if not stat.S_ISREG(path.stat().st_mode):
        return Skipped(path, "not_a_file", "not a regular file (a FIFO, socket or device)")
    return None


def saved_files(
    directory: Path, *, follow_links_outside: bool = False
) -> tuple[list[Path], list[Skipped]]:
    """Files in the folder and below in a stable order, and the entries skipped, with why.

    Hidden files and sidecars are left out; unsupported types are kept so that
    the reader reports them instead of the run passing over them in silence.
    Linked folders are not walked into; a link to a file outside the folder
    is skipped unless `follow_links_outside`.
    """
    root = directory.resolve()
    files: list[Path] = []
    skipped: list[Skipped] = []
    for folder, folders, names in os.walk(directory):
        if CLAIMS in folders:  # the claims of the runs reading this folder
            folders.remove(CLAIMS)
        entries = [
            *names,
            *(name for name in folders if os.path.islink(os.path.join(folder, name))),
        ]
        for name in entries:
            path = Path(folder, name)
            if name.startswith("."):
                continue
            try:
                reason = _skip_reason(path, root, follow_links_outside)
            except OSError as exc:
                reason = Skipped(path, "os_error", str(exc))
            if reason is None:
                files.append(path)
            else:
                skipped.append(reason)
    files.sort()
    skipped.sort(key=lambda entry: entry.path)
    sidecars = {sidecar_path(p) for p in files}
    return [p for p in files if p not in sidecars], skipped


def open_regular(path: Path) -> BinaryIO:
    """Open a file for reading, refusing anything but a regular file.

    O_NONBLOCK keeps a FIFO put in the file's place since listing from blocking the run.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise UnreadableFile(shown(path), "not_a_file", "not a regular file")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def fingerprint(path: Path) -> tuple[str, int]:
    """The registry key of a file (sha256 of its bytes, then its sidecar's) and its size.

    Read in chunks, so a file too large to process is still registered.
    """
    digest = hashlib.sha256()
    sidecar = sidecar_path(path)
    size = 0
    for part in (path, sidecar):
        if part == path or part.exists():
            with open_regular(part) as stream:
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    digest.update(chunk)
                    size += len(chunk) if part == path else 0
    return digest.hexdigest(), size


@dataclass(slots=True)
class FolderListing:
    """Every file of a folder with its registry entry, before any is read.

    `files` has one entry per file in folder order: `seen` (bytes the registry
    knows, or a repeat of an earlier file of this listing), `failed` (could not
    be hashed) or `processed` (to be read; `to_read` lists those).
    """

    files: list[SavedFile] = field(default_factory=list)
    to_read: list[SavedFile] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FolderScan:
    """A folder's files in folder order with their registry keys, and the entries not to read."""

    keys: dict[Path, tuple[str, int]]
    skipped: list[Skipped]


def scan_folder(directory: Path, *, follow_links_outside: bool = False) -> FolderScan:
    """Walk the folder and fingerprint its files, without the warehouse (see `list_folder`).

    A file that cannot be hashed is a skipped entry with the reason.
    """
    keys: dict[Path, tuple[str, int]] = {}
    files, skipped = saved_files(directory, follow_links_outside=follow_links_outside)
    for path in files:
        try:
            keys[path] = fingerprint(path)
        except (UnreadableFile, OSError) as exc:
            reason = exc.reason if isinstance(exc, UnreadableFile) else "os_error"
            skipped.append(Skipped(path, reason, str(exc)))
    return FolderScan(keys, skipped)


def scan_in_background(
    directory: Path, *, follow_links_outside: bool = False
) -> Future[FolderScan]:
    """Start `scan_folder` in a thread of its own, so hashing overlaps what the run does meanwhile.

    Reading files and sha256 over megabyte chunks let go of the GIL: while a
    flow run sets itself up on one core, the folder is hashed on the other.
    The future's `result()` raises what the scan raised. The thread is a
    daemon: a run that fails before it needs the scan does not wait for it
    to end.
    """
    future: Future[FolderScan] = Future()

    def scan() -> None:
        try:
            future.set_result(scan_folder(directory, follow_links_outside=follow_links_outside))
        except (OSError, MediawatchError) as exc:
            future.set_exception(exc)
        finally:
            future.cancel()  # a scan ended by anything else: `result()` raises, never waits on

    threading.Thread(target=scan, name="folder-scan", daemon=True).start()
    return future


def list_folder(
    warehouse: Warehouse,
    directory: Path,
    source: str,
    *,
    follow_links_outside: bool = False,
    scan: FolderScan | None = None,
) -> FolderListing:
    """List and fingerprint the folder's files and sort out those already processed.

    Entries not read (links leaving the folder, FIFOs, files that cannot be
    hashed) are `failed` entries with a failure each, tried again next run.
    A `scan` made already (`scan_in_background`) is used instead of a new one.
    """
    out = FolderListing()
    if scan is None:
        scan = scan_folder(directory, follow_links_outside=follow_links_outside)
    for entry in scan.skipped:
        name = shown(entry.path)
        out.failures.append(Failure(source, name, "read", entry.reason, f"{name}: {entry.detail}"))
        out.files.append(
            SavedFile(name, "", 0, "failed", entry.reason, path_bytes=_exact(entry.path))
        )
    known = known_files(warehouse, [digest for digest, _ in scan.keys.values()])
    for path, (digest, size) in scan.keys.items():
        earlier = known.get(digest)
        status, reason = ("seen", earlier + EARLIER) if earlier else ("processed", None)
        entry = SavedFile(shown(path), digest, size, status, reason, path_bytes=_exact(path))
        out.files.append(entry)
        if entry.status == "processed":
            known[digest] = "processed"
            out.to_read.append(entry)
    return out


def _exact(path: Path) -> bytes | None:
    """The path's bytes when its shown form differs, else None (the shown form is exact)."""
    return None if shown(path) == str(path) else os.fsencode(path)


def document_input(
    doc: SavedDocument, *, url: str, source: str, read_at: datetime, raw_file: str
) -> Page | Article:
    """A saved document as pipeline input: HTML a page to extract, plain text an article."""
    if doc.text is not None:
        article = from_plain_text(doc.text, url=url, source=source, fetched_at=read_at)
        return replace(
            article,
            published_at=doc.published_at or article.published_at,
            raw_file=raw_file,
            raw_offset=doc.offset,
        )
    return Page(
        source=source,
        url=url,
        content=(doc.html or "").encode("utf-8"),
        fetched_at=read_at,
        content_type=_UTF8_HTML,
        origin="file",
        raw_file=raw_file,
        raw_offset=doc.offset,
        published_at=doc.published_at,
    )


def read_saved_file(path: Path, name: str, max_bytes: int) -> ReadResult:
    """Read one saved file and its sidecar; raise UnreadableFile (or OSError) if it yields none.

    Nothing is read past the cap: a file other than a WARC stops at `max_bytes`
    + 1 bytes (then refused), a WARC is streamed and each record's payload
    stops there, however far its compressed bytes inflate.
    """
    sidecar = sidecar_path(path)
    meta = None
    if sidecar.exists():
        with open_regular(sidecar) as stream:
            meta = stream.read(_CHUNK)
    label = str(Path(name).with_name(sidecar.name))
    with open_regular(path) as stream:
        if name.lower().endswith(WARC_SUFFIXES):
            return read_saved(name, stream, meta, max_bytes=max_bytes, sidecar_file=label)
        data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            size = os.fstat(stream.fileno()).st_size
            raise UnreadableFile(name, "too_large", f"{size} bytes is over {max_bytes}")
    return read_saved(name, data, meta, max_bytes=max_bytes, sidecar_file=label)


@dataclass(slots=True)
class FilesRead:
    """What reading some files gave: pipeline inputs, failures, and each file's new entry."""

    pages: list[Page] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    files: list[SavedFile] = field(default_factory=list)


def read_files(
    files: Sequence[SavedFile], directory: Path, source: str, max_bytes: int
) -> FilesRead:
    """Read these files: HTML becomes a page, plain text an article, a bad file a failure.

    Each file's entry comes back as `processed`, `partial` (a WARC with
    broken records, which are failures too) or `failed` with the reason.
    """
    out = FilesRead()
    for entry in files:
        path = real_path(entry)
        try:
            result = read_saved_file(path, shown(path.relative_to(directory)), max_bytes)
            read_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        except (UnreadableFile, OSError) as exc:
            reason = exc.reason if isinstance(exc, UnreadableFile) else "os_error"
            message = f"{entry.path}: {shown(str(exc))}"
            out.failures.append(Failure(source, entry.path, "read", reason, message))
            out.files.append(replace(entry, status="failed", reason=reason))
            continue
        out.failures.extend(
            Failure(source, entry.path, "read", error.reason, str(error)) for error in result.errors
        )
        partial = result.errors[0].reason if result.errors else None
        out.files.append(
            replace(
                entry,
                status="partial" if partial else "processed",
                reason=partial,
                documents=len(result.documents),
            )
        )
        for doc in result.documents:
            made = document_input(
                doc,
                url=doc.url or file_identity(doc.content_hash),
                source=doc.source or source,
                read_at=read_at,
                raw_file=entry.path,
            )
            (out.articles if isinstance(made, Article) else out.pages).append(made)
    return out
