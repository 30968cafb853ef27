"""The ingest flow: poll feeds, fetch new article pages, extract, classify, validate, load.

    poll_feeds -> (skip known) -> for each batch: fetch_pages -> process_batch

A failing feed or page is recorded against its source and the run goes on;
the run fails only when the pipeline itself cannot work (invalid taxonomy,
warehouse unavailable, too much quarantined).
"""

from __future__ import annotations

from collections.abc import Sequence

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.run import pipeline_run, run_name
from flows.stages import RunContext, log_failures, process_batch
from mediawatch.http import FetchRequest, fetch_all
from mediawatch.settings import HttpSettings, Settings, Source
from schemas.records import Failure, FeedItem, Page, RunSummary, SourceCounts
from transforms.feeds import FeedError, parse_feed


@task(name="poll-feeds", cache_policy=NO_CACHE)
def poll_feeds(
    sources: Sequence[Source], http: HttpSettings, max_items: int
) -> tuple[dict[str, list[FeedItem]], list[Failure]]:
    """Fetch every feed in one concurrent batch and parse the items out of each."""
    logger = get_run_logger()
    results = fetch_all([FetchRequest(s.url, kind="feed") for s in sources], http)
    items: dict[str, list[FeedItem]] = {}
    failures: list[Failure] = []
    for source, result in zip(sources, results, strict=True):
        if result.error is not None:
            failures.append(
                Failure(
                    source.name,
                    source.url,
                    "fetch",
                    result.error.reason,
                    result.error.message,
                    result.error.retryable,
                )
            )
            continue
        try:
            parsed = parse_feed(
                result.content or b"",
                source=source.name,
                feed_url=result.url,
                content_type=result.content_type,
                max_items=source.max_items or max_items,
            )
        except FeedError as exc:
            failures.append(Failure(source.name, source.url, "parse", exc.reason, str(exc)))
            continue
        for warning in parsed.warnings:
            logger.warning("%s: %s: %s", source.name, source.url, warning)
        items[source.name] = parsed.items
        logger.info("%s: %d items in %s", source.name, len(parsed.items), source.url)
    log_failures(failures)
    return items, failures


@task(name="fetch-pages", task_run_name="fetch-pages [{label}]", cache_policy=NO_CACHE)
def fetch_pages(
    items: Sequence[FeedItem], http: HttpSettings, label: str
) -> tuple[list[Page], list[Failure]]:
    """Fetch the article pages of a batch of feed items concurrently."""
    results = fetch_all([FetchRequest(item.url, kind="page") for item in items], http)
    pages: list[Page] = []
    failures: list[Failure] = []
    for item, result in zip(items, results, strict=True):
        if result.error is not None:
            failures.append(
                Failure(
                    item.source,
                    item.url,
                    "fetch",
                    result.error.reason,
                    result.error.message,
                    result.error.retryable,
                )
            )
            continue
        pages.append(
            Page(
                source=item.source,
                url=item.url,
                content=result.content or b"",
                fetched_at=result.fetched_at,
                final_url=result.url,
                content_type=result.content_type,
                item=item,
            )
        )
    log_failures(failures)
    return pages, failures


def _new_items(
    polled: dict[str, list[FeedItem]], settled: dict[str, str], counts: dict[str, SourceCounts]
) -> list[FeedItem]:
    """Items not settled by an earlier run, once each across all feeds."""
    fresh: dict[str, FeedItem] = {}
    for source, items in polled.items():
        for item in items:
            status = settled.get(item.article_id)
            if status == "loaded":
                counts[source].unchanged += 1
            elif status is not None:
                counts[source].skipped += 1
            else:
                fresh.setdefault(item.article_id, item)
    return list(fresh.values())


@flow(name="ingest", flow_run_name=run_name("ingest"))
def ingest(config: str | None = None, settings: Settings | None = None) -> RunSummary:
    """Poll the configured feeds and load every new article into the warehouse."""
    with pipeline_run("ingest", config, settings) as (ctx, summary):
        counts = {s.name: SourceCounts(source=s.name, feeds_polled=1) for s in ctx.settings.sources}
        summary.sources = list(counts.values())
        polled, feed_failures = poll_feeds(
            ctx.settings.sources, ctx.settings.http, ctx.settings.limits.max_items_per_feed
        )
        for source, items in polled.items():
            counts[source].items_seen = len(items)
        settled = ctx.warehouse.settled(
            [(i.article_id, i.url) for items in polled.values() for i in items]
        )
        pending = _new_items(polled, settled, counts)
        _process(ctx, summary, counts, pending, feed_failures)
    return summary


def _process(
    ctx: RunContext,
    summary: RunSummary,
    counts: dict[str, SourceCounts],
    pending: list[FeedItem],
    failures: list[Failure],
) -> None:
    """Fetch and process the pending items batch by batch; feed failures go with the first."""
    size = ctx.settings.limits.batch_size
    batches = [pending[i : i + size] for i in range(0, len(pending), size)] or [[]]
    for number, batch in enumerate(batches, start=1):
        label = f"batch {number}/{len(batches)}, {len(batch)} items"
        pages, fetch_failures = fetch_pages(batch, ctx.settings.http, label) if batch else ([], [])
        loaded, batch_failures = process_batch(
            ctx, label=label, pages=pages, failures=[*failures, *fetch_failures]
        )
        failures = []
        summary.failures.extend(batch_failures)
        for source, tally in loaded.items():
            counts[source].add(tally)
