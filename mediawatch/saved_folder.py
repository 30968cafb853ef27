"""A folder of saved pages, read a batch of files at a time.

`list_folder` walks the folder and fingerprints every file (sha256 of its
bytes and its sidecar's, read in chunks) and asks the registry which bytes it
knows, keeping no content. `read_files` then reads, decodes and converts only
the files it is given, so a run that reads `batch_size` files per batch holds
at most one batch of raw bytes, whatever the size of the folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

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


def sidecar_path(path: Path) -> Path:
    """The sidecar of a saved file: the first of `sidecar_names` that exists, else the first."""
    candidates = [path.with_name(name) for name in sidecar_names(path.name)]
    return next((c for c in candidates if c.is_file()), candidates[0])


def saved_files(directory: Path) -> list[Path]:
    """Files in the folder and below, in a stable order, without hidden files and sidecars.

    Unsupported types are kept so that the reader reports them instead of the
    run passing over them in silence.
    """
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    sidecars = {sidecar_path(p) for p in files}
    return [p for p in files if p not in sidecars]


def fingerprint(path: Path) -> tuple[str, int]:
    """The registry key of a file (sha256 of its bytes, then its sidecar's) and its size.

    Read in chunks, so a file too large to process is still registered.
    """
    digest = hashlib.sha256()
    sidecar = sidecar_path(path)
    for part in (path, sidecar):
        if part == path or part.exists():
            with part.open("rb") as stream:
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    digest.update(chunk)
    return digest.hexdigest(), path.stat().st_size


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


def list_folder(warehouse: Warehouse, directory: Path, source: str) -> FolderListing:
    """List and fingerprint the folder's files and sort out those already processed."""
    out = FolderListing()
    keys: dict[Path, tuple[str, int]] = {}
    for path in saved_files(directory):
        try:
            keys[path] = fingerprint(path)
        except OSError as exc:
            out.failures.append(Failure(source, str(path), "read", "os_error", f"{path}: {exc}"))
            out.files.append(SavedFile(str(path), "", 0, "failed", "os_error"))
    known = known_files(warehouse, [digest for digest, _ in keys.values()])
    for path, (digest, size) in keys.items():
        entry = SavedFile(str(path), digest, size, "seen" if digest in known else "processed")
        out.files.append(entry)
        if entry.status == "processed":
            known[digest] = "processed"
            out.to_read.append(entry)
    return out


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

    A file other than a WARC that is over `max_bytes` is refused without reading it.
    """
    size = path.stat().st_size
    if not name.lower().endswith(WARC_SUFFIXES) and size > max_bytes:
        raise UnreadableFile(name, "too_large", f"{size} bytes is over {max_bytes}")
    sidecar = sidecar_path(path)
    return read_saved(
        name,
        path.read_bytes(),
        sidecar.read_bytes() if sidecar.exists() else None,
        max_bytes=max_bytes,
        sidecar_file=str(Path(name).with_name(sidecar.name)),
    )


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
        path = Path(entry.path)
        try:
            result = read_saved_file(path, str(path.relative_to(directory)), max_bytes)
            read_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        except (UnreadableFile, OSError) as exc:
            reason = exc.reason if isinstance(exc, UnreadableFile) else "os_error"
            out.failures.append(Failure(source, str(path), "read", reason, f"{path}: {exc}"))
            out.files.append(replace(entry, status="failed", reason=reason))
            continue
        out.failures.extend(
            Failure(source, str(path), "read", error.reason, str(error)) for error in result.errors
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
                raw_file=str(path),
            )
            (out.articles if isinstance(made, Article) else out.pages).append(made)
    return out
