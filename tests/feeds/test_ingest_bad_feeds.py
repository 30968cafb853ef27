"""Every kind of bad feed at once, end to end through the ingest flow over loopback HTTP.

Run 1 serves a good feed (one article each) for most sources; run 2 turns each
of them into one bad case while one feed answers 304; run 3 is a scheduled run
in which nothing is due yet. Each bad case must be recorded against its own
source with a clear message while the others go on, and nothing already loaded
may change. Always-broken sources (DNS, refused connection) fail twice and are
disabled (max_failures is 2 here).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.ingest import ingest
from mediawatch.cli import app
from mediawatch.settings import Source, load_settings
from mediawatch.warehouse import connect
from schemas.records import RunSummary

pytestmark = pytest.mark.usefixtures("prefect_harness")

MAX_BYTES = 64 * 1024
SERVED = [
    "daily",
    "malformed",
    "html-page",
    "image",
    "empty",
    "charset",
    "bomb",
    "endless",
    "oversized",
    "drip",
    "loop",
    "storm",
    "ratelimit",
    "moved",
    "flaky",
    "ssrf",
    "robots",
]
# (stage, reason, retryable) of the one failure each bad source gets in run 2
EXPECTED = {
    "malformed": ("parse", "malformed", False),
    "html-page": ("parse", "not_a_feed", False),
    "image": ("parse", "not_a_feed", False),
    "empty": ("parse", "empty", False),
    "charset": ("parse", "charset", False),
    "bomb": ("parse", "malformed", False),
    "endless": ("fetch", "too_large", False),
    "oversized": ("fetch", "too_large", False),
    "drip": ("fetch", "timeout", True),
    "loop": ("fetch", "redirect_loop", False),
    "storm": ("fetch", "http_status", True),
    "ratelimit": ("fetch", "http_status", True),
    "refused": ("fetch", "connect", True),
}
METADATA = "http://169.254.169.254/latest/meta-data/iam"


def article_html(name: str) -> bytes:
    paragraphs = "".join(
        f"<p>{sentence}</p>"
        for sentence in [
            f"The {name} desk reports that the harbour council of Eskvik met on Tuesday evening "
            "to vote on the long-delayed plan for new sea defences along the northern quay.",
            "Councillors approved the plan by thirty-one votes to twelve after a debate that "
            "lasted more than four hours and drew a crowd of residents to the town hall.",
            "Work on the first section of the wall is expected to begin in the spring, the "
            "harbour master said, once the contracts have been signed and the permits issued.",
        ]
    )
    return (
        f"<!doctype html><html lang='en'><head><title>Harbour vote ({name})</title></head>"
        f"<body><article><h1>Harbour vote ({name})</h1>{paragraphs}</article></body></html>"
    ).encode()


def rss(name: str, link: str, guid: str | None = None, encoding: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>{name} desk</title><item><title>Harbour vote ({name})</title>"
        f'<link>{link}</link><guid isPermaLink="false">{guid or name + "-1"}</guid>'
        "<pubDate>Tue, 17 Nov 2026 08:30:00 +0100</pubDate>"
        "<description>The harbour council approved the sea defence plan by 31 votes to 12 "
        "after a four-hour debate.</description></item></channel></rss>"
    ).encode()


def billion_laughs(link: str) -> bytes:
    entities = '<!ENTITY lol0 "lollollollollollollollollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel>'
        f"<title>&lol9;</title><item><title>&lol9;</title><link>{link}</link>"
        '<guid isPermaLink="false">bomb-1</guid></item></channel></rss>'
    ).encode()


def drip(handler: Any) -> None:
    """One byte a second until the client hangs up."""
    try:
        while True:
            handler.wfile.write(b"<")
            handler.wfile.flush()
            time.sleep(1)
    except OSError:
        return


def endless(handler: Any) -> None:
    """A chunked body that never ends."""
    chunk = b"2000\r\n" + b"<item>" * 1365 + b"<i" + b"\r\n"  # 0x2000 bytes of data
    try:
        while True:
            handler.wfile.write(chunk)
    except OSError:
        return


def snapshot(path: Path, sql: str) -> list[tuple]:
    con = connect(path, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def server(loopback_classes: dict[str, Any]) -> Iterator[Any]:
    server = loopback_classes["LoopbackServer"]()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def serve_run_1(server: Any, Response: type) -> None:
    """A good feed with one article for every served source, plus the special cases."""
    for name in SERVED:
        server.add(f"/{name}/story.html", Response(200, article_html(name), {}))
        server.add(
            f"/{name}/feed.xml",
            Response(
                200, rss(name, server.url(f"/{name}/story.html")), {"Content-Type": "text/xml"}
            ),
        )

    def conditional(handler: Any) -> Any:
        if handler.headers.get("If-None-Match") == '"daily-1"':
            return Response(304, b"", {"ETag": '"daily-1"'})
        body = rss("daily", server.url("/daily/story.html"))
        return Response(200, body, {"ETag": '"daily-1"', "Content-Type": "application/rss+xml"})

    server.add("/daily/feed.xml", conditional)
    server.add("/flaky/story.html", Response(503, b"busy", {}))
    server.add("/ssrf/feed.xml", Response(200, rss("ssrf", METADATA), {}))
    server.add("/robots.txt", Response(200, b"User-agent: *\nDisallow: /private/\n", {}))
    server.add("/private/story.html", Response(200, article_html("robots"), {}))
    server.add("/robots/feed.xml", Response(200, rss("robots", server.url("/private/story.html"))))
    server.add(
        "/discovered/",
        Response(
            200,
            b'<html><head><link rel="alternate" type="application/feed+json" '
            b'href="/discovered/feed.json"></head><body>Welcome</body></html>',
            {"Content-Type": "text/html"},
        ),
    )
    json_feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"id": "j1", "url": server.url("/discovered/story.html"), "title": "Harbour vote"}
        ],
    }
    server.add("/discovered/feed.json", Response(200, json.dumps(json_feed).encode(), {}))
    server.add("/discovered/story.html", Response(200, article_html("discovered"), {}))


def serve_run_2(server: Any, Response: type) -> None:
    """Turn each served feed into its bad case; the flaky page recovers."""
    good = {name: rss(name, server.url(f"/{name}/story.html")) for name in SERVED}
    cases = {
        "malformed": Response(200, good["malformed"].replace(b"</channel></rss>", b"<channel")),
        "html-page": Response(200, b"<!doctype html><html><body><h1>Home</h1></body></html>", {}),
        "image": Response(200, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), {}),
        "empty": Response(200, b"", {"Content-Type": "application/rss+xml"}),
        "charset": Response(
            200,
            rss("charset", server.url("/charset/story.html")).replace(
                b"desk</title>", "desk – Zürich</title>".encode("cp1252")
            ),
            {"Content-Type": "application/rss+xml; charset=utf-8"},
        ),
        "bomb": Response(200, billion_laughs(server.url("/bomb/story.html")), {}),
        "endless": Response(200, endless, {"Transfer-Encoding": "chunked"}),
        "oversized": Response(200, b"<rss>" + b" " * MAX_BYTES, {}),
        "drip": Response(200, drip, {}),
        "loop": Response(302, b"", {"Location": "/loop/again"}),
        "storm": Response(500, b"oops", {}),
        "ratelimit": Response(429, b"slow down", {"Retry-After": "1"}),
        "moved": Response(
            200, rss("moved", server.url("/moved/story-v2.html?utm_source=rss"), guid="moved-1")
        ),
    }
    for name, response in cases.items():
        server.add(f"/{name}/feed.xml", response)
    server.add("/loop/again", Response(302, b"", {"Location": "/loop/feed.xml"}))
    server.add("/flaky/story.html", Response(200, article_html("flaky"), {}))


@pytest.fixture(scope="module")
def runs(server: Any, loopback_classes: dict[str, Any], tmp_path_factory) -> dict[str, Any]:
    Response = loopback_classes["Response"]
    warehouse = tmp_path_factory.mktemp("bad-feeds") / "warehouse.duckdb"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    sources = [
        *(
            Source(name=name, url=server.url(f"/{name}/feed.xml"))
            for name in SERVED
            if name != "robots"
        ),
        Source(name="robots", url=server.url("/robots/feed.xml"), respect_robots=True),
        Source(name="discovered", url=server.url("/discovered/")),
        Source(name="dns", url="http://feeds.nowhere.invalid/feed.xml"),
        Source(name="refused", url=f"http://127.0.0.1:{closed_port}/feed.xml"),
    ]
    base = load_settings(warehouse=warehouse)
    settings = base.with_overrides(
        sources=sources,
        http=base.http.model_copy(
            update={
                "allow_private": ["127.0.0.1"],
                "min_host_delay": 0.0,
                "max_per_host": 8,
                "retries": 1,
                "backoff_base": 0.01,
                "backoff_max": 1.0,
                "connect_timeout": 1.0,
                "read_timeout": 1.5,
                "total_timeout": 2.0,
                "max_bytes": MAX_BYTES,
                "respect_robots": False,
            }
        ),
        feeds=base.feeds.model_copy(update={"max_failures": 2}),
        extract=base.extract.model_copy(update={"workers": 1}),
    )
    serve_run_1(server, Response)
    first = ingest(settings=settings, poll_all=True)
    articles_sql = "SELECT * FROM articles ORDER BY article_id"
    after_first = snapshot(warehouse, articles_sql)
    fallbacks = snapshot(
        warehouse, "SELECT source, body, guid FROM articles WHERE is_fallback ORDER BY source"
    )
    serve_run_2(server, Response)
    hits_before_2 = len(server.requests)
    second = ingest(settings=settings, poll_all=True)
    third = ingest(settings=settings)
    return {
        "warehouse": warehouse,
        "settings": settings,
        "first": first,
        "second": second,
        "third": third,
        "after_first": after_first,
        "fallbacks_after_first": fallbacks,
        "after_second": snapshot(warehouse, articles_sql),
        "run_2_paths": [r.path for r in server.requests[hits_before_2:]],
        "server": server,
    }


def rows(runs: dict[str, Any], sql: str, *params: object) -> list[tuple]:
    con = connect(runs["warehouse"], read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_each_bad_feed_is_one_named_failure_of_its_source(runs) -> None:
    second: RunSummary = runs["second"]
    found = rows(
        runs,
        "SELECT source, stage, reason, retryable, message, url FROM failures "
        "WHERE run_id = ? AND stage IN ('fetch', 'parse') AND source NOT IN ('flaky')",
        second.run_id,
    )
    by_source = {
        source: (stage, reason, retryable) for source, stage, reason, retryable, *_ in found
    }
    assert len(found) == len(by_source), "one failure per source"
    assert {s: v for s, v in by_source.items() if s != "dns"} == EXPECTED
    assert by_source["dns"][:2] == ("fetch", "dns")
    for source, _, _, _, message, url in found:
        configured = next(s.url for s in runs["settings"].sources if s.name == source)
        assert url == configured
        assert configured in message or "feeds.nowhere.invalid" in message, (source, message)
    messages = {source: message for source, _, _, _, message, _ in found}
    assert "HTTP 429" in messages["ratelimit"]
    assert "amplification" in messages["bomb"]
    assert "declared as utf-8" in messages["charset"]
    assert "total timeout" in messages["drip"]
    assert {f.source for f in second.failures} >= set(EXPECTED)


def test_nothing_already_loaded_changes(runs) -> None:
    flaky_id = next(r[0] for r in runs["after_first"] if r[3] == "flaky")
    before = [r for r in runs["after_first"] if r[0] != flaky_id]
    after = [r for r in runs["after_second"] if r[0] != flaky_id]
    assert after == before
    total = runs["second"].total()
    assert (total.new, total.updated, total.quarantined) == (0, 1, 0)
    assert runs["first"].total().new == len(runs["after_first"])


def test_recovered_feeds_keep_their_items_and_the_others_go_on(runs) -> None:
    counts = {c.source: c for c in runs["second"].sources}
    for name in ("malformed", "charset", "bomb"):
        assert (counts[name].items_seen, counts[name].unchanged) == (1, 1), name
    assert counts["moved"].unchanged == 1
    assert "/moved/story-v2.html?utm_source=rss" not in runs["run_2_paths"], "GUID already loaded"
    assert counts["flaky"].updated == 1
    assert counts["daily"].feeds_polled == 1 and counts["daily"].items_seen == 0


def test_conditional_get_answers_304_and_nothing_is_parsed(runs) -> None:
    (state,) = rows(
        runs, "SELECT last_status, etag, items_seen FROM feed_state WHERE source = 'daily'"
    )
    assert state == (304, '"daily-1"', 1)
    log = rows(
        runs,
        "SELECT status, bytes FROM fetch_log WHERE run_id = ? AND source = 'daily'",
        runs["second"].run_id,
    )
    assert log == [(304, 0)]
    daily = [r for r in runs["server"].hits("/daily/feed.xml")]
    assert "If-None-Match" not in daily[0].headers
    assert daily[1].headers["If-None-Match"] == '"daily-1"'


def test_feed_state_tracks_health_backoff_and_disabling(runs) -> None:
    state = {
        row[0]: row[1:]
        for row in rows(
            runs,
            "SELECT source, consecutive_failures, disabled, disabled_reason, last_error, "
            "last_polled_at, next_poll_at, last_success_at, poll_interval_s FROM feed_state",
        )
    }
    assert set(state) == {s.name for s in runs["settings"].sources}
    for name in ("storm", "drip", "empty", "loop"):
        failures, disabled, _, error, polled, due, *_ = state[name]
        assert (failures, disabled) == (1, False), name
        assert name in error
        assert (due - polled).total_seconds() == runs["settings"].feeds.min_interval
    for name in ("dns", "refused"):
        failures, disabled, reason, error, _, _, success, _ = state[name]
        assert (failures, disabled, success) == (2, True, None)
        assert reason.startswith("2 failed polls in a row; the last: ") and error in reason
    assert state["malformed"][:2] == (0, False)
    assert "malformed feed" in state["malformed"][3]
    assert state["daily"][-1] == 675  # 900 halved for a new item, then x1.5 for the 304


def test_a_run_polls_only_due_feeds(runs) -> None:
    third: RunSummary = runs["third"]
    assert third.total().feeds_polled == 0
    assert rows(runs, "SELECT count(*) FROM fetch_log WHERE run_id = ?", third.run_id) == [(0,)]
    # The summary says which feeds waited and why, not only a log line.
    waiting = dict(line.split(": ", 1) for line in third.not_polled)
    assert set(waiting) == {s.name for s in runs["settings"].sources}
    assert waiting["dns"].startswith("disabled (2 failed polls in a row; the last: ")
    assert waiting["storm"].startswith("next poll 20") and waiting["storm"].endswith(
        "after 1 failures"
    )


def test_fetch_log_has_every_exchange_with_typed_columns(runs) -> None:
    types = dict(
        rows(
            runs,
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'fetch_log'",
        )
    )
    assert types["duration_ms"] == "DOUBLE" and types["bytes"] == "BIGINT"
    assert types["status"] == "INTEGER" and types["started_at"] == "TIMESTAMP WITH TIME ZONE"
    run_2 = rows(
        runs,
        "SELECT source, kind, url, status, bytes, duration_ms, error_class FROM fetch_log "
        "WHERE run_id = ? ORDER BY started_at",
        runs["second"].run_id,
    )
    answered = {s.name for s in runs["settings"].sources} - {"dns"}  # no exchange without DNS
    assert {r[0] for r in run_2 if r[1] == "feed"} == answered
    assert [r[3] for r in run_2 if r[0] == "ratelimit"] == [429, 429]
    assert [r[6] for r in run_2 if r[0] == "drip"] == ["timeout", "timeout"]
    assert [r[6] for r in run_2 if r[0] == "refused"] == ["connect", "connect"]
    assert [r[3] for r in run_2 if r[0] == "loop"] == [302, 302]
    assert [(r[1], r[3]) for r in run_2 if r[0] == "flaky"] == [("feed", 200), ("page", 200)]
    assert all(r[5] > 0 for r in run_2)
    assert [r[3] for r in run_2 if r[0] == "dns"] == []  # refused before any exchange
    run_1 = rows(
        runs,
        "SELECT source, kind, url, status FROM fetch_log WHERE run_id = ?",
        runs["first"].run_id,
    )
    assert ("robots", "robots", runs["server"].url("/robots.txt"), 200) in run_1
    assert not [r for r in run_1 if "169.254" in r[2]], "the SSRF guard refused before any request"


def test_unreachable_pages_become_fallback_articles(runs) -> None:
    failures = dict(
        rows(
            runs,
            "SELECT source, reason FROM failures WHERE run_id = ? AND stage = 'fetch' "
            "AND source IN ('ssrf', 'robots', 'flaky')",
            runs["first"].run_id,
        )
    )
    assert failures == {
        "ssrf": "blocked_address",
        "robots": "robots_disallowed",
        "flaky": "http_status",
    }
    assert runs["server"].hits("/private/story.html") == []
    fallbacks = runs["fallbacks_after_first"]
    assert [source for source, _, _ in fallbacks] == ["flaky", "robots", "ssrf"]
    for source, body, guid in fallbacks:
        assert body.startswith("The harbour council approved the sea defence plan")
        assert guid == f"{source}-1"
    (flaky,) = rows(
        runs,
        "SELECT is_fallback, updated_at IS NOT NULL, body FROM articles WHERE source = 'flaky'",
    )
    assert flaky[:2] == (False, True)
    assert "harbour master" in flaky[2]


def test_a_page_url_is_resolved_to_its_json_feed(runs) -> None:
    (state,) = rows(runs, "SELECT feed_url, source_url FROM feed_state WHERE source = 'discovered'")
    assert state == (
        runs["server"].url("/discovered/feed.json"),
        runs["server"].url("/discovered/"),
    )
    assert rows(runs, "SELECT count(*) FROM articles WHERE source = 'discovered'") == [(1,)]


def test_sources_command_prints_each_feeds_health(runs) -> None:
    result = CliRunner().invoke(
        app, ["--warehouse", str(runs["warehouse"]), "sources", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    health = {row["source"]: row for row in json.loads(result.output)}
    assert health["dns"]["health"] == "disabled"
    assert health["dns"]["problem"].startswith("2 failed polls in a row")
    assert health["storm"]["health"] == "failing"
    assert health["daily"]["health"] == "ok" and health["daily"]["last_status"] == 304
