"""A DuckLake warehouse read by `mediawatch sql` (sandboxed) and by a plain DuckDB client,
and selected by the settings."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from mediawatch import duck_extensions
from mediawatch.errors import ConfigError
from mediawatch.lake_target import DuckLakeTarget, without_passwords
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse, connect_for_queries, ducklake_sql

SOURCES = [("port-news", "feed", "https://port.example/")]


def test_sql_sandbox_reads_the_lake_and_nothing_else(ducklake_warehouse: Warehouse, tmp_path):
    ducklake_warehouse.start_run("run-1", "ingest", SOURCES)
    ducklake_warehouse.finish_run("run-1", "completed", {"new": 0})
    con = connect_for_queries(ducklake_warehouse.path)
    try:
        assert con.execute("SELECT run_id, status FROM runs").fetchall() == [("run-1", "completed")]
        assert con.execute("SELECT name, kind FROM sources").fetchall() == [("port-news", "feed")]
        for statement in (
            f"COPY runs TO '{tmp_path}/runs.csv'",
            "SELECT * FROM read_csv('/etc/hostname')",
            "INSERT INTO runs (run_id, flow, started_at, status) VALUES ('x', 'y', now(), 'z')",
            "SET enable_external_access = true",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(statement)
    finally:
        con.close()
    assert not (tmp_path / "runs.csv").exists()


def test_a_plain_duckdb_client_reads_the_lake(ducklake_warehouse: Warehouse):
    ducklake_warehouse.start_run("run-1", "ingest", SOURCES)
    target = ducklake_warehouse.path
    con = duckdb.connect()
    duck_extensions.load(con, "ducklake", "postgres_scanner")
    con.execute(f"ATTACH '{target}' AS news (DATA_PATH '{target.data_path}', READ_ONLY)")
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = 'news' AND table_name = 'runs'"
        ).fetchall()
    )
    assert types["started_at"] == "TIMESTAMP WITH TIME ZONE"
    assert con.execute("SELECT run_id FROM news.runs").fetchall() == [("run-1",)]


def test_migrations_lose_only_what_ducklake_lacks():
    sql = (
        "CREATE TABLE t (a VARCHAR PRIMARY KEY, b INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (a, b));\nCREATE INDEX t_b ON t (b);\n"
        "ALTER TABLE t ADD COLUMN c BOOLEAN DEFAULT false;\n"
        "COMMENT ON COLUMN v_t.a IS 'the key''s view';\nCOMMENT ON COLUMN t.a IS 'a unique key';\n"
    )
    assert ducklake_sql(sql) == (
        "CREATE TABLE t (a VARCHAR, b INTEGER NOT NULL DEFAULT 0);\n\n"
        "ALTER TABLE t ADD COLUMN c BOOLEAN;\n\nCOMMENT ON COLUMN t.a IS 'a unique key';\n"
    )


def test_settings_select_ducklake_and_name_the_missing_data_path(tmp_path):
    config = tmp_path / "mediawatch.yaml"
    dsn = "ducklake:postgres:dbname=news host=127.0.0.1 port=5432 user=etl"
    config.write_text(yaml.safe_dump({"warehouse": dsn, "warehouse_data_path": "lake"}))
    settings = load_settings(config)
    assert settings.warehouse == DuckLakeTarget(
        dsn.removeprefix("ducklake:"), str(tmp_path / "lake")
    )
    assert settings.warehouse_file == tmp_path / "data" / "warehouse.ducklake"
    config.write_text(yaml.safe_dump({"warehouse": dsn}))
    with pytest.raises(ConfigError, match="warehouse_data_path"):
        load_settings(config)


def test_reclassify_reprocess_and_export_work_on_the_lake(
    ducklake_warehouse: Warehouse, make_article, tmp_path
):
    from flows.reclassify import relabel_all
    from mediawatch.export import export_parquet
    from transforms.classify import load_taxonomy

    taxonomy = load_taxonomy(load_settings().taxonomy)
    article = make_article(title="Parliament closes its TikTok account over China data fears")
    ducklake_warehouse.load("run-1", articles=[article], taxonomy_version="none")
    summary = relabel_all.fn(ducklake_warehouse, taxonomy, "relabel-1")
    assert (summary.articles, summary.rewritten) == (1, 1)
    with ducklake_warehouse.reader() as con:
        (topics,) = con.execute("SELECT topics FROM articles").fetchone()
        labels = con.execute("SELECT DISTINCT label FROM article_topics").fetchall()
    assert topics and sorted(topics) == sorted(label for (label,) in labels)

    edited = make_article(title="Parliament keeps its TikTok account", topics=[])
    counts = ducklake_warehouse.rewrite("reprocess-1", [edited], taxonomy_version="none")
    assert counts["example"].updated == 1
    written = export_parquet(ducklake_warehouse.path, tmp_path / "out")
    assert {p.name for p in written} >= {"articles.parquet", "v_articles.parquet"}
    exported = duckdb.sql(f"SELECT title FROM '{tmp_path}/out/articles.parquet'").fetchall()
    assert exported == [("Parliament keeps its TikTok account",)]


def _open_and_migrate(catalog: str, data_path: str) -> int:
    """Open the lake for writing (which migrates it) in a fresh process; the schema version."""
    from mediawatch.warehouse import connect

    con = connect(DuckLakeTarget(catalog, data_path))
    try:
        return con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    finally:
        con.close()


def test_runs_opening_a_fresh_lake_at_once_all_get_it(local_postgres, tmp_path):
    """Three processes creating the same catalog race in PostgreSQL; the losers attach again."""
    import multiprocessing

    catalog = "postgres:" + local_postgres.create_database("lake_race")
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        versions = pool.starmap(_open_and_migrate, [(catalog, str(tmp_path / "lake"))] * 3)
    assert len(set(versions)) == 1 and versions[0] > 0


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        (
            "ducklake:postgres:dbname=news host=db user=etl password=s3cr3t",
            "ducklake:postgres:dbname=news host=db user=etl password=***",
        ),
        (
            "ducklake:postgres:password = 'a b' dbname=news",
            "ducklake:postgres:password = *** dbname=news",
        ),
        (
            "ducklake:postgres:postgresql://etl:s3cr3t@db/news",
            "ducklake:postgres:postgresql://etl:***@db/news",
        ),
        ("ducklake:postgres:dbname=news host=db", "ducklake:postgres:dbname=news host=db"),
    ],
)
def test_a_catalog_password_never_shows_where_the_warehouse_is_named(
    setting: str, shown: str
) -> None:
    """Run summaries and errors name the warehouse; a password in its setting shows `***`."""
    assert without_passwords(setting) == shown
