"""The warehouse: schema and types, idempotent merges, quarantine and failures."""

import json
from datetime import UTC, datetime

import pytest

from mediawatch.errors import WarehouseError
from mediawatch.warehouse import MIGRATIONS, Warehouse, connect, migrate
from schemas.records import Evidence, Failure, QuarantinedRecord, TopicLabel

LABEL = TopicLabel(
    "geopolitics/TikTok/China data",
    4.0,
    [Evidence("tiktok", "title", 11, 17, "Parliament TikTok account closed")],
)


def column_types(warehouse: Warehouse, table: str) -> dict[str, str]:
    with warehouse.connection() as con:
        rows = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
            [table],
        ).fetchall()
    return dict(rows)


def test_schema_has_the_documented_columns_and_types(memory_warehouse: Warehouse) -> None:
    types = column_types(memory_warehouse, "articles")
    assert types["article_id"] == "VARCHAR"
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["topics"] == "VARCHAR[]"
    assert types["word_count"] == "INTEGER"
    assert {
        "url",
        "canonical_url",
        "source",
        "title",
        "author",
        "language",
        "sitename",
        "body",
        "content_hash",
        "first_seen_at",
        "updated_at",
        "run_id",
    } <= set(types)
    topic_types = column_types(memory_warehouse, "article_topics")
    assert topic_types == {
        "article_id": "VARCHAR",
        "label": "VARCHAR",
        "score": "DOUBLE",
        "evidence": "JSON",
        "taxonomy_version": "VARCHAR",
        "run_id": "VARCHAR",
        "scheme_id": "VARCHAR",
        "method": "VARCHAR",
        "evidence_omitted": "INTEGER",
    }
    assert column_types(memory_warehouse, "quarantine")["failed_expectations"] == "VARCHAR[]"


def test_every_column_is_documented(memory_warehouse: Warehouse) -> None:
    with memory_warehouse.connection() as con:
        missing = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' "
            "AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE NOT internal) "
            "AND table_name <> 'schema_version' AND comment IS NULL"
        ).fetchall()
    assert missing == []


def test_migrate_is_idempotent(memory_warehouse: Warehouse) -> None:
    with memory_warehouse.connection() as con:
        version = migrate(con)
        assert migrate(con) == version >= 1
        shipped = sorted(int(p.name[:4]) for p in MIGRATIONS.glob("*.sql"))
        assert (
            con.execute("SELECT list(version ORDER BY version) FROM schema_version").fetchone()[0]
            == shipped
        )
        assert version == shipped[-1]


def test_load_inserts_then_is_idempotent(memory_warehouse: Warehouse, make_article) -> None:
    article = make_article(topics=[LABEL])
    first = memory_warehouse.load("run-1", articles=[article], taxonomy_version="t1")
    assert (first["example"].new, first["example"].unchanged) == (1, 0)
    with memory_warehouse.connection() as con:
        before = con.execute("SELECT * FROM articles").fetchall()
    again = memory_warehouse.load("run-2", articles=[article], taxonomy_version="t1")
    assert (again["example"].new, again["example"].updated, again["example"].unchanged) == (0, 0, 1)
    with memory_warehouse.connection() as con:
        assert con.execute("SELECT * FROM articles").fetchall() == before
        row = con.execute(
            "SELECT topics, run_id, updated_at, published_at FROM articles"
        ).fetchone()
        assert row[0] == ["geopolitics/TikTok/China data"]
        assert row[1] == "run-1"
        assert row[2] is None
        assert row[3] == datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
        label, score, evidence = con.execute(
            "SELECT label, score, evidence FROM article_topics"
        ).fetchone()
    assert (label, score) == ("geopolitics/TikTok/China data", 4.0)
    assert json.loads(evidence)[0] == {
        "term": "tiktok",
        "field": "title",
        "start": 11,
        "end": 17,
        "snippet": "Parliament TikTok account closed",
    }


