"""What a scheduled run shows in the Prefect UI, read back through the Prefect client.

One ingest run of the demo site plus a feed that does not exist, with a topic
alert posting to a loopback webhook: the broken feed is reported, not fatal;
the run has its table, Markdown, Data Docs link and progress artifacts, task
names that say which stage and sources they ran, and the alert went out once
per matching article.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    TaskRunFilter,
    TaskRunFilterFlowRunId,
)

from flows.artifacts import watch_progress
from flows.ingest import ingest
from mediawatch.demo import serve_demo_site
from mediawatch.settings import Source, load_settings
from mediawatch.warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")
TIKTOK = "geopolitics/TikTok"


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, module_loopback: Any, reply: type
) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("artifacts")
    hook = module_loopback.add("/hook", reply(200, b"ok"))
    progress: list[tuple[str, int, int, str]] = []
    with serve_demo_site(port=0) as site:
        base = load_settings(
            data_dir=data,
            warehouse=data / "warehouse.duckdb",
            alerts=[{"name": "tiktok-desk", "topics": [TIKTOK], "webhook": hook}],
        )
        settings = base.with_overrides(
            sources=[*site.sources, Source(name="broken", url=f"{site.base_url}/no/feed.xml")],
            http=base.http.model_copy(
                update={"allow_private": ["127.0.0.1"], "min_host_delay": 0, "retries": 0}
            ),
        )
        with watch_progress(lambda *args: progress.append(args)):
            summary = ingest(settings=settings)
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(summary.run_id)
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
        )
        task_runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run.id]))
        )
    return {
        "summary": summary,
        "flow_run": flow_run,
        "artifacts": {a.key: a for a in artifacts},
        "task_runs": sorted(t.name for t in task_runs),
        "progress": progress,
        "posts": [json.loads(r.body) for r in module_loopback.hits("/hook")],
        "warehouse": data / "warehouse.duckdb",
    }


def _query(run: dict[str, Any], sql: str) -> list[tuple]:
    con = connect(run["warehouse"], read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_broken_feed_is_reported_and_the_run_still_completes(run) -> None:
    flow_run = run["flow_run"]
    assert flow_run.state.type.value == "COMPLETED"
    assert flow_run.name.startswith("ingest 20")
    (failure,) = [f for f in run["summary"].failures if f.source == "broken"]
    assert (failure.stage, failure.reason, failure.retryable) == ("fetch", "http_status", False)


def test_table_artifact_has_the_counts_of_every_source(run) -> None:
    artifact = run["artifacts"]["ingest-source-counts"]
    assert artifact.type == "table"
    rows = {row["source"]: row for row in json.loads(artifact.data)}
    assert set(rows) == {"northern-courier", "tech-ledger", "market-wire", "broken", "total"}
    assert rows["broken"] == {
        "source": "broken",
        "polled": 0,
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 0,
        "failed": 1,
        "deferred": 0,
    }
    total = run["summary"].total()
    assert (rows["total"]["new"], rows["total"]["failed"]) == (total.new, total.failed)
    assert rows["northern-courier"]["quarantined"] == 1


def test_markdown_artifact_has_topics_quarantine_reasons_failures_and_alerts(run) -> None:
    artifact = run["artifacts"]["ingest-summary"]
    assert artifact.type == "markdown"
    text: str = artifact.data
    topics = _query(run, f"SELECT count(*) FROM article_topics WHERE label = '{TIKTOK}'")[0][0]
    assert f"| geopolitics/TikTok | {topics} |" in text
    assert "| body\\_long\\_enough | 1 |" in text
    assert "| broken | fetch | http\\_status | no |" in text
    assert f"| tiktok-desk | {len(run['posts'])} | 0 |" in text


def test_data_docs_link_and_finished_progress_artifacts(run) -> None:
    link = run["artifacts"]["gx-data-docs"]
    assert link.type == "markdown"  # Prefect stores a link artifact as Markdown
    assert link.data.startswith("[Great Expectations Data Docs](file://")
    assert "data_docs/index.html" in link.data
    progress = run["artifacts"]["ingest-progress"]
    assert progress.type == "progress"
    assert float(progress.data) == 100.0
    assert run["progress"][-1][:3] == ("ingest", 1, 1)


def test_task_names_say_the_stage_and_the_sources(run) -> None:
    names = run["task_runs"]
    batch = "batch 1/1: northern-courier, tech-ledger, market-wire"
    for stage in ("fetch-pages", "extract", "classify", "validate", "load"):
        assert any(n.startswith(f"{stage} [{batch} (") for n in names), stage
    assert any(n.startswith("deliver-alerts") for n in names)


def test_each_new_tiktok_article_was_alerted_once(run) -> None:
    expected = _query(
        run,
        "SELECT a.url FROM articles a WHERE list_contains(a.topics, 'geopolitics/TikTok') "
        "ORDER BY a.url",
    )
    posted = sorted(
        re.match(r"\*<([^|]+)\|", p["blocks"][0]["text"]["text"]).group(1) for p in run["posts"]
    )
    assert posted == [url for (url,) in expected]
    assert len(expected) >= 1
    delivered = _query(run, "SELECT status, attempts FROM alert_deliveries")
    assert delivered == [("delivered", 1)] * len(expected)
