"""A feed far longer than `max_items` is read only as far as needed: the items kept are the
first ones, and memory stays near the document's own size instead of feedparser's tree of
every entry."""

from __future__ import annotations

import tracemalloc

import pytest

from transforms.feeds import parse_feed

FEED_URL = "https://news.example.org/feed"


def _rss(links: list[int]) -> bytes:
    items = b"".join(
        b"<item><title>Story %d</title><link>https://news.example.org/s/%d</link>"
        b"<description>Short text of story %d.</description></item>\n" % (n, n, n)
        for n in links
    )
    return b'<rss version="2.0"><channel><title>Big</title>\n' + items + b"</channel></rss>"


def _atom(count: int) -> bytes:
    entries = b"".join(
        b'<entry><title>Story %d</title><link href="https://news.example.org/a/%d"/>'
        b"<id>tag:a,%d</id></entry>" % (n, n, n)
        for n in range(count)
    )
    return b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Big</title>' + entries + b"</feed>"


def test_a_100000_item_feed_is_read_up_to_max_items_in_bounded_memory() -> None:
    document = _rss(list(range(100_000)))
    tracemalloc.start()
    try:
        feed = parse_feed(document, source="big", feed_url=FEED_URL, max_items=500)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [item.url for item in feed.items] == [
        f"https://news.example.org/s/{n}" for n in range(500)
    ]
    assert feed.title == "Big" and feed.warnings == []
    # Parsing all 100,000 entries took over 200 MB (and minutes); the first 1,000 take a few.
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"


def test_duplicates_at_the_top_make_it_read_further() -> None:
    """2 x max_items entries that are all one story: the parse goes on until 10 are found."""
    document = _rss([0] * 20 + list(range(1, 200)))
    feed = parse_feed(document, source="big", feed_url=FEED_URL, max_items=10)
    assert [item.url.rpartition("/")[2] for item in feed.items] == [str(n) for n in range(10)]


@pytest.mark.parametrize("max_items", [1, 7, None])
def test_atom_is_cut_and_closed_cleanly(max_items: int | None) -> None:
    feed = parse_feed(_atom(50), source="big", feed_url=FEED_URL, max_items=max_items)
    assert len(feed.items) == (max_items or 50)
    assert feed.items[-1].guid == f"tag:a,{(max_items or 50) - 1}"
    assert feed.warnings == []
