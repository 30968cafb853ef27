"""`mediawatch migrate` and `mediawatch sql` on a DuckLake whose data path is S3 (moto on loopback).

`migrate` creates the lake from nothing with its Parquet files in a bucket,
the `pages` flow loads a saved page into it, and `sql` reads the row back
with its types; an endpoint
nothing listens on is one `Error:` line naming the settings, without the secret.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mediawatch import cli

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def lake_config(root, catalog: str, s3: dict) -> str:
    """A config file of a DuckLake with this catalog and its data in the bucket `s3` names."""
    config = root / "mediawatch.yaml"
    settings = {
        "warehouse": f"ducklake:{catalog}",
        "warehouse_data_path": f"s3://{s3['bucket']}/news",
        "warehouse_s3": {key: value for key, value in s3.items() if key != "bucket"},
        "data_dir": str(root / "data"),
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return str(config)


def test_migrate_pages_and_sql_on_s3(
    tmp_path, loopback_s3, local_postgres, prefect_harness
) -> None:
    bucket = loopback_s3.bucket()
    catalog = "postgres:" + local_postgres.create_database("s3_cli_lake")
    config = lake_config(tmp_path, catalog, {**loopback_s3.settings, "bucket": bucket})
    created = runner.invoke(cli.app, ["migrate", "--config", config])
    assert created.exit_code == 0 and created.stdout.startswith("Schema version 0 -> "), created
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "ferry.txt").write_bytes((FIXTURES / "saved" / "ferry_subsidy.txt").read_bytes())
    loaded = runner.invoke(cli.app, ["pages", str(inbox), "--config", config])  # the pages flow
    assert loaded.exit_code == 0, loaded.output
    assert any(key.endswith(".parquet") for key in loopback_s3.keys(bucket))
    query = (
        "SELECT source, word_count, typeof(word_count) AS w, typeof(fetched_at) AS t FROM articles"
    )
    read = runner.invoke(cli.app, ["sql", query, "--format", "json", "--config", config])
    assert read.exit_code == 0, read.output
    (row,) = json.loads(read.stdout)
    assert (row["w"], row["t"]) == ("INTEGER", "TIMESTAMP WITH TIME ZONE")
    assert row["word_count"] > 50


def test_an_unreachable_endpoint_is_one_error_line(
    tmp_path, loopback_s3, monkeypatch, capsys
) -> None:
    s3 = {**loopback_s3.settings, "endpoint": "127.0.0.1:9", "bucket": "news"}  # discard port
    config = lake_config(tmp_path, str(tmp_path / "catalog.ducklake"), s3)
    monkeypatch.setattr(sys, "argv", ["mediawatch", "sql", "SELECT 1", "--config", config])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    out, err = capsys.readouterr()
    assert exited.value.code == 1 and not out
    assert err.startswith("Error: warehouse_data_path s3://news/news/ is not reachable")
    assert "warehouse_s3 settings (endpoint 127.0.0.1:9)" in err
    assert len(err.splitlines()) == 1 and s3["secret"] not in err
