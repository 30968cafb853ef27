"""JSON Feed, feed autodiscovery, GUID deduplication, charset trouble and entity bombs."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime

import pytest

from transforms.fallback import fallback_article, plain_text
from transforms.feeds import FeedError, discover_feeds, parse_feed

FEED_URL = "https://news.example.org/feed.json"


def json_feed(version: str, items: list[dict]) -> bytes:
    return json.dumps({"version": version, "title": "Harbour desk", "items": items}).encode()


@pytest.mark.parametrize(
    ("version", "author"),
    [
        ("https://jsonfeed.org/version/1", {"author": {"name": "Mara Olsen"}}),
        ("https://jsonfeed.org/version/1.1", {"authors": [{"name": "Mara Olsen"}]}),
    ],
)
def test_json_feed_items(version: str, author: dict) -> None:
    content = json_feed(
        version,
        [
            {
                "id": 42,
                "url": "/2026/11/harbour.html?utm_source=jsonfeed&fbclid=abc",
                "title": "Harbour plan approved",
                "content_html": "<p>The council voted 31 to 12.</p>",
                "date_published": "2026-11-17T08:30:00+01:00",
                **author,
            },
            {"id": "no-link", "title": "Nothing to fetch"},
        ],
    )

    feed = parse_feed(
        content, source="desk", feed_url=FEED_URL, content_type="application/feed+json"
    )

    assert feed.title == "Harbour desk"
    (item,) = feed.items
    assert item.canonical_url == "https://news.example.org/2026/11/harbour.html"
    assert item.guid == "42"
    assert item.author == "Mara Olsen"
    assert item.summary == "<p>The council voted 31 to 12.</p>"
    assert item.published_at == datetime(2026, 11, 17, 7, 30, tzinfo=UTC)
    assert [w.reason for w in feed.warnings] == ["bad_entries"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": "https://example.org/v9", "items": []}', b'{"items": {}}'],
)
def test_json_that_is_not_a_json_feed(content: bytes) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(content, source="desk", feed_url=FEED_URL, content_type="application/json")
    assert caught.value.reason == "not_a_feed"
    assert FEED_URL in str(caught.value)


def test_items_repeating_a_guid_are_kept_once() -> None:
    content = json_feed(
        "https://jsonfeed.org/version/1.1",
        [
            {"id": "story-1", "url": "https://news.example.org/a.html"},
            {"id": "story-1", "url": "https://news.example.org/a-updated.html"},
            {"id": "story-2", "url": "https://news.example.org/a.html?utm_campaign=x"},
        ],
    )
    feed = parse_feed(content, source="desk", feed_url=FEED_URL)
    assert [(i.guid, i.canonical_url) for i in feed.items] == [
        ("story-1", "https://news.example.org/a.html")
    ]


PAGE = b"""<!doctype html><html><head><title>Courier</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="text/html" href="/en/">
<link rel="Alternate" type="application/rss+xml; charset=utf-8" href="feeds/news.xml">
<link rel="alternate" type="application/feed+json" href="https://cdn.example.org/feed.json">
<link rel="alternate" type="application/atom+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/atom+xml" href="feeds/news.xml">
</head><body><p>Hello</p></body></html>"""


def test_autodiscovery_finds_feed_links_in_page_order() -> None:
    found = discover_feeds(PAGE, "https://news.example.org/courier/", "text/html")
    assert found == [
        "https://news.example.org/courier/feeds/news.xml",
        "https://cdn.example.org/feed.json",
    ]


def test_autodiscovery_honours_base_href_and_ignores_non_html() -> None:
    page = (
        b'<html><head><base href="https://static.example.org/x/">'
        b'<link rel="alternate" type="application/atom+xml" href="atom.xml"></head></html>'
    )
    assert discover_feeds(page, "https://news.example.org/") == [
        "https://static.example.org/x/atom.xml"
    ]
    assert discover_feeds(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "https://e.org/") == []


def test_wrong_charset_is_a_warning_and_the_text_is_recovered() -> None:
    content = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café</title>'
        "<item><title>Zurück à Zürich</title><link>https://e.org/a.html</link></item>"
        "</channel></rss>"
    ).encode("cp1252")
    feed = parse_feed(content, source="desk", feed_url=FEED_URL, content_type="application/rss+xml")
    assert [i.title for i in feed.items] == ["Zurück à Zürich"]
    (warning,) = feed.warnings
    assert warning.reason == "charset"
    assert "declared as utf-8" in warning.message


def billion_laughs(levels: int = 10) -> bytes:
    entities = '<!ENTITY lol0 "lollollollollollollollollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)
    )
    last = f"&lol{levels - 1};"
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel>'
        f"<title>{last}</title><item><title>{last}</title>"
        f"<link>https://e.org/a.html</link></item></channel></rss>"
    ).encode()


def test_entity_expansion_bomb_is_not_expanded() -> None:
    """Fully expanded this is 10**9 * 3 bytes; expat refuses the amplification."""
    tracemalloc.start()
    try:
        feed = parse_feed(billion_laughs(), source="desk", feed_url=FEED_URL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    assert [w.reason for w in feed.warnings] == ["malformed"]
    assert "amplification" in feed.warnings[0].message
    assert all(len(item.title or "") < 1000 for item in feed.items)


def test_fallback_article_is_the_summary_as_text() -> None:
    (item,) = parse_feed(
        json_feed(
            "https://jsonfeed.org/version/1.1",
            [
                {
                    "id": "x",
                    "url": "https://e.org/a.html",
                    "title": "Harbour plan",
                    "summary": "<p>The council <b>voted</b> 31 to 12 for the plan.</p>",
                }
            ],
        ),
        source="desk",
        feed_url=FEED_URL,
    ).items
    fetched = datetime(2026, 11, 20, tzinfo=UTC)

    article = fallback_article(item, fetched_at=fetched, min_chars=20)

    assert article is not None and article.is_fallback
    assert article.body == "The council voted 31 to 12 for the plan."
    assert (article.article_id, article.guid, article.word_count) == (item.article_id, "x", 9)
    assert fallback_article(item, fetched_at=fetched, min_chars=200) is None
    assert plain_text("no markup  at\nall") == "no markup at all"
