"""Time budgets: a host that drips bytes cannot hold a run, and nothing it delays is lost.

Before, each page of a dripping host cost (retries + 1) x total_timeout, so
500 pages of one host took hours. With `http.host_budget` spent, the host's
remaining pages are deferred: a retryable `deferred` failure each, kept in
deferred_items and fetched by the next run even when the feed answers 304.
`http.run_budget` does the same for all hosts at once. Servers on 127.0.0.1
and 127.0.0.2 are two hosts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flows.ingest import ingest
from mediawatch.settings import Settings, Source, load_settings
from mediawatch.warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")

SLOW = ["/a/1.html", "/a/2.html", "/a/3.html"]
FAST = ["/b/1.html", "/b/2.html"]


def rss(server: Any, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {path}</title><link>{server.url(path)}</link></item>" for path in paths
    )
    channel = f"<channel><title>t</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


@pytest.fixture(scope="module")
def hosts(module_loopback, module_loopback_2) -> tuple[Any, Any]:
    return module_loopback, module_loopback_2


def serve(hosts: tuple[Any, Any], reply: type, hostile_inputs: Any, *, slow_b: bool) -> None:
    a, b = hosts

    def feed_a(handler: Any) -> Any:
        if handler.headers.get("If-None-Match") == '"a-1"':
            return reply(304, b"", {"ETag": '"a-1"'})
        return reply(200, rss(a, SLOW), {"ETag": '"a-1"', "Content-Type": "application/rss+xml"})

    a.add("/a/feed", feed_a)
    b.add("/b/feed", reply(200, rss(b, FAST), {"Content-Type": "application/rss+xml"}))
    for path in SLOW:
        a.add(path, reply(200, hostile_inputs.dripping(0.2), {"Content-Type": "text/html"}))
    for path in FAST:
        page = hostile_inputs.article(f"Harbour vote {path}")
        b.add(
            path, reply(200, hostile_inputs.dripping(0.2), {}) if slow_b else reply(200, page, {})
        )


def settings_for(warehouse: Path, hosts: tuple[Any, Any], **budgets: float | None) -> Settings:
    a, b = hosts
    base = load_settings(warehouse=warehouse)
    http = {
        "allow_private": ["127.0.0.0/8"],
        "min_host_delay": 0.0,
        "max_per_host": 1,
        "retries": 0,
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "total_timeout": 1.0,
        "respect_robots": False,
        **budgets,
    }
    return base.with_overrides(
        sources=[Source(name="a", url=a.url("/a/feed")), Source(name="b", url=b.url("/b/feed"))],
        http=base.http.model_copy(update=http),
        extract=base.extract.model_copy(update={"workers": 1}),
    )


def rows(warehouse: Path, sql: str, *params: object) -> list[tuple]:
    con = connect(warehouse, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


FAILURES = "SELECT url, reason, retryable FROM failures WHERE run_id = ? AND stage = 'fetch'"


@pytest.fixture(scope="module")
def host_runs(hosts, reply, hostile_inputs, tmp_path_factory) -> dict[str, Any]:
    """Run 1: host a drips, its budget (1.5 s) allows one try and a half; run 2: a is well."""
    warehouse = tmp_path_factory.mktemp("deadline") / "w.duckdb"
    settings = settings_for(warehouse, hosts, host_budget=1.5, run_budget=None)
    serve(hosts, reply, hostile_inputs, slow_b=False)
    first = ingest(settings=settings, poll_all=True)
    waiting = rows(warehouse, "SELECT url, source, run_id FROM deferred_items ORDER BY url")
    failures = rows(warehouse, FAILURES, first.run_id)
    after_first = rows(warehouse, "SELECT url FROM articles ORDER BY url")
    a, _ = hosts
    for path in SLOW:
        a.add(path, reply(200, hostile_inputs.article(f"Harbour vote {path}"), {}))
    second = ingest(settings=settings, poll_all=True)
    return {
        "first": first,
        "second": second,
        "waiting": waiting,
        "failures": failures,
        "after_first": after_first,
        "after_second": rows(warehouse, "SELECT url FROM articles ORDER BY url"),
        "waiting_after": rows(warehouse, "SELECT count(*) FROM deferred_items")[0][0],
        "feed_a": rows(
            warehouse,
            "SELECT status FROM fetch_log WHERE run_id = ? AND url LIKE '%/a/feed'",
            second.run_id,
        ),
        "status": rows(warehouse, "SELECT status FROM runs ORDER BY started_at"),
        "hosts": hosts,
    }


def test_a_dripping_host_is_cut_at_its_budget_and_the_other_host_loads(host_runs) -> None:
    a, b = host_runs["hosts"]
    reasons = sorted((reason, retryable) for _, reason, retryable in host_runs["failures"])
    assert reasons == [("deferred", True), ("deferred", True), ("timeout", True)]
    assert {url for url, _, _ in host_runs["failures"]} == {a.url(p) for p in SLOW}
    assert host_runs["after_first"] == [(b.url(p),) for p in FAST]
    assert host_runs["status"] == [("completed",), ("completed",)]


def test_deferred_pages_wait_and_the_next_run_fetches_them(host_runs) -> None:
    a, _ = host_runs["hosts"]
    deferred = [url for url, _, _ in host_runs["waiting"]]
    assert len(deferred) == 2 and set(deferred) < {a.url(p) for p in SLOW}
    assert {source for _, source, _ in host_runs["waiting"]} == {"a"}
    assert host_runs["feed_a"] == [(304,)], "the feed no longer lists anything new"
    loaded = {url for (url,) in host_runs["after_second"]}
    assert set(deferred) <= loaded
    assert host_runs["waiting_after"] == 0


def test_the_run_budget_defers_every_host(hosts, reply, hostile_inputs, tmp_path) -> None:
    serve(hosts, reply, hostile_inputs, slow_b=True)
    warehouse = tmp_path / "w.duckdb"
    summary = ingest(
        settings=settings_for(warehouse, hosts, host_budget=None, run_budget=0.5), poll_all=True
    )
    failures = rows(warehouse, FAILURES, summary.run_id)
    assert sorted(reason for _, reason, _ in failures) == ["deferred"] * 5
    assert rows(warehouse, "SELECT count(*) FROM deferred_items") == [(5,)]
    types = dict(
        rows(
            warehouse,
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE table_name = 'deferred_items'",
        )
    )
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE" and types["url"] == "VARCHAR"
    assert rows(warehouse, "SELECT status FROM runs") == [("completed",)]
