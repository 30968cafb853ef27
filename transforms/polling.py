"""Feed polling state and its rules: when a feed is due, and what a poll changes.

Pure functions over `FeedState` (one row of the feed_state table); the flow
loads the states, polls the due feeds and stores what these functions return.

- Adaptive interval: a poll that found new items halves the interval, one that
  found none (or got 304) multiplies it by 1.5, always within
  [min_interval, max_interval]. A feed publishing every hour settles near an
  hour; a dormant one drifts to max_interval.
- Failures: the n-th failure in a row waits min_interval * 2**(n-1) (at most
  max_interval) and the n = max_failures-th disables the feed with the reason.
  A success resets both and re-enables the feed.
- A feed URL found by autodiscovery is polled directly; when it fails for good
  the state goes back to the configured URL, so discovery runs again.
- A changed configuration: a new URL starts the state over; any other change
  to what decides a fetch (the source's options, the `http:` settings, seen as
  a changed `source_fingerprint`) ends the backoff, so the next run polls it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from mediawatch.settings import FeedSettings

GROW = 1.5  # interval factor after a poll without new items
SHRINK = 0.5  # interval factor after a poll with new items


@dataclass(frozen=True, slots=True)
class FeedState:
    """Polling state and health of one feed; fields match the feed_state columns in order."""

    source: str
    feed_url: str
    source_url: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    items_seen: int = 0
    last_new_items: int = 0
    poll_interval_s: int | None = None
    next_poll_at: datetime | None = None
    disabled: bool = False
    disabled_reason: str | None = None
    last_error: str | None = None
    source_fingerprint: str | None = None


def current_state(
    source: str, url: str, stored: FeedState | None, fingerprint: str | None = None
) -> FeedState:
    """The state a run starts from, given the source's configured URL and fingerprint.

    A fresh state if there is none or the URL changed; the stored one with its
    backoff ended (due now, failures and disabling cleared) if the fingerprint
    changed; the stored one as it is otherwise. A row stored before
    fingerprints existed (NULL) adopts the current one without a reset.
    """
    if stored is None or stored.source_url != url:
        return FeedState(source, feed_url=url, source_url=url, source_fingerprint=fingerprint)
    if fingerprint is None or stored.source_fingerprint == fingerprint:
        return stored
    if stored.source_fingerprint is None:
        return replace(stored, source_fingerprint=fingerprint)
    return replace(
        stored,
        consecutive_failures=0,
        next_poll_at=None,
        disabled=False,
        disabled_reason=None,
        last_error=None,
        source_fingerprint=fingerprint,
    )


def is_due(state: FeedState, now: datetime, *, force: bool = False) -> bool:
    """Whether a run at `now` polls the feed: always when forced, never when disabled."""
    if force:
        return True
    return not state.disabled and (state.next_poll_at is None or state.next_poll_at <= now)


def next_interval(current: int | None, new_items: int, policy: FeedSettings) -> int:
    """The interval after a successful poll that found `new_items` new items."""
    interval = current or policy.initial_interval
    factor = SHRINK if new_items > 0 else GROW
    return max(policy.min_interval, min(policy.max_interval, round(interval * factor)))


def failure_delay(failures: int, policy: FeedSettings) -> int:
    """Seconds to wait after the `failures`-th failure in a row: exponential, capped."""
    return min(policy.max_interval, policy.min_interval * 2 ** max(0, failures - 1))


def polled_ok(
    state: FeedState,
    *,
    now: datetime,
    status: int | None,
    feed_url: str,
    etag: str | None,
    last_modified: str | None,
    items: int,
    new_items: int,
    warning: str | None,
    policy: FeedSettings,
) -> FeedState:
    """The state after a usable answer (a feed, or 304 with `items` 0); re-enables the feed.

    A 304 carries no new validators, so the stored ones are kept unless it sent some.
    """
    interval = next_interval(state.poll_interval_s, new_items, policy)
    return replace(
        state,
        feed_url=feed_url,
        last_polled_at=now,
        last_success_at=now,
        last_status=status,
        etag=etag or (state.etag if status == 304 else None),
        last_modified=last_modified or (state.last_modified if status == 304 else None),
        consecutive_failures=0,
        items_seen=state.items_seen + items,
        last_new_items=new_items,
        poll_interval_s=interval,
        next_poll_at=now + timedelta(seconds=interval),
        disabled=False,
        disabled_reason=None,
        last_error=warning,
    )


def polled_failed(
    state: FeedState,
    *,
    now: datetime,
    status: int | None,
    message: str,
    retryable: bool,
    policy: FeedSettings,
) -> FeedState:
    """The state after a failed poll: back off exponentially, disable after too many."""
    failures = state.consecutive_failures + 1
    disabled = failures >= policy.max_failures
    rediscover = not retryable and state.source_url is not None
    rediscover = rediscover and state.feed_url != state.source_url
    return replace(
        state,
        feed_url=state.source_url if rediscover else state.feed_url,
        etag=None if rediscover else state.etag,
        last_modified=None if rediscover else state.last_modified,
        last_polled_at=now,
        last_status=status,
        consecutive_failures=failures,
        poll_interval_s=state.poll_interval_s or policy.initial_interval,
        next_poll_at=now + timedelta(seconds=failure_delay(failures, policy)),
        disabled=disabled,
        disabled_reason=(
            f"{failures} failed polls in a row; the last: {message}" if disabled else None
        ),
        last_error=message,
    )


def health(state: FeedState) -> str:
    """One word for `mediawatch sources`: ok, failing, disabled or new (never polled)."""
    if state.disabled:
        return "disabled"
    if state.consecutive_failures:
        return "failing"
    return "ok" if state.last_polled_at else "new"


def waits(state: FeedState) -> str:
    """Why a feed is not polled now, e.g. `desk: disabled (10 failed polls ...)` or its due time."""
    if state.disabled:
        return f"{state.source}: disabled ({state.disabled_reason})"
    backoff = f" after {state.consecutive_failures} failures" if state.consecutive_failures else ""
    due = f"{state.next_poll_at:%Y-%m-%d %H:%M %Z}".strip() if state.next_poll_at else "now"
    return f"{state.source}: next poll {due}{backoff}"
