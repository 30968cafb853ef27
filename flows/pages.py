"""The saved-pages flow: read a folder of saved pages, then extract, classify, validate, load.

    read_files -> for each batch: process_batch -> register files -> keep, move or delete

Each file is processed once: the saved_files registry knows its bytes (and
its sidecar's), so a file seen before is skipped and a changed one is read
again. A file that cannot be read is recorded as a failed file and a failure
with its reason, and the rest of the folder goes on.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.run import pipeline_run, run_name
from flows.stages import RunContext, log_failures, process_batch
from mediawatch.registry import known_files, move_raw_files, record_files
from mediawatch.settings import Settings
from schemas.records import Article, Failure, Page, RunSummary, SavedFile, SourceCounts
from transforms.extract import from_plain_text
from transforms.saved_pages import (
    WARC_SUFFIXES,
    ReadResult,
    SavedDocument,
    UnreadableFile,
    file_identity,
    read_saved,
    sidecar_name,
)

_UTF8_HTML = "text/html; charset=utf-8"


def _saved_files(directory: Path) -> list[Path]:
    """Files in the folder and below, in a stable order, without hidden files and sidecars.

    Unsupported types are kept so that the reader reports them instead of the
    run passing over them in silence.
    """
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    sidecars = {p.with_name(sidecar_name(p.name)) for p in files}
    return [p for p in files if p not in sidecars]


def _fingerprint(path: Path, sidecar: Path) -> tuple[str, int]:
    """The registry key of a file (sha256 of its bytes, then its sidecar's) and its size.

    Read in chunks, so a file too large to process is still registered.
    """
    digest = hashlib.sha256()
    for part in (path, sidecar):
        if part == path or part.exists():
            with part.open("rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest(), path.stat().st_size


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
    sidecar = path.with_name(sidecar_name(path.name))
    return read_saved(
        name,
        path.read_bytes(),
        sidecar.read_bytes() if sidecar.exists() else None,
        max_bytes=max_bytes,
    )


@dataclass(slots=True)
class FolderRead:
    """What reading a folder gave: inputs for the pipeline, failures, and one entry per file."""

    pages: list[Page] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    files: list[SavedFile] = field(default_factory=list)


@task(name="read-files", task_run_name="read-files [{source}]", cache_policy=NO_CACHE)
def read_files(ctx: RunContext, directory: Path, source: str) -> FolderRead:
    """Read every saved file not processed before: HTML becomes a page, plain text an article.

    Files whose bytes the registry knows (or that repeat another file of this
    run) are `seen` and not read again.
    """
    out = FolderRead()
    max_bytes = ctx.settings.limits.max_file_bytes
    paths = _saved_files(directory)
    keys: dict[Path, tuple[str, int]] = {}
    for path in paths:
        try:
            keys[path] = _fingerprint(path, path.with_name(sidecar_name(path.name)))
        except OSError as exc:
            out.failures.append(Failure(source, str(path), "read", "os_error", f"{path}: {exc}"))
            out.files.append(SavedFile(str(path), "", 0, "failed", "os_error"))
    known = known_files(ctx.warehouse, [h for h, _ in keys.values()])
    for path, (digest, size) in keys.items():
        entry = SavedFile(str(path), digest, size, "processed")
        out.files.append(entry)
        if digest in known:
            entry.status = "seen"
            continue
        known[digest] = "processed"
        try:
            result = read_saved_file(path, str(path.relative_to(directory)), max_bytes)
        except (UnreadableFile, OSError) as exc:
            reason = exc.reason if isinstance(exc, UnreadableFile) else "os_error"
            out.failures.append(Failure(source, str(path), "read", reason, f"{path}: {exc}"))
            entry.status, entry.reason = "failed", reason
            continue
        out.failures.extend(
            Failure(source, str(path), "read", error.reason, str(error)) for error in result.errors
        )
        entry.documents = len(result.documents)
        if result.errors:
            entry.status, entry.reason = "partial", result.errors[0].reason
        read_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        for doc in result.documents:
            made = document_input(
                doc,
                url=doc.url or file_identity(doc.content_hash),
                source=doc.source or source,
                read_at=read_at,
                raw_file=str(path),
            )
            (out.articles if isinstance(made, Article) else out.pages).append(made)
    log_failures(out.failures)
    return out


def _tidy(ctx: RunContext, directory: Path, files: list[SavedFile]) -> None:
    """Move or delete the files this run processed, as `pages.after` says (default: keep).

    Failed files stay where they are for someone to look at; a moved file's
    articles point at its new place.
    """
    policy = ctx.settings.pages
    done = [Path(f.path) for f in files if f.status in {"processed", "partial"}]
    if policy.after == "keep" or not done:
        return
    logger = get_run_logger()
    moved: list[tuple[str, str]] = []
    for path in done:
        sidecar = path.with_name(sidecar_name(path.name))
        try:
            if policy.after == "delete":
                path.unlink()
                sidecar.unlink(missing_ok=True)
                continue
            assert policy.move_to is not None  # checked by PagesSettings
            target = policy.move_to / path.relative_to(directory)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            if sidecar.exists():
                shutil.move(sidecar, target.with_name(sidecar.name))
            moved.append((str(path), str(target)))
        except OSError as exc:
            logger.warning("%s: could not %s it: %s", path, policy.after, exc)
    move_raw_files(ctx.warehouse, moved)


@flow(name="pages", flow_run_name=run_name("pages"))
def ingest_pages(
    directory: str,
    source: str | None = None,
    config: str | None = None,
    settings: Settings | None = None,
) -> RunSummary:
    """Ingest a folder of saved pages into the warehouse."""
    folder = Path(directory).expanduser().resolve()
    name = source or folder.name
    run = pipeline_run("pages", config, settings, sources=[(name, "pages", str(folder))])
    with run as (ctx, summary):
        counts = {name: SourceCounts(source=name)}
        with ctx.timed("read"):
            read = read_files(ctx, folder, name)
        pages, articles, failures = read.pages, read.articles, read.failures
        counts[name].items_seen = len(pages) + len(articles) + len(failures)
        counts[name].skipped = sum(f.status == "seen" for f in read.files)
        size = ctx.settings.limits.batch_size
        starts = range(0, max(len(pages), len(articles), 1), size)
        if ctx.progress is not None:
            ctx.progress.start(len(starts))
        for start in starts:
            label = f"{name}: files {start + 1}-{start + size}"
            loaded, batch_failures = process_batch(
                ctx,
                label=label,
                pages=pages[start : start + size],
                articles=articles[start : start + size],
                failures=failures if start == 0 else [],
            )
            summary.failures.extend(batch_failures)
            for origin, tally in loaded.items():
                counts.setdefault(origin, SourceCounts(source=origin)).add(tally)
        summary.sources = list(counts.values())
        summary.files = read.files
        # A file that could not even be hashed (an OS error) is tried again next run.
        done = [f for f in read.files if f.status != "seen" and f.content_hash]
        record_files(ctx.warehouse, ctx.run_id, name, done)
        _tidy(ctx, folder, read.files)
    return summary
