"""The report renderers: run table rows, run Markdown summary, digest time buckets and chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.records import Failure, RunSummary, SourceCounts
from transforms.reports import Digest, period_buckets, run_markdown, source_table, volume_chart


def _summary() -> RunSummary:
    return RunSummary(
        run_id="r1",
        flow="ingest",
        warehouse="w.duckdb",
        sources=[
            SourceCounts("courier", feeds_polled=1, items_seen=12, new=10, quarantined=1, failed=1),
            SourceCounts("ledger|wire", feeds_polled=1, items_seen=3, unchanged=3),
        ],
        failures=[Failure("courier", "http://x/y", "fetch", "http_status", "http://x/y: HTTP 404")],
    )


def test_source_table_has_the_counts_per_source_and_a_total() -> None:
    rows = source_table(_summary())
    assert rows == [
        {
            "source": "courier",
            "polled": 12,
            "new": 10,
            "updated": 0,
            "unchanged": 0,
            "quarantined": 1,
            "failed": 1,
            "deferred": 0,
        },
        {
            "source": "ledger|wire",
            "polled": 3,
            "new": 0,
            "updated": 0,
            "unchanged": 3,
            "quarantined": 0,
            "failed": 0,
            "deferred": 0,
        },
        {
            "source": "total",
            "polled": 15,
            "new": 10,
            "updated": 0,
            "unchanged": 3,
            "quarantined": 1,
            "failed": 1,
            "deferred": 0,
        },
    ]
    assert all(isinstance(v, int) for row in rows for k, v in row.items() if k != "source")


def test_markdown_lists_topics_quarantine_reasons_failures_and_alerts() -> None:
    text = run_markdown(
        _summary(),
        [("geopolitics", 4), ("geopolitics/TikTok", 2)],
        [("body_long_enough", 1)],
        [("tiktok-desk", 2, 1)],
    )
    assert text.startswith(
        "# ingest run\n\n10 new, 0 updated, 3 unchanged, 1 quarantined, 1 failed"
    )
    assert "| geopolitics/TikTok | 2 |" in text
    assert "| body\\_long\\_enough | 1 |" in text
    assert "| courier | fetch | http\\_status | no | http://x/y: HTTP 404 |" in text
    assert "| tiktok-desk | 2 | 1 |" in text


def test_markdown_says_when_there_is_nothing_to_report() -> None:
    text = run_markdown(RunSummary("r2", "pages", "w"), [], [])
    assert "No new or changed article was labelled in this run." in text
    assert "Nothing was quarantined." in text
    assert "No source, feed or page failed." in text
    assert "## Alerts" not in text


def test_deferred_articles_are_reported_and_do_not_raise_the_quarantine_share() -> None:
    busy = RunSummary(
        "r3", "pages", "w", sources=[SourceCounts("inbox", quarantined=3, new=1, deferred=4)]
    )
    assert busy.total().quarantine_share == 3 / 8
    assert SourceCounts("inbox", quarantined=3, new=1).quarantine_share == 3 / 4
    assert SourceCounts("inbox").quarantine_share == 0.0
    text = run_markdown(busy, [], [])
    assert "4 articles deferred: spooled while the warehouse was busy." in text


def test_period_buckets_cover_the_whole_period_in_utc_hours_or_days() -> None:
    start = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    hourly = period_buckets(Digest(start, start + timedelta(days=1), "hour", 0))
    assert hourly[0] == datetime(2026, 11, 25, 8, tzinfo=UTC)
    assert hourly[-1] == datetime(2026, 11, 26, 8, tzinfo=UTC)
    assert len(hourly) == 25
    daily = period_buckets(Digest(start, start + timedelta(days=7), "day", 0))
    assert daily == [datetime(2026, 11, 25 + n, tzinfo=UTC) for n in range(6)] + [
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 12, 2, tzinfo=UTC),
    ]


def test_chart_of_an_empty_period_is_still_a_png() -> None:
    start = datetime(2026, 11, 25, tzinfo=UTC)
    png = volume_chart(Digest(start, start + timedelta(days=1), "hour", 0))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