def test_changed_content_updates_row_and_topics(memory_warehouse: Warehouse, make_article) -> None:
    memory_warehouse.load("run-1", articles=[make_article(topics=[LABEL])], taxonomy_version="t1")
    edited = make_article(body="A corrected text. " * 30, content_hash="d" * 64, topics=[])
    counts = memory_warehouse.load("run-2", articles=[edited], taxonomy_version="t1")
    assert counts["example"].updated == 1
    with memory_warehouse.connection() as con:
        body, updated_at, run_id, topics = con.execute(
            "SELECT body, updated_at, run_id, topics FROM articles"
        ).fetchone()
        assert con.execute("SELECT count(*) FROM article_topics").fetchone()[0] == 0
    assert body.startswith("A corrected text.")
    assert updated_at == edited.fetched_at
    assert run_id == "run-2"
    assert topics == []


def test_quarantine_and_failures_are_kept_with_reasons(
    memory_warehouse: Warehouse, make_article
) -> None:
    bad = make_article(article_id="badbadbadbadbad0", body="too short")
    counts = memory_warehouse.load(
        "run-1",
        articles=[],
        quarantined=[QuarantinedRecord(bad, ["body_long_enough"], {"body": 9})],
        failures=[Failure("example", "https://x.example/404", "fetch", "http_status", "404")],
        taxonomy_version="t1",
    )
    assert (counts["example"].quarantined, counts["example"].failed) == (1, 1)
    with memory_warehouse.connection() as con:
        run_id, failed, values, record = con.execute(
            "SELECT run_id, failed_expectations, offending_values, record FROM quarantine"
        ).fetchone()
        reason = con.execute("SELECT reason FROM failures").fetchone()[0]
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert (run_id, failed, json.loads(values)) == ("run-1", ["body_long_enough"], {"body": 9})
    assert json.loads(record)["article_id"] == "badbadbadbadbad0"
    assert reason == "http_status"


def test_failed_transaction_leaves_nothing(memory_warehouse: Warehouse) -> None:
    with pytest.raises(RuntimeError), memory_warehouse.transaction() as con:
        con.execute("INSERT INTO runs VALUES ('r', 'ingest', now(), NULL, 'running', NULL)")
        raise RuntimeError("killed mid-batch")
    with memory_warehouse.connection() as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_read_only_connection_refuses_writes(tmp_path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse(path).start_run("r1", "ingest", [("example", "feed", "https://x.example/f")])
    con = connect(path, read_only=True)
    try:
        with pytest.raises(Exception, match="read-only"):
            con.execute("DELETE FROM runs")
        assert con.execute("SELECT status FROM runs").fetchone()[0] == "running"
    finally:
        con.close()


def test_read_only_on_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(WarehouseError, match="run `mediawatch run` first"):
        connect(tmp_path / "absent.duckdb", read_only=True)


def test_settled_items_are_not_fetched_again(memory_warehouse: Warehouse, make_article) -> None:
    loaded = make_article(article_id="1" * 16)
    bad = make_article(article_id="2" * 16, url="https://x.example/gallery")
    memory_warehouse.load(
        "run-1",
        articles=[loaded],
        quarantined=[QuarantinedRecord(bad, ["body_long_enough"])],
        failures=[
            Failure("example", "https://x.example/gone", "fetch", "http_status", "404"),
            Failure("example", "https://x.example/slow", "fetch", "timeout", "slow", True),
        ],
        taxonomy_version="t1",
    )
    settled = memory_warehouse.settled(
        [
            ("1" * 16, loaded.url),
            ("2" * 16, bad.url),
            ("3" * 16, "https://x.example/gone"),
            ("4" * 16, "https://x.example/slow"),
            ("5" * 16, "https://x.example/new"),
        ]
    )
    assert settled == {"1" * 16: "loaded", "2" * 16: "quarantined", "3" * 16: "failed"}
