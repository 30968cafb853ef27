"""Relabelling the whole warehouse: the task behind `mediawatch reclassify` and the catch-up.

`relabel_all` classifies every article again and rewrites the labels that
differ, in one transaction. A migration that changes what labels mean (0012:
the default taxonomy became IPTC Media Topics) cannot classify in SQL, so it
records a `reclassify` row in `pending_work`; `relabel_all` deletes that row in
its own transaction, and every pipeline run calls `relabel_if_requested` before
it loads anything. A kill at any moment leaves either the old labels and the
request (the next run does it again) or the new labels and no request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import opaque

from mediawatch.warehouse import Warehouse, replace_topics, stored_topics, topic_fingerprint
from schemas.records import TopicLabel
from transforms.classify import Document, Taxonomy, with_learned
from transforms.relabel import TopicChange, compare_labels

if TYPE_CHECKING:  # scikit-learn loads only when a model is saved beside the taxonomy
    from transforms.topic_model import TopicModel

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
def relabel_all(
    warehouse: Warehouse, taxonomy: Taxonomy, run_id: str, model: TopicModel | None = None
) -> ReclassifySummary:
    """Classify every article again and rewrite the labels that differ, in one transaction.

    With a learned stage, its labels are added as in a pipeline run (one pass per chunk).
    """
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
            rows = con.execute(
                "SELECT article_id, title, body, url, source, language FROM articles "
                "WHERE article_id IN (SELECT unnest(?))",
                [chunk],
            ).fetchall()
            docs = [Document(t or "", b, u, s, lang or "") for _, t, b, u, s, lang in rows]
            learned = model.classify_many([(d.title, d.body) for d in docs]) if model else None
            for number, ((article_id, *_), doc) in enumerate(zip(rows, docs, strict=True)):
                labels = taxonomy.classify(doc)
                if learned is not None:
                    labels = with_learned(labels, learned[number])
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
        con.execute("DELETE FROM pending_work WHERE task = 'reclassify'")
    summary.topics = compare_labels(before, after)
    return summary


def relabel_if_requested(
    warehouse: Warehouse, taxonomy: Taxonomy, run_id: str, model: TopicModel | None = None
) -> None:
    """Relabel every article first when a migration asked for it (see the module docstring)."""
    with warehouse.reader() as con:
        request = con.execute(
            "SELECT reason FROM pending_work WHERE task = 'reclassify'"
        ).fetchone()
    if request is None:
        return
    summary = relabel_all(warehouse, taxonomy, run_id, opaque(model))
    get_run_logger().info(
        "relabelled %d articles with taxonomy %s (%s): %d rewritten",
        summary.articles,
        taxonomy.version,
        request[0],
        summary.rewritten,
    )
