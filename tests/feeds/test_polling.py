"""Adaptive polling intervals, exponential backoff on failure and disabling."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mediawatch.settings import FeedSettings
from transforms.polling import (
    FeedState,
    current_state,
    failure_delay,
    health,
    is_due,
    next_interval,
    polled_failed,
    polled_ok,
    waits,
)

POLICY = FeedSettings(
    min_interval=300,
    max_interval=86400,
    initial_interval=900,
    max_failures=4,
    fallback_min_chars=40,
)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
URL = "https://news.example.org/rss.xml"


def ok(state: FeedState, new_items: int, **changes: object) -> FeedState:
    values: dict = {
        "now": NOW,
        "status": 200,
        "feed_url": state.feed_url,
        "etag": '"v1"',
        "last_modified": None,
        "items": 10,
        "new_items": new_items,
        "warning": None,
        "policy": POLICY,
    }
    return polled_ok(state, **{**values, **changes})


def failed(state: FeedState, retryable: bool = True) -> FeedState:
    return polled_failed(
        state, now=NOW, status=503, message=f"{URL}: HTTP 503", retryable=retryable, policy=POLICY
    )


def test_busy_feeds_speed_up_and_quiet_feeds_slow_down_within_bounds() -> None:
    assert next_interval(None, 3, POLICY) == 450
    assert next_interval(900, 0, POLICY) == 1350
    assert next_interval(400, 5, POLICY) == 300  # never below min_interval
    assert next_interval(80000, 0, POLICY) == 86400  # never above max_interval
    state = current_state("desk", URL, None)
    intervals = []
    for _ in range(20):
        state = ok(state, new_items=0)
        intervals.append(state.poll_interval_s)
    assert intervals[0] == 1350 and intervals[-1] == 86400
    assert intervals == sorted(intervals)


def test_success_records_validators_counts_and_next_poll() -> None:
    state = ok(current_state("desk", URL, None), new_items=2)
    assert state.etag == '"v1"'
    assert (state.items_seen, state.last_new_items, state.last_status) == (10, 2, 200)
    assert state.next_poll_at == NOW + timedelta(seconds=450)
    assert not is_due(state, NOW + timedelta(seconds=449))
    assert is_due(state, NOW + timedelta(seconds=450))
    assert health(state) == "ok"


def test_not_modified_keeps_the_stored_validators() -> None:
    first = ok(current_state("desk", URL, None), new_items=1, last_modified="Tue, 17 Nov 2026")
    second = ok(first, new_items=0, status=304, etag=None, last_modified=None, items=0)
    assert (second.etag, second.last_modified) == ('"v1"', "Tue, 17 Nov 2026")
    assert second.items_seen == 10
    third = ok(second, new_items=0, etag=None)
    assert third.etag is None  # a full answer without an ETag clears the stale one


def test_failures_back_off_exponentially_then_disable_with_the_reason() -> None:
    assert [failure_delay(n, POLICY) for n in range(1, 6)] == [300, 600, 1200, 2400, 4800]
    assert failure_delay(30, POLICY) == 86400
    state = ok(current_state("desk", URL, None), new_items=1)
    delays = []
    for _ in range(3):
        state = failed(state)
        delays.append((state.next_poll_at - NOW).total_seconds())
        assert not state.disabled and health(state) == "failing"
    assert delays == [300, 600, 1200]
    assert state.poll_interval_s == 450  # the healthy interval is kept for the recovery
    state = failed(state)
    assert state.disabled and state.consecutive_failures == POLICY.max_failures
    assert state.disabled_reason == f"4 failed polls in a row; the last: {URL}: HTTP 503"
    assert health(state) == "disabled"
    assert not is_due(state, NOW + timedelta(days=365))
    assert is_due(state, NOW, force=True)
    recovered = ok(state, new_items=0)
    assert (recovered.disabled, recovered.consecutive_failures, recovered.disabled_reason) == (
        False,
        0,
        None,
    )


@pytest.mark.parametrize(("retryable", "polled"), [(True, "discovered"), (False, "configured")])
def test_a_discovered_feed_that_fails_for_good_is_discovered_again(
    retryable: bool, polled: str
) -> None:
    page = "https://news.example.org/"
    state = ok(current_state("desk", page, None), new_items=1, feed_url=URL)
    assert state.feed_url == URL and state.source_url == page
    after = failed(state, retryable=retryable)
    assert after.feed_url == {"discovered": URL, "configured": page}[polled]
    assert (after.etag is None) == (polled == "configured")


def test_a_changed_source_url_starts_a_fresh_state() -> None:
    stored = failed(ok(current_state("desk", URL, None), new_items=1))
    assert current_state("desk", URL, stored) is stored
    fresh = current_state("desk", "https://news.example.org/other.xml", stored)
    assert fresh == FeedState("desk", "https://news.example.org/other.xml", fresh.source_url)
    assert health(fresh) == "new"


def test_a_corrected_url_ends_the_backoff_and_a_waiting_feed_says_why() -> None:
    state = current_state("desk", URL, None)
    for _ in range(POLICY.max_failures):
        state = failed(state)
    assert state.disabled
    assert waits(state).startswith("desk: disabled (")
    assert current_state("desk", URL, state) is state
    fixed = current_state("desk", URL + "?v=2", state)
    assert (fixed.disabled, fixed.consecutive_failures, fixed.next_poll_at) == (False, 0, None)
    assert is_due(fixed, NOW)
    backing_off = failed(current_state("desk", URL, None))
    assert waits(backing_off) == "desk: next poll 2026-11-20 12:05 UTC after 1 failures"


def test_a_changed_fingerprint_ends_the_backoff_but_keeps_the_history() -> None:
    stored = current_state("desk", URL, None, "f1")
    for _ in range(POLICY.max_failures):
        stored = failed(stored)
    stored = replace(stored, etag='"v1"', items_seen=7)
    assert current_state("desk", URL, stored, "f1") is stored
    reset = current_state("desk", URL, stored, "f2")
    assert (reset.disabled, reset.consecutive_failures, reset.next_poll_at) == (False, 0, None)
    assert (reset.disabled_reason, reset.last_error, reset.source_fingerprint) == (None, None, "f2")
    assert (reset.etag, reset.items_seen) == ('"v1"', 7)
    assert is_due(reset, NOW)


def test_a_state_stored_before_fingerprints_adopts_one_without_a_reset() -> None:
    stored = failed(current_state("desk", URL, None))
    assert stored.source_fingerprint is None
    adopted = current_state("desk", URL, stored, "f1")
    assert adopted == replace(stored, source_fingerprint="f1")
    assert not is_due(adopted, NOW)
