"""Reclassification: the whole warehouse re-labelled in one transaction, changes per topic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from flows.reclassify import reclassify
from mediawatch.errors import TaxonomyError
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse, connect
from schemas.records import Article
from transforms.classify import Document, load_taxonomy
from transforms.relabel import TopicChange, compare_labels

DOCUMENTS = yaml.safe_load((Path(__file__).parent / "documents.yaml").read_text(encoding="utf-8"))
TIKTOK = "geopolitics/TikTok/China data"
pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_compare_labels_counts_per_topic() -> None:
    before = {"a": ["x", "y"], "b": ["x"], "c": []}
    after = {"a": ["x"], "b": ["x", "z"], "d": ["z"]}
    assert compare_labels(before, after) == [
        TopicChange("x", added=0, removed=0, unchanged=2),
        TopicChange("y", added=0, removed=1, unchanged=0),
        TopicChange("z", added=2, removed=0, unchanged=0),
    ]


def snapshot(path: Path) -> tuple[list[tuple], list[tuple]]:
    con = connect(path, read_only=True)
    try:
        return (
            con.execute("SELECT article_id, topics FROM articles ORDER BY 1").fetchall(),
            con.execute("SELECT * FROM article_topics ORDER BY 1, 2").fetchall(),
        )
    finally:
        con.close()


@pytest.fixture
def labelled_warehouse(tmp_path: Path) -> tuple[Path, Path]:
    """A warehouse holding the classifier's test documents, labelled by the default taxonomy.

    Returns the warehouse path and a copy of the default taxonomy to edit.
    """
    settings = load_settings()
    taxonomy = load_taxonomy(settings.taxonomy)
    articles = []
    for number, doc in enumerate(DOCUMENTS):
        document = Document(doc["title"], doc["body"], doc["url"], doc["source"], doc["language"])
        articles.append(
            Article(
                article_id=f"{number:016x}",
                url=doc["url"],
                canonical_url=doc["url"],
                source=doc["source"],
                title=doc["title"],
                body=doc["body"],
                content_hash=f"{number:064x}",
                word_count=len(doc["body"].split()),
                fetched_at=datetime(2026, 11, 20, tzinfo=UTC),
                language=doc["language"],
                topics=taxonomy.classify(document),
            )
        )
    path = tmp_path / "w.duckdb"
    Warehouse(path).load("load-run", articles=articles, taxonomy_version=taxonomy.version)
    copy = tmp_path / "taxonomy.yaml"
    copy.write_text(settings.taxonomy.read_text(encoding="utf-8"), encoding="utf-8")
    return path, copy


def test_unchanged_taxonomy_changes_nothing(labelled_warehouse) -> None:
    path, _ = labelled_warehouse
    before = snapshot(path)
    summary = reclassify(settings=load_settings(warehouse=path))
    assert summary.articles == len(DOCUMENTS)
    assert summary.rewritten == 0
    assert all(t.added == t.removed == 0 for t in summary.topics)
    assert sum(t.unchanged for t in summary.topics if t.label == TIKTOK) == 1
    assert snapshot(path) == before


def test_edited_taxonomy_reports_and_stores_the_changes(labelled_warehouse) -> None:
    path, taxonomy_file = labelled_warehouse
    text = taxonomy_file.read_text(encoding="utf-8")
    edited = text.replace(
        "topics:\n", "topics:\n  - name: bakeries\n    query: bakery OR bakeries\n", 1
    )
    taxonomy_file.write_text(edited, encoding="utf-8")
    new_version = load_taxonomy(taxonomy_file).version
    summary = reclassify(settings=load_settings(warehouse=path, taxonomy=taxonomy_file))
    by_label = {t.label: t for t in summary.topics}
    assert by_label["bakeries"].added >= 1
    assert by_label["bakeries"].removed == 0
    assert by_label[TIKTOK] == TopicChange(TIKTOK, 0, 0, 1)
    assert summary.rewritten == summary.articles
    con = connect(path, read_only=True)
    try:
        versions = con.execute("SELECT DISTINCT taxonomy_version FROM article_topics").fetchall()
        bakery_topics = con.execute(
            "SELECT topics FROM articles WHERE list_contains(topics, 'bakeries')"
        ).fetchall()
        run = con.execute("SELECT status, counts FROM runs WHERE flow = 'reclassify'").fetchone()
    finally:
        con.close()
    assert versions == [(new_version,)]
    assert len(bakery_topics) == by_label["bakeries"].added
    assert run[0] == "completed"


def test_invalid_taxonomy_writes_nothing(labelled_warehouse) -> None:
    path, taxonomy_file = labelled_warehouse
    taxonomy_file.write_text(
        "topics:\n  - name: broken\n    query: (tiktok AND\n", encoding="utf-8"
    )
    before = snapshot(path)
    with pytest.raises(TaxonomyError, match="broken"):
        reclassify(settings=load_settings(warehouse=path, taxonomy=taxonomy_file))
    assert snapshot(path) == before
