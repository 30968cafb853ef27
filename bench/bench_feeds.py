"""Benchmark: poll 1,000 feeds on loopback, then poll them again conditionally.

Each feed has its own host name (resolved to 127.0.0.1 by a stub resolver), so
per-host politeness does not serialise the batch and the shipped limits apply
(16 connections in all). The first poll fetches and parses every feed (20
items each); in the second, half the feeds honour If-None-Match and answer 304,
the other half ignore it and send the full feed again. Prints wall time and
requests per second of each poll.

    .venv/bin/python bench/bench_feeds.py [--feeds 1000]
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from mediawatch.demo import LocalHTTPServer
from mediawatch.feed_poller import FeedPoll, poll_feeds, state_after
from mediawatch.settings import Source, load_settings
from transforms.polling import FeedState, current_state

ITEMS = 20


def feed_body(number: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n} of feed {number}</title>"
        f"<link>http://feed{number}.bench.test/story/{n}.html</link>"
        f'<guid isPermaLink="false">f{number}-s{n}</guid>'
        f"<description>Invented summary {n} of feed {number}.</description></item>"
        for n in range(ITEMS)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {number}</title>{items}</channel></rss>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    """/feed/N: even N honour If-None-Match with a 304, odd N always send the feed."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        number = int(self.path.rsplit("/", 1)[1])
        etag = f'"feed-{number}"'
        if number % 2 == 0 and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = feed_body(number)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a thousand request lines would drown the numbers."""


def timed_poll(feeds: list[tuple[Source, FeedState]], label: str) -> tuple[list[FeedPoll], float]:
    settings = load_settings().http.model_copy(update={"allow_private": ["127.0.0.1/32"]})
    start = time.perf_counter()
    polls = poll_feeds(feeds, settings, max_items=500, resolver=lambda host: ["127.0.0.1"])
    elapsed = time.perf_counter() - start
    requests = sum(len(poll.fetches) for poll in polls)
    failed = sum(poll.failure is not None for poll in polls)
    not_modified = sum(poll.not_modified for poll in polls)
    items = sum(len(poll.items) for poll in polls)
    print(
        f"{label}: {len(feeds)} feeds, {requests} requests ({not_modified} answered 304), "
        f"{items} items parsed, {failed} failed: {elapsed:.2f} s wall, "
        f"{requests / elapsed:.0f} requests/s"
    )
    return polls, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    count = parser.parse_args().feeds

    server = LocalHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        sources = [
            Source(name=f"feed{n}", url=f"http://feed{n}.bench.test:{port}/feed/{n}")
            for n in range(count)
        ]
        feeds = [(s, current_state(s.name, s.url, None)) for s in sources]
        polls, _ = timed_poll(feeds, "first poll (unconditional)")
        policy = load_settings().feeds
        now = datetime.now(UTC)
        feeds = [
            (source, state_after(state, poll, now=now, new_items=len(poll.items), policy=policy))
            for (source, state), poll in zip(feeds, polls, strict=True)
        ]
        timed_poll(feeds, "second poll (conditional, half 304)")
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
