"""The daily-use views, stored validation results and the Parquet export: values and types."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from crash_batches import ARTICLES, LABELS, OUTCOMES, QUARANTINED, RUN_ID, make_batch

from mediawatch.export import export_parquet
from mediawatch.spool import load_validated
from mediawatch.warehouse import Warehouse


def _types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?",
            [relation],
        ).fetchall()
    )


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file holding two crash-test batches from one run of one source."""
    path = tmp_path_factory.mktemp("views") / "w.duckdb"
    warehouse = Warehouse(path)
    warehouse.start_run(RUN_ID, "ingest", [("port-news", "feed", "https://port.example/rss")])
    for number in (1, 2):
        load_validated(warehouse, make_batch(number))
    warehouse.finish_run(RUN_ID, "completed", {"new": 2 * ARTICLES})
    return path


@pytest.fixture
def con(loaded: Path):
    connection = duckdb.connect(str(loaded), read_only=True)
    yield connection
    connection.close()


def test_validation_results_are_stored_per_run_and_batch(con: duckdb.DuckDBPyConnection) -> None:
    assert _types(con, "validation_results") == {
        "run_id": "VARCHAR",
        "batch": "VARCHAR",
        "expectation": "VARCHAR",
        "expectation_type": "VARCHAR",
        "column_name": "VARCHAR",
        "success": "BOOLEAN",
        "element_count": "BIGINT",
        "unexpected_count": "BIGINT",
        "validated_at": "TIMESTAMP WITH TIME ZONE",
    }
    rows = con.execute(
        "SELECT run_id, batch, expectation, success, element_count, unexpected_count, "
        "validated_at FROM validation_results ORDER BY batch, expectation"
    ).fetchall()
    stamp = datetime(2026, 11, 20, 9, 1, tzinfo=UTC)
    assert rows == [
        (RUN_ID, f"batch {n}", o.name, o.success, o.element_count, o.unexpected_count, stamp)
        for n in (1, 2)
        for o in sorted(OUTCOMES, key=lambda o: o.name)
    ]


def test_v_topic_daily_counts_each_article_under_its_label_and_parents(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert _types(con, "v_topic_daily") == {
        "label": "VARCHAR",
        "depth": "BIGINT",
        "day": "DATE",
        "articles": "BIGINT",
        "sources": "BIGINT",
    }
    rows = con.execute("SELECT * FROM v_topic_daily ORDER BY label").fetchall()
    day = datetime(2026, 11, 20).date()
    assert rows == [(LABELS[0], 1, day, 2 * ARTICLES, 1), (LABELS[1], 2, day, 2 * ARTICLES, 1)]


def test_v_articles_has_labels_and_source(con: duckdb.DuckDBPyConnection) -> None:
    types = _types(con, "v_articles")
    assert types["topic_scores"] == "MAP(VARCHAR, DOUBLE)"
    assert types["top_topic"] == "VARCHAR"
    assert types["source_kind"] == "VARCHAR"
    assert "body" not in types
    row = con.execute(
        "SELECT source, source_kind, topics, top_topic, topic_scores FROM v_articles "
        "WHERE article_id = '0000000100000000'"
    ).fetchone()
    assert row == ("port-news", "feed", list(LABELS), LABELS[1], dict.fromkeys(LABELS, 2.5))


def test_v_source_health_sums_up_each_source(con: duckdb.DuckDBPyConnection) -> None:
    types = _types(con, "v_source_health")
    assert types["articles"] == "BIGINT"
    assert types["last_run_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["disabled"] == "BOOLEAN"
    row = con.execute(
        "SELECT source, kind, last_run_status, articles, last_failure_reason, disabled, "
        "requests_7d FROM v_source_health"
    ).fetchone()
    assert row == ("port-news", "feed", "completed", 2 * ARTICLES, "http_status", False, 0)


def test_export_writes_every_table_and_view_as_parquet(loaded: Path, tmp_path: Path) -> None:
    written = export_parquet(loaded, tmp_path / "out")
    names = {p.stem for p in written}
    assert {
        "articles",
        "article_topics",
        "quarantine",
        "validation_results",
        "v_topic_daily",
    } <= names
    assert "schema_version" not in names
    con = duckdb.connect()
    articles = con.execute(
        f"SELECT count(*), count(DISTINCT article_id), any_value(typeof(published_at)) "
        f"FROM '{tmp_path / 'out' / 'articles.parquet'}'"
    ).fetchone()
    quarantined = con.execute(
        f"SELECT count(*) FROM '{tmp_path / 'out' / 'quarantine.parquet'}'"
    ).fetchone()[0]
    assert articles == (2 * ARTICLES, 2 * ARTICLES, "TIMESTAMP WITH TIME ZONE")
    assert quarantined == 2 * QUARANTINED
