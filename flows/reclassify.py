"""The reclassify flow: re-label the whole warehouse with the current taxonomy.

    load taxonomy -> in one transaction: for each chunk of articles, classify,
    replace the labels that differ -> report per topic added / removed / unchanged

An invalid taxonomy fails the run before anything is written. With an
unchanged taxonomy nothing changes: classification is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.run import run_name
from mediawatch.settings import Settings, load_settings
from mediawatch.warehouse import Warehouse, replace_topics, stored_topics, topic_fingerprint
from schemas.records import TopicLabel
from transforms.classify import Document, Taxonomy, load_taxonomy
from transforms.relabel import TopicChange, compare_labels

_CHUNK = 2000


@dataclass(slots=True)
class ReclassifySummary:
    """The result of a reclassify run: per-topic changes and how many articles were rewritten."""

    run_id: str
    taxonomy_version: str
    warehouse: str
    articles: int = 0
    rewritten: int = 0
    topics: list[TopicChange] = field(default_factory=list)


@task(name="relabel-all", task_run_name="relabel-all", cache_policy=NO_CACHE)
def relabel_all(warehouse: Warehouse, taxonomy: Taxonomy, run_id: str) -> ReclassifySummary:
    """Classify every article again and rewrite the labels that differ, in one transaction."""
    summary = ReclassifySummary(run_id, taxonomy.version, str(warehouse.path))
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    with warehouse.transaction() as con:
        ids = [
            row[0] for row in con.execute("SELECT article_id FROM articles ORDER BY 1").fetchall()
        ]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            stored = stored_topics(con, chunk)
            changed: dict[str, list[TopicLabel]] = {}
            for article_id, title, body, url, source, language in con.execute(
                "SELECT article_id, title, body, url, source, language FROM articles "
                "WHERE article_id IN (SELECT unnest(?))",
                [chunk],
            ).fetchall():
                labels = taxonomy.classify(Document(title or "", body, url, source, language or ""))
                before[article_id] = list(stored[article_id])
                after[article_id] = [t.label for t in labels]
                if topic_fingerprint(labels, taxonomy.version) != stored[article_id]:
                    changed[article_id] = labels
            if changed:
                replace_topics(con, changed, taxonomy_version=taxonomy.version, run_id=run_id)
                con.executemany(
                    "UPDATE articles SET topics = ? WHERE article_id = ?",
                    [[after[article_id], article_id] for article_id in changed],
                )
            summary.rewritten += len(changed)
        summary.articles = len(ids)
    summary.topics = compare_labels(before, after)
    return summary


@flow(name="reclassify", flow_run_name=run_name("reclassify"))
def reclassify(config: str | None = None, settings: Settings | None = None) -> ReclassifySummary:
    """Re-label the whole warehouse with the current taxonomy and report what changed."""
    settings = settings or load_settings(Path(config) if config else None)
    taxonomy = load_taxonomy(settings.taxonomy)
    run_id = str(flow_run.get_id())
    warehouse = Warehouse(settings.warehouse)
    warehouse.start_run(run_id, "reclassify", [])
    try:
        summary = relabel_all(warehouse, taxonomy, run_id)
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
