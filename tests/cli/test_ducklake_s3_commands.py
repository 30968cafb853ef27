"""`mediawatch migrate` and `mediawatch sql` on a DuckLake whose data path is S3 (moto on loopback).

`migrate` creates the lake from nothing with its Parquet files in a bucket, a
load fills it, and `sql` reads the rows back with their types; an endpoint
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
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse

runner = CliRunner()


def lake_config(root, catalog: str, s3: dict) -> str:
    """A config file of a DuckLake: catalog file under `root`, data in a new bucket of `s3`."""
    config = root / "mediawatch.yaml"
    settings = {
        "warehouse": f"ducklake:{root / catalog}",
        "warehouse_data_path": f"s3://{s3['bucket']}/news",
        "warehouse_s3": {key: value for key, value in s3.items() if key != "bucket"},
        "data_dir": str(root / "data"),
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return str(config)


def test_migrate_load_and_sql_on_s3(tmp_path, loopback_s3, make_article) -> None:
    bucket = loopback_s3.bucket()
    config = lake_config(tmp_path, "catalog.ducklake", {**loopback_s3.settings, "bucket": bucket})
    created = runner.invoke(cli.app, ["migrate", "--config", config])
    assert created.exit_code == 0 and created.stdout.startswith("Schema version 0 -> "), created
    Warehouse(load_settings(Path(config)).warehouse).load(
        "run-1", articles=[make_article()], taxonomy_version="t0"
    )
    assert any(key.endswith(".parquet") for key in loopback_s3.keys(bucket))
    query = "SELECT title, word_count, typeof(published_at) AS t FROM articles"
    read = runner.invoke(cli.app, ["sql", query, "--format", "json", "--config", config])
    assert read.exit_code == 0, read.output
    assert json.loads(read.stdout) == [
        {
            "title": make_article().title,
            "word_count": 90,
            "t": "TIMESTAMP WITH TIME ZONE",
        }
    ]


def test_an_unreachable_endpoint_is_one_error_line(
    tmp_path, loopback_s3, monkeypatch, capsys
) -> None:
    s3 = {**loopback_s3.settings, "endpoint": "127.0.0.1:9", "bucket": "news"}  # discard port
    config = lake_config(tmp_path, "catalog.ducklake", s3)
    monkeypatch.setattr(sys, "argv", ["mediawatch", "sql", "SELECT 1", "--config", config])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    out, err = capsys.readouterr()
    assert exited.value.code == 1 and not out
    assert err.startswith("Error: warehouse_data_path s3://news/news/ is not reachable")
    assert "warehouse_s3 settings (endpoint 127.0.0.1:9)" in err
    assert len(err.splitlines()) == 1 and s3["secret"] not in err
