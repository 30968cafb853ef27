"""The reclassify flow: re-label the whole warehouse with the current taxonomy.

    load taxonomy -> in one transaction: for each chunk of articles, classify,
    replace the labels that differ -> report per topic added / removed / unchanged

An invalid taxonomy fails the run before anything is written. With an
unchanged taxonomy nothing changes: classification is deterministic.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.utilities.annotations import opaque

from flows.relabel import ReclassifySummary, relabel_all
from flows.run import run_name
from mediawatch.learned import saved_model
from mediawatch.settings import Settings, load_settings
from mediawatch.warehouse import Warehouse
from transforms.classify import load_taxonomy


@flow(name="reclassify", flow_run_name=run_name("reclassify"))
def reclassify(config: str | None = None, settings: Settings | None = None) -> ReclassifySummary:
    """Re-label the whole warehouse with the current taxonomy and report what changed."""
    settings = settings or load_settings(Path(config) if config else None)
    taxonomy = load_taxonomy(settings.taxonomy)
    run_id = str(flow_run.get_id())
    warehouse = Warehouse(settings.warehouse, config=settings.duckdb_config)
    warehouse.start_run(run_id, "reclassify", [])
    try:
        summary = relabel_all(warehouse, taxonomy, run_id, opaque(saved_model(settings.taxonomy)))
    except BaseException:
        warehouse.finish_run(run_id, "failed", {})
        raise
    added = sum(t.added for t in summary.topics)
    removed = sum(t.removed for t in summary.topics)
    warehouse.finish_run(
        run_id,
        "completed",
        {
            "articles": summary.articles,
            "rewritten": summary.rewritten,
            "added": added,
            "removed": removed,
        },
    )
    get_run_logger().info(
        "reclassified %d articles with taxonomy %s: %d labels added, %d removed, %d rewritten",
        summary.articles,
        taxonomy.version,
        added,
        removed,
        summary.rewritten,
    )
    return summary
