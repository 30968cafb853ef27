"""Polling over loopback HTTP: conditional GET and autodiscovery, without Prefect."""

from __future__ import annotations

from mediawatch import feed_poller
from mediawatch.settings import Source, load_settings
from transforms.polling import current_state, polled_ok

RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Desk</title>
<item><title>Harbour plan approved</title><guid isPermaLink="false">harbour-1</guid>
<link>http://127.0.0.1/2026/11/harbour.html</link></item></channel></rss>"""


def test_second_poll_is_conditional_and_a_304_is_not_parsed(
    loopback, reply, http_settings, monkeypatch
) -> None:
    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return reply(304, b"", {"ETag": '"v1"'})
        return reply(
            200,
            RSS,
            {
                "Content-Type": "application/rss+xml",
                "ETag": '"v1"',
                "Last-Modified": "Tue, 17 Nov 2026 08:00:00 GMT",
            },
        )

    source = Source(name="desk", url=loopback.add("/rss.xml", conditional))
    state = current_state(source.name, source.url, None)

    (first,) = feed_poller.poll_feeds([(source, state)], http_settings, max_items=50)
    assert (first.status, first.not_modified, [i.guid for i in first.items]) == (
        200,
        False,
        ["harbour-1"],
    )
    assert (first.etag, first.last_modified) == ('"v1"', "Tue, 17 Nov 2026 08:00:00 GMT")
    state = polled_ok(
        state,
        now=first.fetches[0].attempt.started_at,
        status=first.status,
        feed_url=first.feed_url,
        etag=first.etag,
        last_modified=first.last_modified,
        items=len(first.items),
        new_items=1,
        warning=None,
        policy=load_settings().feeds,
    )

    def no_parsing(*args, **kwargs):
        raise AssertionError("a 304 must not be parsed")

    monkeypatch.setattr(feed_poller, "parse_feed", no_parsing)
    (second,) = feed_poller.poll_feeds([(source, state)], http_settings, max_items=50)

    assert (second.status, second.not_modified, second.items, second.failure) == (
        304,
        True,
        [],
        None,
    )
    first_request, second_request = loopback.hits("/rss.xml")
    assert "If-None-Match" not in first_request.headers
    assert second_request.headers["If-None-Match"] == '"v1"'
    assert second_request.headers["If-Modified-Since"] == "Tue, 17 Nov 2026 08:00:00 GMT"
    assert [(f.source, f.attempt.kind, f.attempt.status) for f in second.fetches] == [
        ("desk", "feed", 304)
    ]


def test_an_html_page_is_resolved_to_the_feed_it_names(loopback, reply, http_settings) -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feeds/desk.xml">'
    feed_url = loopback.add("/feeds/desk.xml", reply(200, RSS, {"Content-Type": "text/xml"}))
    source = Source(
        name="desk", url=loopback.add("/", reply(200, page, {"Content-Type": "text/html"}))
    )

    (poll,) = feed_poller.poll_feeds(
        [(source, current_state(source.name, source.url, None))], http_settings, max_items=50
    )

    assert poll.failure is None
    assert poll.feed_url == feed_url
    assert [i.title for i in poll.items] == ["Harbour plan approved"]
    assert [f.attempt.url for f in poll.fetches] == [source.url, feed_url]


def test_a_page_naming_no_feed_is_not_a_feed(loopback, reply, http_settings) -> None:
    source = Source(name="desk", url=loopback.add("/", reply(200, b"<html><p>Hi</p></html>", {})))
    (poll,) = feed_poller.poll_feeds(
        [(source, current_state(source.name, source.url, None))], http_settings, max_items=50
    )
    assert poll.items == []
    assert (poll.failure.stage, poll.failure.reason, poll.failure.retryable) == (
        "parse",
        "not_a_feed",
        False,
    )
    assert source.url in poll.failure.message
