"""Plain fetches: content, encodings, conditional GET, result order, pinned connections."""

from __future__ import annotations

import gzip
import pickle
import time
import zlib

import brotli
import pytest

from mediawatch.http import FetchRequest, HttpStatusError, fetch_all

BODY = b"<rss><channel><title>Hello</title></channel></rss>" * 20


def test_plain_200(loopback, reply, make_settings):
    url = loopback.add("/feed.xml", reply(200, BODY, {"Content-Type": "application/rss+xml"}))

    [result] = fetch_all([FetchRequest(url, kind="feed")], make_settings())

    assert result.ok and result.error is None
    assert (result.status, result.content, result.url) == (200, BODY, url)
    assert result.content_type == "application/rss+xml"
    assert result.fetched_at.tzinfo is not None
    [attempt] = result.attempts
    assert (attempt.url, attempt.status, attempt.error_class) == (url, 200, None)
    assert attempt.bytes >= len(BODY)
    sent = loopback.hits("/feed.xml")[0].headers
    assert sent["User-Agent"] == "mediawatch-test/1.0"
    assert {"gzip", "deflate", "br"} <= {
        part.strip() for part in sent["Accept-Encoding"].split(",")
    }


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_content_encodings_are_decoded(loopback, reply, make_settings, encoding, compress):
    url = loopback.add("/page", reply(200, compress(BODY), {"Content-Encoding": encoding}))

    [result] = fetch_all([FetchRequest(url)], make_settings())

    assert result.ok
    assert result.content == BODY


def test_conditional_get_not_modified(loopback, reply, make_settings):
    etag, stamp = '"v1"', "Wed, 21 Oct 2015 07:28:00 GMT"

    def conditional(handler):
        if handler.headers.get("If-None-Match") == etag:
            return reply(304, b"", {"ETag": etag})
        return reply(200, BODY, {"ETag": etag})

    url = loopback.add("/feed.xml", conditional)

    [result] = fetch_all(
        [FetchRequest(url, kind="feed", etag=etag, last_modified=stamp)], make_settings()
    )

    assert result.ok and result.not_modified
    assert result.status == 304 and result.content is None
    sent = loopback.hits("/feed.xml")[0].headers
    assert sent["If-None-Match"] == etag
    assert sent["If-Modified-Since"] == stamp


def test_unconditional_request_sends_no_validators(loopback, reply, make_settings):
    url = loopback.add("/feed.xml", reply(200, BODY))

    fetch_all([FetchRequest(url, kind="feed")], make_settings())

    sent = loopback.hits("/feed.xml")[0].headers
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


def test_results_follow_request_order_and_failures_never_raise(
    loopback, reply, make_settings, closed_port
):
    def slow_route(handler):
        time.sleep(0.3)
        return reply(200, b"slow")

    slow = loopback.add("/slow", slow_route)
    requests = [
        FetchRequest(slow),
        FetchRequest(loopback.add("/missing-page", reply(404, b"no"))),
        FetchRequest("ftp://example.org/file"),
        FetchRequest(f"http://127.0.0.1:{closed_port}/"),
        FetchRequest("http://[::1"),
        FetchRequest(loopback.add("/fast", reply(200, b"fast"))),
    ]

    results = fetch_all(requests, make_settings(retries=0))

    assert [result.request for result in results] == requests
    assert [result.error.reason if result.error else None for result in results] == [
        None,
        "http_status",
        "bad_scheme",
        "connect",
        "bad_url",
        None,
    ]
    assert results[0].content == b"slow" and results[-1].content == b"fast"


def test_empty_batch(make_settings):
    assert fetch_all([], make_settings()) == []


def test_connection_goes_to_the_checked_address(loopback, reply, make_settings, fake_resolver):
    """A name only the injected resolver knows is reached: the socket uses the checked IP."""
    loopback.add("/page", reply(200, BODY))
    url = f"http://pinned.test:{loopback.port}/page"

    [result] = fetch_all(
        [FetchRequest(url)],
        make_settings(allow_private=["127.0.0.1"]),
        fake_resolver({"pinned.test": ["127.0.0.1"]}),
    )

    assert result.ok, result.error
    assert result.url == url
    assert loopback.hits("/page")[0].headers["Host"] == f"pinned.test:{loopback.port}"


def test_international_host_names_are_resolved_and_pinned_in_ascii(
    loopback, reply, make_settings, fake_resolver
):
    loopback.add("/page", reply(200, BODY))
    resolver = fake_resolver({"xn--bcher-kva.test": ["127.0.0.1"]})

    [result] = fetch_all(
        [FetchRequest(f"http://bücher.test:{loopback.port}/page")], make_settings(), resolver
    )

    assert result.ok, result.error
    assert loopback.hits("/page")[0].headers["Host"] == f"xn--bcher-kva.test:{loopback.port}"


def test_fetch_errors_survive_pickling():
    """Prefect may pickle task results; the error's classification must survive."""
    error = HttpStatusError("http://example.org/: HTTP 503", retryable=True)

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.reason, copy.retryable, copy.message) == ("http_status", True, error.message)


def test_fetches_reuse_one_tls_context(loopback, reply, make_settings, monkeypatch):
    # Each TLS context parses the whole CA bundle (~35 ms of CPU): a run's fetch_all
    # calls, a run with nothing new's poll among them, must not each build two.
    import ssl

    url = loopback.add("/feed.xml", reply(200, BODY))
    fetch_all([FetchRequest(url, kind="feed")], make_settings())  # the process's first
    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counted(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(ssl, "create_default_context", counted)

    for _ in range(2):
        [result] = fetch_all([FetchRequest(url, kind="feed")], make_settings())
        assert result.ok

    assert made == []
