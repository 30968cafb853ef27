"""The saved-pages flow: read a folder of saved pages, then extract, classify, validate, load.

    list_files -> for each batch of new files: read_batch -> process_batches
               -> register files -> keep, move or delete

(each batch's `read_batch` runs while the workers extract the batch before
it).

Each file is processed once: the saved_files registry knows its bytes (and
its sidecar's), so a file seen before is skipped and a changed one is read
again. Files are listed and fingerprinted first, in a thread while the run
sets itself up, and read `batch_size` at a time, so memory holds one batch
of raw bytes however large the folder (`mediawatch/saved_folder.py`). A
file that cannot be read is recorded as a failed file and a failure with
its reason, and the rest of the folder goes on.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import opaque

from flows.run import pipeline_run, run_name
from flows.stages import Batch, RunContext, log_failures, process_batches
from mediawatch.errors import WarehouseLocked
from mediawatch.inbox_claims import InboxClaims
from mediawatch.registry import known_files, move_raw_files, record_files
from mediawatch.saved_folder import (
    EARLIER,
    FilesRead,
    FolderListing,
    FolderScan,
    check_folder,
    list_folder,
    read_files,
    real_path,
    scan_in_background,
    shown,
    sidecar_path,
)
from mediawatch.settings import Settings, load_settings
from schemas.records import Failure, RunSummary, SavedFile, SourceCounts


@task(name="list-files", task_run_name="list-files [{source}]", cache_policy=NO_CACHE)
def list_files(
    ctx: RunContext, directory: Path, source: str, scan: Future[FolderScan]
) -> FolderListing:
    """Sort out the folder's fingerprinted files: those whose bytes the registry knows are `seen`.

    `scan` is the folder's listing and hashing, started before the run's set-up.
    """
    listing = list_folder(ctx.warehouse, directory, source, scan=scan.result())
    log_failures(listing.failures)
    return listing


@task(name="read-files", task_run_name="read-files [{label}]", cache_policy=NO_CACHE)
def read_batch(
    ctx: RunContext, files: Sequence[SavedFile], directory: Path, source: str, label: str
) -> FilesRead:
    """Read one batch of new files: HTML becomes a page, plain text an article."""
    read = read_files(files, directory, source, ctx.settings.limits.max_file_bytes)
    log_failures(read.failures)
    return read


def _tidy(ctx: RunContext, directory: Path, files: list[SavedFile]) -> None:
    """Move or delete the files this run processed, as `pages.after` says (default: keep).

    Failed files stay where they are for someone to look at; a moved file's
    articles point at its new place.
    """
    policy = ctx.settings.pages
    done = [real_path(f) for f in files if f.status in {"processed", "partial"}]
    if policy.after == "keep" or not done:
        return
    logger = get_run_logger()
    moved: list[tuple[str, str]] = []
    for path in done:
        sidecar = sidecar_path(path)
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
            moved.append((shown(path), shown(target)))
        except OSError as exc:
            logger.warning("%s: could not %s it: %s", shown(path), policy.after, shown(str(exc)))
    move_raw_files(ctx.warehouse, moved)


@flow(name="pages", flow_run_name=run_name("pages"))
def ingest_pages(
    directory: str,
    source: str | None = None,
    config: str | None = None,
    settings: Settings | None = None,
) -> RunSummary:
    """Ingest a folder of saved pages into the warehouse; a missing folder fails the run."""
    folder = Path(directory).expanduser().resolve()
    check_folder(folder)
    name = source or folder.name
    settings = settings or load_settings(Path(config) if config else None)
    # The folder is listed and hashed on the other core while the run sets itself up.
    scan = scan_in_background(folder, follow_links_outside=settings.pages.follow_links_outside)
    run = pipeline_run("pages", None, settings, sources=[(name, "pages", str(folder))])
    with run as (ctx, summary), InboxClaims(folder, ctx.run_id) as claims:
        counts = {name: SourceCounts(source=name)}
        with ctx.timed("read"):
            listing = list_files(opaque(ctx), folder, name, opaque(scan))
        # Files seen before count by what became of them then: only failed ones are skipped.
        earlier = [f.reason for f in listing.files if f.status == "seen"]
        counts[name].skipped = earlier.count("failed" + EARLIER)
        counts[name].unchanged = len(earlier) - counts[name].skipped
        counts[name].items_seen = len(listing.failures)
        read_entries = _read_and_process(
            ctx, summary, counts=counts, folder=folder, name=name, listing=listing, claims=claims
        )
        summary.sources = list(counts.values())
        summary.files = [read_entries.get(f.path, f) for f in listing.files]
        # A file that could not even be hashed (an OS error) is tried again next run.
        done = [f for f in summary.files if f.status != "seen" and f.content_hash]
        try:
            record_files(ctx.warehouse, ctx.run_id, name, done)
        except WarehouseLocked as exc:
            # Their articles are loaded or spooled: the next run reads them again, changing nothing.
            get_run_logger().warning("%s: %d files are recorded by the next run", exc, len(done))
        _tidy(ctx, folder, summary.files)
    return summary


def _read_and_process(
    ctx: RunContext,
    summary: RunSummary,
    *,
    counts: dict[str, SourceCounts],
    folder: Path,
    name: str,
    listing: FolderListing,
    claims: InboxClaims,
) -> dict[str, SavedFile]:
    """Read the new files `batch_size` at a time and take each batch through the stages.

    Files that could not be hashed go with the first batch, or alone if no
    file is new. Returns each read file's entry (status, reason, documents)
    by path.
    """
    size = ctx.settings.limits.batch_size
    new = listing.to_read
    batches = [new[i : i + size] for i in range(0, len(new), size)]
    if not batches:
        if not listing.failures:
            get_run_logger().info("%s: no new file", name)
            return {}
        batches = [[]]  # the unhashable files alone
    ctx.pool.start(len(new))
    if ctx.progress is not None:
        ctx.progress.start(len(batches))
    entries: dict[str, SavedFile] = {}
    for _, loaded, batch_failures in process_batches(
        ctx, _read(ctx, batches, listing, counts=counts[name], entries=entries, claims=claims)
    ):
        summary.failures.extend(batch_failures)
        for origin, tally in loaded.items():
            counts.setdefault(origin, SourceCounts(source=origin)).add(tally)
    return entries


def _read(
    ctx: RunContext,
    batches: Sequence[list[SavedFile]],
    listing: FolderListing,
    *,
    counts: SourceCounts,
    entries: dict[str, SavedFile],
    claims: InboxClaims,
) -> Iterator[Batch]:
    """Read each batch of files when the stages ask for it; unhashable files go with the first.

    The stages ask for the next batch as soon as the one before is in the
    pool (`process_batches`), so a batch is read while the workers extract
    the one before, and only the first batch is read with the workers idle.
    Only the files this run claims are read (`_claimed`). Every document
    and read failure counts as an item seen; each read file's new entry
    goes into `entries` by path. Nothing of a batch is kept here once it is
    handed on, so its raw pages go as soon as they are extracted.
    """
    folder = claims.folder.parent
    total = len(listing.to_read)
    failures: list[Failure] = listing.failures
    first = 1
    for files in batches:
        label = f"{counts.source}: files {first}-{first + len(files) - 1} of {total}"
        first += len(files)
        mine = _claimed(ctx, claims, files, entries)
        with ctx.timed("read"):
            read = (
                read_batch(opaque(ctx), opaque(mine), folder, counts.source, label)
                if mine
                else FilesRead()
            )
        entries.update((f.path, f) for f in read.files)
        counts.items_seen += len(read.pages) + len(read.articles) + len(read.failures)
        yield Batch(
            label, pages=read.pages, articles=read.articles, failures=[*failures, *read.failures]
        )
        failures = []


def _claimed(
    ctx: RunContext, claims: InboxClaims, files: list[SavedFile], entries: dict[str, SavedFile]
) -> list[SavedFile]:
    """The batch's files this run claims that no run has recorded since the listing.

    The others become `seen` entries in `entries`: those another live run
    holds, and those a run that finished since recorded in the registry.
    """
    mine, others = claims.claim(files)
    known = known_files(ctx.warehouse, [f.content_hash for f in mine])
    for entry in files:
        if entry.path in others:
            reason = f"claimed by run {others[entry.path]}"
        elif entry.content_hash in known:
            reason = known[entry.content_hash] + EARLIER
        else:
            continue
        entries[entry.path] = replace(entry, status="seen", reason=reason)
    if others:
        get_run_logger().info("%d files of this batch are read by other runs", len(others))
    return [f for f in mine if f.content_hash not in known]
