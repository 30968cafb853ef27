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


def polling_state(warehouse: Warehouse) -> tuple[dict[str, FeedState], list[FeedItem]]:
    """The stored feed states and the deferred items, read through one connection.

    What an ingest run reads before it polls: one opening of the warehouse
    file instead of two (each a tenth of a second of a run with nothing new).
    """
    with warehouse.reader() as con:
        return read_states(con), _read_deferred(con)


def save_states(warehouse: Warehouse, states: Sequence[FeedState]) -> None:
    """Insert or replace the state rows of these feeds, all or nothing."""
    record_polls(warehouse, "", states, [])


def record_fetches(warehouse: Warehouse, run_id: str, fetches: Sequence[LoggedFetch]) -> None:
    """Append exchanges to fetch_log (duration stored in milliseconds)."""
    record_polls(warehouse, run_id, [], fetches)


def record_polls(
    warehouse: Warehouse,
    run_id: str,
    states: Sequence[FeedState],
    fetches: Sequence[LoggedFetch],
) -> None:
    """Store feed states and append exchanges to fetch_log in one transaction (none if empty).

    A run's polls write both: one transaction opens the warehouse once.
    """
    if not states and not fetches:
        return
    with warehouse.transaction() as con:
        if states:
            insert_rows(
                con,
                "feed_state",
                [astuple(state) for state in states],
                replace=True,
                columns=_STATE_COLUMNS,
            )
        if fetches:
            insert_rows(con, "fetch_log", [_fetch_row(run_id, f) for f in fetches])


def _fetch_row(run_id: str, fetch: LoggedFetch) -> tuple:
    """A fetch_log row (duration stored in milliseconds)."""
    attempt = fetch.attempt
    return (
        run_id,
        fetch.source,
        attempt.url,
        attempt.kind,
        attempt.status,
        attempt.bytes,
        attempt.duration * 1000,
        attempt.error_class,
        attempt.error_message,
        attempt.started_at,
    )


_ITEM_COLUMNS = [f.name for f in fields(FeedItem)]


def _read_deferred(con: duckdb.DuckDBPyConnection) -> list[FeedItem]:
    """The feed items earlier runs deferred (time budget spent), oldest first."""
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
