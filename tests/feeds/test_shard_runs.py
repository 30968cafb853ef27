"""Runs with shards 1/N..N/N poll every feed exactly once between them (real ingest flows)."""

from __future__ import annotations

import pytest
from warehouse_reads import query

from flows.ingest import ingest, sharded
from mediawatch.errors import ConfigError
from mediawatch.settings import Settings, Source, load_settings
from transforms.shard import shard_of

pytestmark = pytest.mark.usefixtures("prefect_harness")

FEEDS = 6


@pytest.fixture
def settings(tmp_path, loopback, reply, http_settings, story_body: str) -> Settings:
    """Six feeds of one article each on loopback, and a fresh warehouse."""
    loopback.add("/robots.txt", reply(200, b"", {"Content-Type": "text/plain"}))
    sources = []
    for n in range(FEEDS):
        page = loopback.add(
            f"/desk-{n}/story.html",
            reply(
                200,
                f"<html><head><title>Desk {n} timetable</title></head><body><article>"
                f"<h1>Desk {n} timetable</h1>{story_body}</article></body></html>".encode(),
                {"Content-Type": "text/html"},
            ),
        )
        feed = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk {n}</title>'
            f"<item><title>Desk {n} timetable</title><link>{page}</link>"
            f"<guid>desk-{n}</guid></item></channel></rss>"
        ).encode()
        url = loopback.add(f"/desk-{n}/feed.xml", reply(200, feed, {"Content-Type": "text/xml"}))
        sources.append(Source(name=f"desk-{n}", url=url))
    return load_settings(warehouse=tmp_path / "warehouse.duckdb").with_overrides(
        sources=sources, http=http_settings
    )


def test_two_shards_poll_every_feed_once_and_load_every_article_once(settings, loopback) -> None:
    first = ingest(settings=settings, shard="1/2")
    second = ingest(settings=settings.with_overrides(shard="2/2"))
    names = [[c.source for c in run.sources] for run in (first, second)]
    assert sorted(names[0] + names[1]) == sorted(s.name for s in settings.sources)
    assert not set(names[0]) & set(names[1])
    assert names[0] == [s.name for s in settings.sources if shard_of(s.url, 2) == 1]
    for n in range(FEEDS):
        assert len(loopback.hits(f"/desk-{n}/feed.xml")) == 1
        assert len(loopback.hits(f"/desk-{n}/story.html")) == 1
    assert first.total().new + second.total().new == FEEDS
    rows = query(
        settings.warehouse,
        "SELECT count(*), count(DISTINCT article_id), typeof(any_value(article_id)) FROM articles",
    )
    assert rows == [(FEEDS, FEEDS, "VARCHAR")]
    polled = "SELECT count(*) FROM feed_state WHERE last_polled_at IS NOT NULL"
    assert query(settings.warehouse, polled) == [(FEEDS,)]


def test_a_bad_shard_is_a_config_error_naming_the_key(settings) -> None:
    with pytest.raises(ConfigError, match="shard: i must be between 1 and N"):
        sharded(settings, "3/2")
