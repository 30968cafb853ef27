"""Hostile feeds in one ingest run: each is its own feed's failure, the neighbour loads.

A JSON Feed nested 100,000 arrays deep made json.loads raise RecursionError,
and a link such as `http://[oops/` made urljoin raise ValueError, either of
which failed poll-feeds and with it the whole run; compression bombs
(`gzip, gzip`, brotli, deflate) inflated to gigabytes before the size check.
Each must now be one failure row with its reason, and the run must complete.
"""

from __future__ import annotations

from typing import Any

import pytest

from flows.ingest import ingest
from mediawatch.settings import Source, load_settings
from mediawatch.warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")

INFLATED = 32 << 20
# source -> (stage, reason) of its one failure
EXPECTED = {
    "deep-json": ("parse", "too_deep"),
    "gzip-gzip": ("fetch", "too_large"),
    "brotli": ("fetch", "too_large"),
    "deflate": ("fetch", "too_large"),
    "good": ("parse", "bad_entries"),  # a link urljoin cannot parse is skipped, not fatal
}


def rss(link: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Good</title>'
        f"<item><title>Harbour vote</title><link>{link}</link><guid>good-1</guid></item>"
        "<item><title>Broken</title><link>http://[oops/story.html</link></item>"
        "</channel></rss>"
    ).encode()


@pytest.fixture(scope="module")
def run(module_loopback, reply, hostile_inputs, tmp_path_factory) -> dict[str, Any]:
    server = module_loopback
    feeds = {
        "deep-json": (hostile_inputs.deep_json_feed(100_000), "application/feed+json", None),
        "gzip-gzip": (hostile_inputs.gzip_bomb(INFLATED, 2), "text/xml", "gzip, gzip"),
        "brotli": (hostile_inputs.brotli_bomb(INFLATED), "text/xml", "br"),
        "deflate": (hostile_inputs.deflate_bomb(INFLATED), "text/xml", "deflate"),
        "good": (rss(server.url("/good/story.html")), "text/xml", None),
    }
    for name, (body, kind, coding) in feeds.items():
        headers = {"Content-Type": kind} | ({"Content-Encoding": coding} if coding else {})
        server.add(f"/{name}/feed", reply(200, body, headers))
    server.add("/good/story.html", reply(200, hostile_inputs.article("Harbour vote"), {}))
    warehouse = tmp_path_factory.mktemp("hostile-feeds") / "warehouse.duckdb"
    base = load_settings(warehouse=warehouse)
    settings = base.with_overrides(
        sources=[Source(name=name, url=server.url(f"/{name}/feed")) for name in feeds],
        http=base.http.model_copy(
            update={"allow_private": ["127.0.0.1"], "min_host_delay": 0.0, "retries": 0}
        ),
        extract=base.extract.model_copy(update={"workers": 1}),
    )
    summary = ingest(settings=settings, poll_all=True)
    con = connect(warehouse, read_only=True)
    try:
        failures = con.execute(
            "SELECT source, stage, reason, message FROM failures WHERE run_id = ?",
            [summary.run_id],
        ).fetchall()
        articles = con.execute("SELECT source, title FROM articles").fetchall()
        (status,) = con.execute(
            "SELECT status FROM runs WHERE run_id = ?", [summary.run_id]
        ).fetchone()
    finally:
        con.close()
    return {"failures": failures, "articles": articles, "status": status}


def test_each_hostile_feed_is_one_failure_with_its_reason(run) -> None:
    found = {source: (stage, reason) for source, stage, reason, _ in run["failures"]}
    assert found == EXPECTED
    messages = {source: message for source, _, _, message in run["failures"]}
    assert "nested too deeply" in messages["deep-json"]
    assert all("/feed" in message for message in messages.values())


def test_the_neighbour_feed_loads_and_the_run_completes(run) -> None:
    assert run["articles"] == [("good", "Harbour vote")]
    assert run["status"] == "completed"
