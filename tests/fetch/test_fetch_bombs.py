"""Decompression bombs: every decoding step is bounded, so a few KB never inflate in memory.

Before the body was decoded here, httpx inflated each received chunk in one
call: a 3.5 KB `gzip, gzip` body grew to gigabytes before the size check.
tracemalloc sees every bytes object zlib and brotli return, so its peak shows
whether any step produced more than a small piece at once.
"""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import brotli
import pytest

from mediawatch.http import FetchRequest, fetch_all

INFLATED = 48 << 20  # each bomb's decoded size
PEAK = 8 << 20  # what one fetch may allocate at once: pieces of 64 KB and the 64 KB body


@pytest.fixture(scope="module")
def bombs(hostile_inputs) -> dict[str, tuple[bytes, str]]:
    return {
        "gzip-gzip": (hostile_inputs.gzip_bomb(INFLATED, layers=2), "gzip, gzip"),
        "gzip": (hostile_inputs.gzip_bomb(INFLATED, layers=1), "gzip"),
        "deflate": (hostile_inputs.deflate_bomb(INFLATED), "deflate"),
        "br": (hostile_inputs.brotli_bomb(INFLATED), "br"),
    }


@pytest.mark.parametrize("name", ["gzip-gzip", "gzip", "deflate", "br"])
def test_a_bomb_is_refused_without_inflating_it(loopback, reply, make_settings, bombs, name):
    body, coding = bombs[name]
    assert len(body) < 100_000
    url = loopback.add(f"/{name}", reply(200, body, {"Content-Encoding": coding}))

    tracemalloc.start()
    try:
        [result] = fetch_all([FetchRequest(url, kind="feed")], make_settings())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.error is not None and result.error.reason == "too_large", result.error
    assert "64" in result.error.message or "65536" in result.error.message
    assert peak < PEAK, f"{name}: {peak / 2**20:.1f} MB allocated at once"


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
        ("gzip, br", lambda data: brotli.compress(gzip.compress(data))),
        ("identity", lambda data: data),
    ],
)
def test_encoded_bodies_decode_exactly(loopback, reply, make_settings, coding, encode):
    text = b"<rss>" + b"".join(b"<item>%d</item>" % n for n in range(3000)) + b"</rss>"
    url = loopback.add("/feed", reply(200, encode(text), {"Content-Encoding": coding}))

    [result] = fetch_all([FetchRequest(url, kind="feed")], make_settings())

    assert result.ok, result.error
    assert result.content == text


def test_three_stacked_encodings_are_refused(loopback, reply, make_settings):
    body = gzip.compress(gzip.compress(gzip.compress(b"<rss/>")))
    url = loopback.add("/deep", reply(200, body, {"Content-Encoding": "gzip, gzip, gzip"}))

    [result] = fetch_all([FetchRequest(url, kind="feed")], make_settings())

    assert result.error is not None and result.error.reason == "protocol"
    assert "3 stacked content encodings" in result.error.message


def test_a_corrupt_body_is_a_protocol_error(loopback, reply, make_settings):
    url = loopback.add(
        "/bad", reply(200, gzip.compress(b"x")[:10] + b"\xff" * 20, {"Content-Encoding": "gzip"})
    )

    [result] = fetch_all([FetchRequest(url, kind="feed")], make_settings(retries=0))

    assert result.error is not None and result.error.reason == "protocol"
    assert "not valid gzip" in result.error.message
