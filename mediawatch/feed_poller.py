"""Poll a set of feeds in one concurrent batch: conditional GET, parsing and autodiscovery.

Each feed is requested with the ETag and Last-Modified of its stored state,
so an unchanged feed answers 304 and is not parsed at all. A source URL that
turns out to be an HTML page is resolved through the feeds it names
(`<link rel="alternate">`): every such page costs one more batch request, and
the feed found is remembered in the state so later polls go straight to it.
Nothing here raises for a bad feed: each outcome carries a named `Failure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from mediawatch.archive import WarcArchive
from mediawatch.feed_store import LoggedFetch, logged
from mediawatch.http import FetchRequest, FetchResult, Resolver, fetch_all, system_resolver
from mediawatch.settings import FeedSettings, HttpSettings, Source
from schemas.records import Failure, FeedItem
from transforms.feeds import FeedError, discover_feeds, parse_feed
from transforms.polling import FeedState, polled_failed, polled_ok


@dataclass(slots=True)
class FeedPoll:
    """What polling one feed gave.

    `failure` is set when the poll gave nothing usable; `warnings` are problems
    of a feed that still gave items (malformed, wrong charset). `feed_url` is
    the URL that answered, the discovered feed's for an HTML source page.
    """

    source: str
    feed_url: str
    status: int | None
    items: list[FeedItem] = field(default_factory=list)
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    failure: Failure | None = None
    warnings: list[Failure] = field(default_factory=list)
    fetches: list[LoggedFetch] = field(default_factory=list)


def state_after(
    state: FeedState, poll: FeedPoll, *, now: datetime, new_items: int, policy: FeedSettings
) -> FeedState:
    """The feed's state after this poll: success (304 included) or failure, per the policy."""
    if poll.failure is not None:
        return polled_failed(
            state,
            now=now,
            status=poll.status,
            message=poll.failure.message,
            retryable=poll.failure.retryable,
            policy=policy,
        )
    return polled_ok(
        state,
        now=now,
        status=poll.status,
        feed_url=poll.feed_url,
        etag=poll.etag,
        last_modified=poll.last_modified,
        items=len(poll.items),
        new_items=new_items,
        warning="; ".join(w.message for w in poll.warnings) or None,
        policy=policy,
    )


def _read(source: str, url: str, result: FetchResult, max_items: int) -> FeedPoll:
    """Turn one fetch result into a poll outcome, parsing the body unless it is a 304."""
    poll = FeedPoll(
        source=source,
        feed_url=url,
        status=result.status,
        not_modified=result.ok and result.not_modified,
        etag=result.headers.get("etag"),
        last_modified=result.headers.get("last-modified"),
        fetches=logged(source, [result]),
    )
    if result.error is not None:
        error = result.error
        poll.failure = Failure(source, url, "fetch", error.reason, error.message, error.retryable)
        return poll
    if poll.not_modified:
        return poll
    try:
        parsed = parse_feed(
            result.content or b"",
            source=source,
            feed_url=result.url,
            content_type=result.content_type,
            max_items=max_items,
        )
    except FeedError as exc:
        poll.failure = Failure(source, url, "parse", exc.reason, str(exc))
        return poll
    poll.items = parsed.items
    poll.warnings = [Failure(source, url, "parse", w.reason, w.message) for w in parsed.warnings]
    return poll


def poll_feeds(
    feeds: Sequence[tuple[Source, FeedState]],
    http: HttpSettings,
    max_items: int,
    resolver: Resolver = system_resolver,
    archive: WarcArchive | None = None,
) -> list[FeedPoll]:
    """Poll every (source, state) pair; one outcome per pair, in order.

    `max_items` applies to sources without their own `max_items`. `resolver`
    is for tests and benchmarks that serve many host names on loopback.
    Every response is written to `archive` when one is given.
    """
    results = fetch_all(
        [
            FetchRequest(
                state.feed_url, kind="feed", etag=state.etag, last_modified=state.last_modified
            )
            for _, state in feeds
        ],
        http,
        resolver,
    )
    if archive is not None:
        archive.write(results)
    polls: list[FeedPoll] = []
    discovered: list[tuple[int, str]] = []
    for (source, state), result in zip(feeds, results, strict=True):
        poll = _read(source.name, state.feed_url, result, source.max_items or max_items)
        if poll.failure is not None and poll.failure.reason == "not_a_feed":
            named = discover_feeds(result.content or b"", result.url, result.content_type)
            if named:
                discovered.append((len(polls), named[0]))
        polls.append(poll)
    if not discovered:
        return polls
    again = fetch_all([FetchRequest(url, kind="feed") for _, url in discovered], http, resolver)
    if archive is not None:
        archive.write(again)
    for (index, url), result in zip(discovered, again, strict=True):
        page, (source, _) = polls[index], feeds[index]
        found = _read(source.name, url, result, source.max_items or max_items)
        found.fetches = [*page.fetches, *found.fetches]
        if found.failure is not None:
            found.failure = replace(
                found.failure,
                url=page.feed_url,
                message=f"{page.feed_url} is a page naming the feed {url}: {found.failure.message}",
            )
        polls[index] = found
    return polls
