"""A DuckLake whose Parquet files are in S3 (`warehouse_data_path: s3://bucket/prefix`).

The S3 server is moto on loopback (`loopback_s3`), the catalog a copy of the
session's migrated template on PostgreSQL. A load writes Parquet objects
into the bucket; `mediawatch sql`'s sandboxed connection and a plain DuckDB
client with the same extensions and secret read the rows back, with their
types; a missing bucket is one error naming the settings, and the secret
shows nowhere.
"""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb
import pytest

from flows.ingest import ingest
from mediawatch import duck_extensions
from mediawatch.errors import WarehouseError
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse, connect, connect_for_queries


@pytest.fixture(scope="module")
def s3_lake(lake_template, loopback_s3, make_article) -> Warehouse:
    """A DuckLake with its data in a fresh bucket, loaded with three articles (tests only read)."""
    warehouse = Warehouse(lake_template.copy_to_s3(loopback_s3))
    articles = [
        make_article(article_id=f"{n:016x}", url=f"https://news.example.org/{n}") for n in range(3)
    ]
    warehouse.load("run-1", articles=articles, taxonomy_version="t0")
    return warehouse


def _bucket(target) -> str:
    return target.data_path.removeprefix("s3://").split("/")[0]


def test_a_load_writes_parquet_objects_into_the_bucket(s3_lake, loopback_s3) -> None:
    keys = loopback_s3.keys(_bucket(s3_lake.path))
    assert any(key.startswith("news/") and key.endswith(".parquet") for key in keys), keys


def test_the_sql_sandbox_reads_the_rows_with_their_types(s3_lake) -> None:
    con = connect_for_queries(s3_lake.path)
    try:
        rows = con.execute("SELECT article_id, word_count FROM articles ORDER BY 1").fetchall()
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'articles'"
            ).fetchall()
        )
        with pytest.raises(duckdb.Error):  # the sandbox still refuses other files
            con.execute("SELECT * FROM read_csv('/etc/hostname')")
    finally:
        con.close()
    assert rows == [(f"{n:016x}", 90) for n in range(3)]
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["word_count"] == "INTEGER"


def test_a_plain_duckdb_client_reads_the_lake_on_s3(s3_lake, loopback_s3) -> None:
    target = s3_lake.path
    s3 = loopback_s3.settings
    con = duckdb.connect()
    duck_extensions.load(con, "ducklake", "postgres_scanner", "httpfs")
    con.execute(
        f"CREATE SECRET (TYPE s3, KEY_ID '{s3['key_id']}', SECRET '{s3['secret']}', "
        f"REGION 'us-east-1', ENDPOINT '{s3['endpoint']}', URL_STYLE 'path', USE_SSL false)"
    )
    con.execute(f"ATTACH '{target}' AS news (DATA_PATH '{target.data_path}', READ_ONLY)")
    rows = con.execute("SELECT title, fetched_at FROM news.articles").fetchall()
    assert len(rows) == 3
    assert all(isinstance(title, str) and fetched.tzinfo for title, fetched in rows)


def test_a_missing_bucket_is_one_error_naming_the_settings(lake_template, loopback_s3) -> None:
    target = lake_template.copy_to_s3(loopback_s3)
    missing = replace(target, data_path="s3://no-such-bucket/news/")
    with pytest.raises(WarehouseError) as caught:
        connect(missing).close()
    message = str(caught.value)
    assert "warehouse_data_path s3://no-such-bucket/news/" in message
    assert "warehouse_s3" in message and "NoSuchBucket" in message
    assert "\n" not in message and loopback_s3.settings["secret"] not in message


def test_the_secret_shows_in_no_repr_and_no_prefect_parameter(tmp_path, loopback_s3) -> None:
    config = tmp_path / "mediawatch.yaml"
    config.write_text(
        json.dumps(
            {
                "warehouse": "ducklake:" + str(tmp_path / "catalog.ducklake"),
                "warehouse_data_path": "s3://lake/news",
                "warehouse_s3": loopback_s3.settings,
            }
        ),
        encoding="utf-8",
    )
    settings = load_settings(config)
    secret = loopback_s3.settings["secret"]
    assert settings.warehouse.s3.secret.get_secret_value() == secret
    parameters = ingest.serialize_parameters({"settings": settings})
    assert secret not in json.dumps(parameters) and secret not in repr(settings)
    assert "**********" in json.dumps(parameters)
    # What the flow run itself gets keeps the secret.
    given = ingest.validate_parameters({"settings": settings})["settings"]
    assert given.warehouse.s3.secret.get_secret_value() == secret
