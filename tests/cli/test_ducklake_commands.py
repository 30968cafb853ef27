"""The maintenance and query commands on a DuckLake warehouse, as a user runs them.

One lake per module (each costs seconds): `mediawatch migrate` creates it,
a load fills it with two labelled articles, and the tests run `sql`,
`explain`, `export`, `digest`, `reclassify` and `reprocess` against it
through the CLI, checking column types where the backend could differ from
the DuckDB file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from mediawatch.cli import app
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse
from schemas.records import Evidence, TopicLabel
from transforms.urls import article_id

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def invoke(*args: str) -> str:
    """Run a mediawatch command; what it printed on stdout, after checking it succeeded."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def lake(
    tmp_path_factory: pytest.TempPathFactory, local_postgres, prefect_harness, make_article
) -> dict:
    """A DuckLake created by `migrate` and filled by a load; its config and what migrate printed."""
    root = tmp_path_factory.mktemp("lake-cli")
    config = root / "mediawatch.yaml"
    settings = {
        "warehouse": "ducklake:postgres:" + local_postgres.create_database("cli_lake"),
        "warehouse_data_path": str(root / "lake"),
        "data_dir": str(root / "data"),
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    created = invoke("migrate", "--config", str(config))
    saved = root / "ferry.txt"  # the saved page `reprocess` reads the second article from
    saved.write_bytes((FIXTURES / "saved" / "ferry_subsidy.txt").read_bytes())
    harbour = TopicLabel("economy", 2.0, [Evidence("harbour", "title", 25, 32, "new harbour plan")])
    now = {"fetched_at": datetime.now(UTC), "published_at": datetime.now(UTC)}  # in the digest
    articles = [
        make_article(topics=[harbour], **now),
        make_article(
            article_id=article_id("https://news.example.org/b"),  # as reprocess derives it
            url="https://news.example.org/b",
            canonical_url="https://news.example.org/b",
            raw_file=str(saved),
            raw_offset=0,
            **now,
        ),
    ]
    Warehouse(load_settings(config).warehouse).load(
        "run-1", articles=articles, taxonomy_version="t0"
    )
    return {"config": str(config), "root": root, "created": created}


def query(lake: dict, sql: str) -> list[dict]:
    return json.loads(invoke("sql", sql, "--format", "json", "--config", lake["config"]))


def test_migrate_creates_the_lake_then_has_nothing_to_apply(lake) -> None:
    assert lake["created"].startswith("Schema version 0 -> ")
    assert "applied 0001_" in lake["created"]
    again = invoke("migrate", "--config", lake["config"])
    assert again.startswith("Schema version ") and "up to date, nothing to apply" in again


def test_sql_reads_the_lake_with_its_types(lake) -> None:
    (counts,) = query(lake, "SELECT count(*) AS n, count(DISTINCT article_id) AS d FROM articles")
    assert counts["n"] == counts["d"] == 2
    types = {
        row["column_name"]: row["data_type"]
        for row in query(
            lake,
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE table_name = 'articles' AND NOT internal",
        )
    }
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["word_count"] == "INTEGER"
    assert types["topics"] == "VARCHAR[]"
    (labelled,) = query(lake, "SELECT count(*) AS n FROM article_topics")
    assert labelled["n"] > 0


def test_explain_shows_an_article_of_the_lake_with_its_evidence(lake) -> None:
    (picked,) = query(
        lake,
        "SELECT a.article_id, a.title, t.label FROM articles a "
        "JOIN article_topics t USING (article_id) ORDER BY a.article_id, t.label LIMIT 1",
    )
    shown = invoke("explain", picked["article_id"], "--config", lake["config"])
    assert picked["title"] in " ".join(shown.split())
    assert picked["label"] in shown and "(rules, taxonomy " in shown


def test_export_writes_parquet_with_the_lakes_types(lake, tmp_path) -> None:
    invoke("export", str(tmp_path), "--config", lake["config"])
    types = dict(
        duckdb.sql(f"DESCRIBE SELECT * FROM '{tmp_path}/articles.parquet'")
        .project("column_name, column_type")
        .fetchall()
    )
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["topics"] == "VARCHAR[]"
    assert (tmp_path / "v_articles.parquet").exists()


def test_digest_reports_the_lakes_articles(lake) -> None:
    printed = invoke("digest", "--days", "2", "--config", lake["config"])
    page = Path(" ".join(printed.split()).removeprefix("Digest: "))
    assert page.parent == lake["root"] / "data" / "digests"
    (sources,) = query(lake, "SELECT min(source) AS first FROM articles")
    assert f"<td>{sources['first']}</td>" in page.read_text(encoding="utf-8")


def test_reclassify_and_reprocess_rewrite_the_lake_in_place(lake) -> None:
    relabelled = json.loads(invoke("reclassify", "--json", "--config", lake["config"]))
    assert (relabelled["articles"], relabelled["rewritten"]) == (2, 1)  # `economy` is not ours
    redone = json.loads(invoke("reprocess", "--json", "--config", lake["config"]))
    assert redone["failures"] == [], redone
    rows = query(
        lake,
        "SELECT a.article_id, a.title, typeof(a.topics) AS topics_type, "
        "count(DISTINCT a.article_id) OVER () AS distinct_ids FROM articles a ORDER BY title",
    )
    assert [r["title"] for r in rows] == [
        "Council approves the new harbour plan",  # no raw record: left as it was
        "Harbour council backs ferry subsidy after long night session",  # re-read from its file
    ]
    assert {r["topics_type"] for r in rows} == {"VARCHAR[]"}
    assert rows[0]["distinct_ids"] == 2
