"""Persistence of feed polling: feed_state rows, the fetch_log, and the deferred items.

The rules live in `transforms/polling.py`; this module only reads and writes
them, each write one `Warehouse.transaction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime

import duckdb

from mediawatch.http import FetchAttempt, FetchResult
from mediawatch.settings import Settings
from mediawatch.warehouse import Warehouse, insert_rows
from schemas.records import FeedItem
from transforms.polling import FeedState, current_state

_STATE_COLUMNS = [f.name for f in fields(FeedState)]


@dataclass(frozen=True, slots=True)
class LoggedFetch:
    """One HTTP exchange and the source it was made for: a row of fetch_log."""

    source: str | None
    attempt: FetchAttempt


def logged(source: str | None, results: Sequence[FetchResult]) -> list[LoggedFetch]:
    """Every exchange of these results (retries, redirect hops, robots.txt), for `source`."""
    return [LoggedFetch(source, attempt) for result in results for attempt in result.attempts]


def read_states(con: duckdb.DuckDBPyConnection) -> dict[str, FeedState]:
    """Every stored feed state, by source name."""
    rows = con.execute(f"SELECT {', '.join(_STATE_COLUMNS)} FROM feed_state").fetchall()
    return {row[0]: FeedState(*row) for row in rows}


def configured_states(settings: Settings, stored: dict[str, FeedState]) -> dict[str, FeedState]:
    """The state each configured feed starts a run from, by name (see `current_state`)."""
    return {
        s.name: current_state(s.name, s.url, stored.get(s.name), settings.fetch_fingerprint(s))
        for s in settings.sources
    }


def load_states(warehouse: Warehouse) -> dict[str, FeedState]:
    """The stored feed states, by source name."""
    with warehouse.reader() as con:
        return read_states(con)


def save_states(warehouse: Warehouse, states: Sequence[FeedState]) -> None:
    """Insert or replace the state rows of these feeds, all or nothing."""
    if not states:
        return
    with warehouse.transaction() as con:
        insert_rows(
            con,
            "feed_state",
            [astuple(state) for state in states],
            replace=True,
            columns=_STATE_COLUMNS,
        )


def record_fetches(warehouse: Warehouse, run_id: str, fetches: Sequence[LoggedFetch]) -> None:
    """Append exchanges to fetch_log (duration stored in milliseconds)."""
    if not fetches:
        return
    with warehouse.transaction() as con:
        insert_rows(
            con,
            "fetch_log",
            [
                (
                    run_id,
                    f.source,
                    f.attempt.url,
                    f.attempt.kind,
                    f.attempt.status,
                    f.attempt.bytes,
                    f.attempt.duration * 1000,
                    f.attempt.error_class,
                    f.attempt.error_message,
                    f.attempt.started_at,
                )
                for f in fetches
            ],
        )


_ITEM_COLUMNS = [f.name for f in fields(FeedItem)]


def deferred_items(warehouse: Warehouse) -> list[FeedItem]:
    """The feed items earlier runs deferred (time budget spent), oldest first."""
    with warehouse.reader() as con:
        rows = con.execute(
            f"SELECT {', '.join(_ITEM_COLUMNS)} FROM deferred_items ORDER BY deferred_at, url"
        ).fetchall()
    return [FeedItem(*row) for row in rows]


def update_deferred(
    warehouse: Warehouse, run_id: str, deferred: Sequence[FeedItem], fetched: Sequence[FeedItem]
) -> None:
    """Keep the items deferred again for the next run; forget those fetched (whatever came)."""
    if not deferred and not fetched:
        return
    now = datetime.now(UTC)
    with warehouse.transaction() as con:
        con.execute(
            "DELETE FROM deferred_items WHERE article_id IN (SELECT unnest(?))",
            [[item.article_id for item in fetched]],
        )
        insert_rows(
            con,
            "deferred_items",
            [(*astuple(item), run_id, now) for item in deferred],  # FeedItem's column order
            replace=True,
        )
