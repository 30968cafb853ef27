"""The ingest flow: poll feeds, fetch new article pages, extract, classify, validate, load.

    due feeds -> poll_feeds -> (skip known) -> for each batch: fetch_pages -> process_batches
                                                                 -> fallbacks -> process_batch

Only feeds that are due and not disabled are polled (`poll_all` polls every
one); their new state goes to feed_state and every HTTP exchange to fetch_log.
Page fetching has a time budget per host and per run (`http.host_budget`,
`http.run_budget`): pages past it are deferred, kept in deferred_items and
fetched first by the next run, whatever their feed says by then.
An item whose page cannot be fetched or extracted is kept as a fallback
article made of its feed title and summary (`transforms/fallback.py`).
A failing feed or page is recorded against its source and the run goes on;
the run fails only when the pipeline itself cannot work (invalid taxonomy,
warehouse unavailable, too much quarantined).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import opaque

from flows.run import pipeline_run, run_name
from flows.stages import Batch, RunContext, log_failures, process_batch, process_batches
from mediawatch import feed_poller
from mediawatch.archive import WarcArchive
from mediawatch.errors import ConfigError
from mediawatch.feed_poller import FeedPoll, state_after
from mediawatch.feed_store import (
    configured_states,
    logged,
    polling_state,
    record_fetches,
    record_polls,
    save_states,
    update_deferred,
)
from mediawatch.http import DeferredError, FetchRequest, TimeBudget, fetch_all
from mediawatch.settings import HttpSettings, Settings, Source, load_settings
from schemas.records import Article, Failure, FeedItem, Page, RunSummary, SourceCounts
from transforms.fallback import GONE_STATUSES, fallback_article
from transforms.polling import FeedState, is_due, waits
from transforms.shard import InvalidShard, in_shard, parse_shard
from transforms.wording import plural


@task(name="poll-feeds", task_run_name="poll-feeds", cache_policy=NO_CACHE)
def poll_feeds(
    feeds: Sequence[tuple[Source, FeedState]],
    http: HttpSettings,
    max_items: int,
    archive: WarcArchive,
) -> list[FeedPoll]:
    """Poll the due feeds in one concurrent batch (conditional GET, autodiscovery), parse them."""
    logger = get_run_logger()
    polls = feed_poller.poll_feeds(feeds, http, max_items, archive=archive)
    for poll in polls:
        if poll.not_modified:
            logger.info("%s: not modified since the last poll (%s)", poll.source, poll.feed_url)
        elif poll.failure is None:
            logger.info("%s: %d items in %s", poll.source, len(poll.items), poll.feed_url)
    log_failures([f for poll in polls for f in _feed_failures(poll)])
    return polls


def _feed_failures(poll: FeedPoll) -> list[Failure]:
    """What went wrong with one feed: the failure that stopped it, or its warnings."""
    return [poll.failure] if poll.failure is not None else poll.warnings


@task(name="fetch-pages", task_run_name="fetch-pages [{label}]", cache_policy=NO_CACHE)
def fetch_pages(
    ctx: RunContext, items: Sequence[FeedItem], label: str, budget: TimeBudget
) -> tuple[list[Page], list[Failure], list[FeedItem]]:
    """Fetch the article pages of a batch of feed items concurrently, logging every exchange.

    Returns the pages, the failures, and the items whose page could not be had
    but may still get a fallback article (not those the server says are gone,
    nor those deferred: the run's time `budget` ran out before them, so they
    wait in deferred_items for the next run).
    """
    robots = {source.name: source.respect_robots for source in ctx.settings.sources}
    results = fetch_all(
        [
            FetchRequest(item.url, kind="page", respect_robots=robots.get(item.source))
            for item in items
        ],
        ctx.settings.http,
        budget=budget,
    )
    deferred = [
        item
        for item, result in zip(items, results, strict=True)
        if isinstance(result.error, DeferredError)
    ]
    update_deferred(
        ctx.warehouse,
        ctx.run_id,
        deferred,
        [item for item in items if item not in deferred],
    )
    if deferred:
        get_run_logger().warning(
            "%d of %d pages deferred to the next run: the time budget is spent",
            len(deferred),
            len(items),
        )
    ctx.archive.write(results, items)
    record_fetches(
        ctx.warehouse,
        ctx.run_id,
        [
            f
            for item, result in zip(items, results, strict=True)
            for f in logged(item.source, [result])
        ],
    )
    pages: list[Page] = []
    failures: list[Failure] = []
    unreachable: list[FeedItem] = []
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
            if result.status not in GONE_STATUSES and item not in deferred:
                unreachable.append(item)
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
                raw_file=result.raw_file,
                raw_offset=result.raw_offset,
            )
        )
    log_failures(failures)
    return pages, failures, unreachable


def _new_items(
    polls: Sequence[FeedPoll], settled: dict[str, str], counts: dict[str, SourceCounts]
) -> list[FeedItem]:
    """Items not settled by an earlier run, once each across all feeds."""
    fresh: dict[str, FeedItem] = {}
    for poll in polls:
        for item in poll.items:
            status = settled.get(item.article_id)
            if status == "loaded":
                counts[poll.source].unchanged += 1
            elif status is not None:
                counts[poll.source].skipped += 1
            else:
                fresh.setdefault(item.article_id, item)
    return list(fresh.values())


def _due_feeds(
    ctx: RunContext, stored: dict[str, FeedState], now: datetime, poll_all: bool
) -> tuple[list[tuple[Source, FeedState]], list[str]]:
    """The configured feeds to poll now, with their state (due and enabled, or all).

    `stored` is the feed_state table's content. Also returns the others, each
    with why it waits, for the run summary. A waiting feed whose state the
    configuration changed (a first fingerprint) is stored now, so that a later
    change of its entry is seen.
    """
    states = configured_states(ctx.settings, stored)
    feeds = [(s, states[s.name]) for s in ctx.settings.sources]
    due = [(source, state) for source, state in feeds if is_due(state, now, force=poll_all)]
    waiting = [state for source, state in feeds if (source, state) not in due]
    save_states(ctx.warehouse, [s for s in waiting if s != stored.get(s.source)])
    waiting = [waits(state) for state in waiting]
    if waiting:
        get_run_logger().info("not polled: %s", "; ".join(waiting))
    return due, waiting


def _record_polls(
    ctx: RunContext,
    feeds: Sequence[tuple[Source, FeedState]],
    polls: Sequence[FeedPoll],
    pending: Sequence[FeedItem],
    now: datetime,
) -> None:
    """Store each polled feed's new state and every exchange of the polls in fetch_log."""
    new_items: dict[str, int] = {}
    for item in pending:
        new_items[item.source] = new_items.get(item.source, 0) + 1
    states = [
        state_after(
            state, poll, now=now, new_items=new_items.get(poll.source, 0), policy=ctx.settings.feeds
        )
        for (_, state), poll in zip(feeds, polls, strict=True)
    ]
    record_polls(ctx.warehouse, ctx.run_id, states, [f for poll in polls for f in poll.fetches])


