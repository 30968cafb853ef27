"""The ingest flow end to end: the demo site over real loopback HTTP into a DuckDB file.

Runs the flow twice under one Prefect test harness: the first run loads every
demo article, quarantines the photo gallery and records the broken link; the
second run changes nothing and stops once the feeds are polled.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from prefect import get_client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

from flows.ingest import ingest
from mediawatch.demo import serve_demo_site
from mediawatch.settings import load_settings
from mediawatch.warehouse import connect
from schemas.records import RunSummary

pytestmark = pytest.mark.usefixtures("prefect_harness")
GOLDEN = yaml.safe_load(
    (Path(__file__).parents[1] / "golden" / "expectations.yaml").read_text(encoding="utf-8")
)["articles"]
TIKTOK = "geopolitics/TikTok/China data"


def snapshot(path: Path, table: str, order: str) -> list[tuple]:
    con = connect(path, read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    data = tmp_path_factory.mktemp("flow")
    warehouse = data / "warehouse.duckdb"
    with serve_demo_site(port=0) as site:
        base = load_settings(warehouse=warehouse, data_dir=data)
        settings = base.with_overrides(
            sources=site.sources,
            http=base.http.model_copy(update={"allow_private": ["127.0.0.1"], "min_host_delay": 0}),
        )
        first = ingest(settings=settings)
        after_first = {
            t: snapshot(warehouse, t, o)
            for t, o in [
                ("articles", "article_id"),
                ("article_topics", "article_id, label"),
                ("quarantine", "article_id"),
                ("failures", "url"),
            ]
        }
        docs = data / "data_docs" / "index.html"
        docs_built = docs.stat().st_mtime_ns
        second = ingest(settings=settings, poll_all=True)
    with get_client(sync_client=True) as client:
        second_tasks = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[second.run_id]))
        )
    return {
        "warehouse": warehouse,
        "first": first,
        "second": second,
        "after_first": after_first,
        "second_tasks": sorted(t.name for t in second_tasks),
        "docs_rebuilt": docs.stat().st_mtime_ns != docs_built,
    }


def test_first_run_loads_every_demo_article_once(runs) -> None:
    first: RunSummary = runs["first"]
    total = first.total()
    assert total.feeds_polled == 3
    assert total.new == len(GOLDEN)
    assert (total.updated, total.unchanged) == (0, 0)
    assert total.quarantined == 1
    assert total.failed == 1
    rows = snapshot(runs["warehouse"], "articles", "article_id")
    assert len(rows) == len(GOLDEN)
    con = connect(runs["warehouse"], read_only=True)
    try:
        urls = {u for (u,) in con.execute("SELECT canonical_url FROM articles").fetchall()}
    finally:
        con.close()
    assert {f"{u.split('/', 3)[3]}" for u in urls} == {e["path"] for e in GOLDEN}


def test_quarantined_gallery_is_kept_with_its_reason(runs) -> None:
    (row,) = runs["after_first"]["quarantine"]
    run_id, _, source, url, failed, values, record, _ = row
    assert run_id == runs["first"].run_id
    assert source == "northern-courier"
    assert url.endswith("gallery-autumn-storms.html")
    assert "body_long_enough" in failed
    assert json.loads(record)["url"] == url
    assert json.loads(values)


def test_broken_link_is_a_named_failure(runs) -> None:
    (row,) = runs["after_first"]["failures"]
    assert row[1] == "northern-courier"
    assert (row[3], row[4], row[6]) == ("fetch", "http_status", False)
    assert "404" in row[5]


def test_tiktok_story_carries_the_label_with_evidence(runs) -> None:
    con = connect(runs["warehouse"], read_only=True)
    try:
        labelled = con.execute(
            "SELECT a.title, a.topics, t.score, t.evidence, t.taxonomy_version "
            "FROM articles a JOIN article_topics t USING (article_id) WHERE t.label = ?",
            [TIKTOK],
        ).fetchall()
    finally:
        con.close()
    assert len(labelled) == 1
    title, topics, score, evidence, version = labelled[0]
    assert "TikTok" in title
    assert {"geopolitics", "geopolitics/TikTok", TIKTOK} <= set(topics)
    assert score > 0
    hits = json.loads(evidence)
    assert hits and all({"term", "field", "start", "end", "snippet"} <= set(h) for h in hits)
    assert len(version) == 16


def test_second_run_changes_no_rows(runs) -> None:
    second: RunSummary = runs["second"]
    total = second.total()
    assert (total.new, total.updated, total.quarantined, total.failed) == (0, 0, 0, 0)
    assert total.unchanged == len(GOLDEN)
    assert total.skipped == 2
    assert not second.changed
    for table, order in [
        ("articles", "article_id"),
        ("article_topics", "article_id, label"),
        ("quarantine", "article_id"),
        ("failures", "url"),
    ]:
        assert snapshot(runs["warehouse"], table, order) == runs["after_first"][table], table


def test_second_run_stops_after_polling(runs) -> None:
    # Nothing new: no batch, no spool to load, no alert subscription, nothing validated.
    assert runs["second_tasks"] == ["poll-feeds"]
    assert not runs["docs_rebuilt"]


def test_runs_are_recorded_with_counts(runs) -> None:
    rows = snapshot(runs["warehouse"], "runs", "started_at")
    assert [(r[1], r[4]) for r in rows] == [("ingest", "completed"), ("ingest", "completed")]
    assert json.loads(rows[0][5])["new"] == len(GOLDEN)
    assert rows[0][0] == runs["first"].run_id
