"""The digest flow: a report of what came in over a period, for people to look at.

    collect-digest -> write-digest

Writes `digests/digest-<end>.html` (chart embedded) and the chart as a PNG
next to it in the data folder, and publishes the same report as a Markdown
artifact. Scheduled daily by the `daily-digest` deployment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.run import run_name
from mediawatch.reports import load_digest
from mediawatch.settings import Settings, load_settings
from mediawatch.warehouse import Warehouse
from transforms.reports import Digest, digest_html, digest_markdown, volume_chart


@task(name="collect-digest", task_run_name="collect-digest", cache_policy=NO_CACHE)
def collect_digest(
    warehouse: Warehouse, start: datetime, end: datetime, stories_per_topic: int
) -> Digest:
    """Read the period's volume per topic, sources and top stories from the warehouse."""
    return load_digest(warehouse, start, end, stories_per_topic)


@task(name="write-digest", task_run_name="write-digest", cache_policy=NO_CACHE)
def write_digest(report: Digest, folder: Path) -> Path:
    """Draw the chart, write the HTML page and the PNG, publish the Markdown artifact."""
    chart = volume_chart(report)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{report.end:%Y-%m-%d-%H%M}"
    (folder / f"{stem}.png").write_bytes(chart)
    page = folder / f"{stem}.html"
    page.write_text(digest_html(report, chart), encoding="utf-8")
    create_markdown_artifact(
        digest_markdown(report, chart),
        key="digest",
        description=f"Digest of {report.articles} articles, written to {page}",
    )
    return page


@flow(name="digest", flow_run_name=run_name("digest"))
def digest(
    days: float = 1.0,
    stories_per_topic: int = 5,
    end: datetime | None = None,
    config: str | None = None,
    settings: Settings | None = None,
) -> str:
    """Report on the `days` before `end` (default: the scheduled time); returns the HTML path."""
    settings = settings or load_settings(Path(config) if config else None)
    scheduled = end or flow_run.get_scheduled_start_time()
    # A plain UTC datetime: Prefect's own DateTime type does not mix with the stdlib's.
    until = datetime.fromtimestamp(scheduled.timestamp(), UTC)
    report = collect_digest(
        Warehouse(settings.warehouse, config=settings.duckdb_config),
        until - timedelta(days=days),
        until,
        stories_per_topic,
    )
    page = write_digest(report, settings.data_dir / "digests")
    get_run_logger().info("digest of %d articles: %s", report.articles, page)
    return str(page)
