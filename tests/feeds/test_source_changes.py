"""A feed in backoff is polled again as soon as its configuration changes.

Friction 1 of issue 18: fixing a feed's entry (its allow-list, its options)
used to leave it waiting out the backoff the broken entry earned. Each run
here is a real ingest flow over loopback HTTP.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from warehouse_reads import query

from flows.ingest import ingest
from mediawatch.settings import Settings, Source, load_settings

pytestmark = pytest.mark.usefixtures("prefect_harness")

PAGE = (
    b"<!doctype html><html lang='en'><head><title>Ferry timetable changes</title></head><body>"
    b"<article><h1>Ferry timetable changes</h1>"
    b"<p>The island ferry company of Norholm will run two extra crossings every weekday from "
    b"the first of December, the operator announced on Monday after months of complaints.</p>"
    b"<p>Commuters had asked for an earlier morning boat for years, and the council agreed to "
    b"cover part of the cost of the crew and the fuel for the first winter of the trial.</p>"
    b"<p>The last evening crossing will leave twenty minutes later than today, so that "
    b"travellers arriving on the late train from the capital no longer miss the boat.</p>"
    b"</article></body></html>"
)


def feed_state(settings: Settings) -> tuple:
    [row] = query(
        settings.warehouse,
        "SELECT consecutive_failures, next_poll_at, source_fingerprint FROM feed_state",
    )
    return row


@pytest.fixture
def site(loopback, reply) -> str:
    """A feed of one article on loopback; returns the feed URL."""
    page = loopback.add("/ferry.html", reply(200, PAGE, {"Content-Type": "text/html"}))
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour desk</title>'
        f"<item><title>Ferry timetable changes</title><link>{page}</link>"
        "<guid>ferry-1</guid></item></channel></rss>"
    ).encode()
    loopback.add("/robots.txt", reply(200, b"", {"Content-Type": "text/plain"}))
    return loopback.add("/feed.xml", reply(200, feed, {"Content-Type": "application/rss+xml"}))


def test_a_fixed_allow_list_and_a_changed_option_end_the_backoff(tmp_path, site) -> None:
    base = load_settings(warehouse=tmp_path / "warehouse.duckdb")
    blocked = base.with_overrides(
        sources=[Source(name="harbour", url=site)],
        http=base.http.model_copy(update={"min_host_delay": 0}),
    )
    first = ingest(settings=blocked)
    assert first.total().feeds_polled == 1 and first.failures
    failures, due, broken = feed_state(blocked)
    assert failures == 1 and isinstance(due, datetime) and isinstance(broken, str)

    again = ingest(settings=blocked)
    assert again.total().feeds_polled == 0
    assert again.not_polled[0].startswith("harbour: next poll")

    allowed = blocked.with_overrides(
        http=blocked.http.model_copy(update={"allow_private": ["127.0.0.1"]})
    )
    fixed = ingest(settings=allowed)
    assert (fixed.total().feeds_polled, fixed.total().new) == (1, 1)
    failures, due, healthy = feed_state(allowed)
    assert failures == 0 and healthy == allowed.fetch_fingerprint(allowed.sources[0]) != broken

    assert ingest(settings=allowed).total().feeds_polled == 0  # healthy and not due yet
    fewer = allowed.with_overrides(sources=[Source(name="harbour", url=site, max_items=5)])
    assert ingest(settings=fewer).total().feeds_polled == 1