def sharded(settings: Settings, shard: str | None) -> Settings:
    """The settings with only the feeds of `shard` (else of the `shard` key) in `sources`."""
    try:
        chosen = parse_shard(shard) if shard else settings.feed_shard
    except InvalidShard as exc:
        raise ConfigError(f"shard: {exc}") from None
    if chosen is None:
        return settings
    feeds = in_shard(settings.sources, chosen, lambda source: source.url)
    get_run_logger().info(
        "shard %s: polling %d of the %d configured feeds", chosen, len(feeds), len(settings.sources)
    )
    return settings.with_overrides(sources=feeds, shard=str(chosen))


@flow(name="ingest", flow_run_name=run_name("ingest"))
def ingest(
    config: str | None = None,
    settings: Settings | None = None,
    poll_all: bool = False,
    shard: str | None = None,
) -> RunSummary:
    """Poll the feeds that are due and load every new article into the warehouse.

    `poll_all` polls every configured feed now, due or not, disabled or not
    (a disabled feed that answers is enabled again). `shard` (`i/N`, else the
    `shard` setting) polls only the feeds of that shard, so that N runs split
    the feeds between them without polling one twice (`transforms/shard.py`).
    """
    settings = sharded(settings or load_settings(Path(config) if config else None), shard)
    with pipeline_run("ingest", config, settings) as (ctx, summary):
        counts = {s.name: SourceCounts(source=s.name) for s in ctx.settings.sources}
        summary.sources = list(counts.values())
        now = datetime.now(UTC)
        stored, deferred = polling_state(ctx.warehouse)
        feeds, summary.not_polled = _due_feeds(ctx, stored, now, poll_all)
        with ctx.warehouse.writing_soon():  # taken while polling, for recording the polls
            polls, pending = _poll(ctx, counts, feeds, now, deferred)
        _process(ctx, summary, counts, pending, [f for poll in polls for f in _feed_failures(poll)])
    return summary


def _poll(
    ctx: RunContext,
    counts: dict[str, SourceCounts],
    feeds: list[tuple[Source, FeedState]],
    now: datetime,
    deferred: Sequence[FeedItem],
) -> tuple[list[FeedPoll], list[FeedItem]]:
    """Poll the feeds, record their new state and exchanges; return the polls and new items.

    `deferred` are the items earlier runs deferred, read with the feed states.
    """
    with ctx.timed("poll"):
        polls = (
            poll_feeds(
                opaque(feeds),
                ctx.settings.http,
                ctx.settings.limits.max_items_per_feed,
                ctx.archive,
            )
            if feeds
            else []
        )
    for poll in polls:
        counts[poll.source].feeds_polled = 1
        counts[poll.source].items_seen = len(poll.items)
    waiting = [item for item in deferred if item.source in counts]
    items = [item for poll in polls for item in poll.items] + waiting
    settled = ctx.warehouse.settled(
        [(i.article_id, i.url) for i in items],
        {i.article_id: (i.source, i.guid) for i in items if i.guid},
    )
    pending = _new_items(polls, settled, counts)
    _record_polls(ctx, feeds, polls, pending, now)
    return polls, pending + _still_waiting(waiting, pending, settled, counts)


