"""Feed parsing: bytes in, canonical FeedItem records out, bad feeds named."""

from datetime import UTC, datetime

import pytest

from schemas.records import FeedItem
from transforms.feeds import FeedError, parse_feed

FEED_URL = "https://news.example.org/feeds/world.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>World desk</title>
<item><title>Harbour plan approved</title>
  <link>https://news.example.org/2026/11/harbour.html?utm_source=rss&amp;utm_medium=feed</link>
  <guid isPermaLink="false">harbour-2026</guid>
  <pubDate>Tue, 17 Nov 2026 08:30:00 +0100</pubDate>
  <author>desk@example.org (Mara Olsen)</author>
  <description>The council voted 31 to 12.</description></item>
<item><title>Relative link</title><link>/2026/11/relative.html</link></item>
<item><title>Same story again</title><link>https://news.example.org/2026/11/harbour.html</link></item>
<item><title>No link at all</title></item>
</channel></rss>"""

ATOM_LATIN1 = """<?xml version="1.0" encoding="iso-8859-1"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Tech Ledger</title>
<entry><title>Régulateur à Zürich</title><id>tag:ledger,2026:1</id>
<link rel="alternate" href="https://ledger.example.net/a/zurich.html"/>
<updated>2026-11-02T10:00:00Z</updated><author><name>Léa Dubois</name></author>
<summary>Le café du régulateur.</summary></entry></feed>""".encode("iso-8859-1")


def test_rss_items_are_canonical_typed_records() -> None:
    feed = parse_feed(RSS, source="world", feed_url=FEED_URL)
    assert feed.title == "World desk"
    assert [type(i) for i in feed.items] == [FeedItem, FeedItem]
    first, second = feed.items
    assert first.canonical_url == "https://news.example.org/2026/11/harbour.html"
    assert first.url.endswith("utm_medium=feed")
    assert first.published_at == datetime(2026, 11, 17, 7, 30, tzinfo=UTC)
    assert first.title == "Harbour plan approved"
    assert first.summary == "The council voted 31 to 12."
    assert len(first.article_id) == 16
    assert second.canonical_url == "https://news.example.org/2026/11/relative.html"
    assert [w.reason for w in feed.warnings] == ["bad_entries"]
    assert "1 entries without a usable http(s) link" in feed.warnings[0].message


def test_atom_in_latin1_keeps_accents() -> None:
    feed = parse_feed(ATOM_LATIN1, source="ledger", feed_url="https://ledger.example.net/atom")
    (item,) = feed.items
    assert item.title == "Régulateur à Zürich"
    assert item.author == "Léa Dubois"
    assert item.published_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_max_items_caps_the_feed() -> None:
    feed = parse_feed(RSS, source="world", feed_url=FEED_URL, max_items=1)
    assert len(feed.items) == 1


def test_malformed_feed_keeps_what_parsed() -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>cut off")
    feed = parse_feed(broken, source="world", feed_url=FEED_URL)
    assert len(feed.items) == 2
    assert [w.reason for w in feed.warnings] == ["malformed", "bad_entries"]
    assert feed.warnings[0].message.startswith(f"{FEED_URL}: malformed feed (")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<!doctype html><html><body><h1>Welcome</h1></body></html>", "not_a_feed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_a_feed"),
    ],
)
def test_unusable_bytes_raise_a_named_error(content: bytes, reason: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(content, source="world", feed_url=FEED_URL)
    assert caught.value.reason == reason
    assert FEED_URL in str(caught.value)
