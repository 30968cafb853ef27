"""The reprocess flow: derive every article again from its raw record, without any network.

    raw pointers -> for each batch: read_raw -> process_batches(reprocess=True)

Each article row points at its raw record: a response in the WARC archive
(with the feed item that led to it) or a saved file. Reading them back,
extraction, classification, validation and story grouping run as on the first
load, and only rows that come out different are rewritten, so after upgrading
trafilatura or editing the taxonomy the warehouse catches up, and on an
unchanged setup nothing changes. Rows without a raw record (loaded before the
archive existed, or feed fallbacks) are counted as skipped; a raw record that
is gone or damaged is a failure, and the row stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import opaque

from flows.run import pipeline_run, run_name
from flows.stages import Batch, log_failures, process_batches
from mediawatch.archive import RawUnavailable, is_archive_file, read_exchange
from mediawatch.registry import RawPointer, raw_pointers
from mediawatch.saved_folder import document_input, read_saved_file
from mediawatch.settings import Settings
from schemas.records import Article, Failure, Page, RunSummary, SourceCounts
from transforms.saved_pages import ReadResult, UnreadableFile


def _archived_page(row: RawPointer) -> Page:
    """The page behind an article fetched over HTTP, from its archive record."""
    exchange = read_exchange(row.raw_file, row.raw_offset)
    return Page(
        source=row.source,
        url=row.url,
        content=exchange.content,
        fetched_at=row.fetched_at,
        final_url=exchange.url,
        content_type=exchange.content_type,
        item=exchange.item,
        raw_file=row.raw_file,
        raw_offset=row.raw_offset,
    )


def _saved_input(row: RawPointer, result: ReadResult) -> Page | Article:
    """The page or article behind an article read from a saved file."""
    doc = next((d for d in result.documents if d.offset == row.raw_offset), None)
    if doc is None:
        detail = f"no readable document at offset {row.raw_offset} any more"
        raise RawUnavailable(row.raw_file, "raw_unreadable", detail)
    return document_input(
        doc, url=row.url, source=row.source, read_at=row.fetched_at, raw_file=row.raw_file
    )


def _read_saved(
    row: RawPointer, cache: dict[str, ReadResult | RawUnavailable], max_bytes: int
) -> ReadResult:
    """The saved file behind a row, read once per batch; raise RawUnavailable if it cannot be."""
    if row.raw_file not in cache:
        path = Path(row.raw_file)
        try:
            cache[row.raw_file] = read_saved_file(path, path.name, max_bytes)
        except FileNotFoundError as exc:
            cache[row.raw_file] = RawUnavailable(row.raw_file, "raw_missing", str(exc))
        except UnreadableFile as exc:
            cache[row.raw_file] = RawUnavailable(row.raw_file, exc.reason, exc.detail)
        except OSError as exc:
            cache[row.raw_file] = RawUnavailable(row.raw_file, "os_error", str(exc))
    found = cache[row.raw_file]
    if isinstance(found, RawUnavailable):
        raise found
    return found


@task(name="read-raw", task_run_name="read-raw [{label}]", cache_policy=NO_CACHE)
def read_raw(
    rows: Sequence[RawPointer], max_bytes: int, label: str
) -> tuple[list[Page], list[Article], list[Failure]]:
    """Read the raw record of each article; a saved file is read once for all its articles."""
    pages: list[Page] = []
    articles: list[Article] = []
    failures: list[Failure] = []
    cache: dict[str, ReadResult | RawUnavailable] = {}
    for row in rows:
        try:
            if is_archive_file(row.raw_file):
                made: Page | Article = _archived_page(row)
            else:
                made = _saved_input(row, _read_saved(row, cache, max_bytes))
        except RawUnavailable as exc:
            failures.append(Failure(row.source, row.url, "reprocess", exc.reason, str(exc)))
            continue
        (articles if isinstance(made, Article) else pages).append(made)
    log_failures(failures)
    return pages, articles, failures


@flow(name="reprocess", flow_run_name=run_name("reprocess"))
def reprocess(config: str | None = None, settings: Settings | None = None) -> RunSummary:
    """Re-extract and re-classify every article from the archive and saved pages."""
    with pipeline_run("reprocess", config, settings, sources=[]) as (ctx, summary):
        rows, without_raw = raw_pointers(ctx.warehouse)
        counts = {s: SourceCounts(source=s, skipped=n) for s, n in without_raw.items()}
        size = ctx.settings.limits.batch_size
        batches = [rows[start : start + size] for start in range(0, len(rows), size)]
        if ctx.progress is not None:
            ctx.progress.start(len(batches))
        for row in rows:
            counts.setdefault(row.source, SourceCounts(source=row.source)).items_seen += 1
        raw = _raw_batches(batches, size, ctx.settings.limits.max_file_bytes)
        for _, loaded, batch_failures in process_batches(ctx, raw, reprocess=True):
            summary.failures.extend(batch_failures)
            for source, tally in loaded.items():
                counts.setdefault(source, SourceCounts(source=source)).add(tally)
        summary.sources = list(counts.values())
    return summary


def _raw_batches(
    batches: Sequence[Sequence[RawPointer]], size: int, max_bytes: int
) -> Iterator[Batch]:
    """Read each batch's raw records when the stages ask for it (as pages, articles, failures)."""
    for number, batch in enumerate(batches):
        label = f"articles {number * size + 1}-{number * size + len(batch)}"
        yield Batch(label, *read_raw(opaque(batch), max_bytes, label))