def _still_waiting(
    waiting: Sequence[FeedItem],
    pending: Sequence[FeedItem],
    settled: dict[str, str],
    counts: dict[str, SourceCounts],
) -> list[FeedItem]:
    """The items earlier runs deferred that still need their page, counted as seen.

    Those the feeds listed again are in `pending` already; one settled since
    (loaded through another URL) is not fetched again.
    """
    listed = {item.article_id for item in pending}
    again = [i for i in waiting if i.article_id not in listed and i.article_id not in settled]
    for item in again:
        counts[item.source].items_seen += 1
    if again:
        get_run_logger().info("%d pages deferred by earlier runs are fetched now", len(again))
    return again


def _fallbacks(
    unreachable: Sequence[FeedItem], failures: Sequence[Failure], batch: Sequence[FeedItem]
) -> list[FeedItem]:
    """Items of the batch that get a fallback: page unreachable, or not extractable."""
    by_url = {item.url: item for item in batch}
    unextracted = [by_url[f.url] for f in failures if f.stage == "extract" and f.url in by_url]
    return [*unreachable, *unextracted]


def _load_fallbacks(
    ctx: RunContext, items: Sequence[FeedItem], label: str
) -> dict[str, SourceCounts]:
    """Load the feed title and summary of these items as fallback articles.

    They are validated like any article except for the minimum body length,
    which is `feeds.fallback_min_chars`: a summary is short by nature.
    """
    now = datetime.now(UTC)
    min_chars = ctx.settings.feeds.fallback_min_chars
    articles: list[Article] = [
        article
        for item in items
        if (article := fallback_article(item, fetched_at=now, min_chars=min_chars)) is not None
    ]
    if not articles:
        return {}
    limits = ctx.settings.limits.model_copy(update={"min_body_chars": min_chars})
    fallback_ctx = replace(ctx, settings=ctx.settings.with_overrides(limits=limits), progress=None)
    loaded, _ = process_batch(fallback_ctx, label=f"{label}: fallbacks", articles=articles)
    return loaded


def _process(
    ctx: RunContext,
    summary: RunSummary,
    counts: dict[str, SourceCounts],
    pending: list[FeedItem],
    failures: list[Failure],
) -> None:
    """Fetch and process the pending items batch by batch; feed failures go with the first.

    With no pending item the feed failures are loaded on their own, and with
    neither there is nothing to do: the run stops here.
    """
    size = ctx.settings.limits.batch_size
    batches = [pending[i : i + size] for i in range(0, len(pending), size)]
    if not batches:
        if not failures:
            get_run_logger().info("nothing new to fetch")
            return
        batches = [[]]  # the feed failures alone
    if ctx.progress is not None:
        ctx.progress.start(len(batches))
    fetched: dict[str, tuple[list[FeedItem], list[FeedItem]]] = {}
    budget = TimeBudget.of(ctx.settings.http)  # the run's clock starts with its first page
    for done, loaded, batch_failures in process_batches(
        ctx, _fetched(ctx, batches, failures, fetched, budget)
    ):
        batch, unreachable = fetched.pop(done.label)
        summary.failures.extend(batch_failures)
        fallbacks = _fallbacks(unreachable, batch_failures, batch)
        for tallies in (loaded, _load_fallbacks(ctx, fallbacks, done.label) if fallbacks else {}):
            for source, tally in tallies.items():
                counts[source].add(tally)


def _fetched(
    ctx: RunContext,
    batches: Sequence[list[FeedItem]],
    failures: list[Failure],
    fetched: dict[str, tuple[list[FeedItem], list[FeedItem]]],
    budget: TimeBudget,
) -> Iterator[Batch]:
    """Fetch each batch's pages when the stages ask for it; the feed failures go with the first.

    Each batch's items and those whose page could not be had are kept in
    `fetched` under its label, for its fallbacks; its pages are not kept here
    once handed on, so they go as soon as they are extracted.
    """
    for number, batch in enumerate(batches, start=1):
        names = ", ".join(dict.fromkeys(item.source for item in batch)) or "feed failures"
        label = f"batch {number}/{len(batches)}: {names} ({plural(len(batch), 'item')})"
        yield _fetch_one(ctx, batch, label, failures, fetched=fetched, budget=budget)
        failures = []


def _fetch_one(
    ctx: RunContext,
    batch: list[FeedItem],
    label: str,
    failures: list[Failure],
    *,
    fetched: dict[str, tuple[list[FeedItem], list[FeedItem]]],
    budget: TimeBudget,
) -> Batch:
    """Fetch one batch of items into a batch for the stages, with the failures it carries."""
    with ctx.timed("fetch"):
        pages, fetch_failures, unreachable = (
            fetch_pages(opaque(ctx), opaque(batch), label, opaque(budget))
            if batch
            else ([], [], [])
        )
    fetched[label] = (batch, unreachable)
    return Batch(label, pages=pages, failures=[*failures, *fetch_failures])
