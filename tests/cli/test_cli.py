"""The CLI: help with examples, read-only SQL in three formats, explain, clean errors."""

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediawatch.cli import app, main
from mediawatch.warehouse import Warehouse
from schemas.records import Evidence, TopicLabel

runner = CliRunner()
COMMANDS = ["run", "demo", "pages", "sql", "explain"]


@pytest.fixture
def warehouse(tmp_path: Path, make_article, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "w.duckdb"
    label = TopicLabel(
        "geopolitics/TikTok",
        3.0,
        [Evidence("tiktok", "title", 4, 10, "The TikTok account was closed")],
    )
    Warehouse(path).load(
        "run-1",
        articles=[make_article(title="The TikTok account was closed", topics=[label])],
        taxonomy_version="abc123",
    )
    monkeypatch.setenv("MEDIAWATCH_WAREHOUSE", str(path))
    return path


def run_main(monkeypatch: pytest.MonkeyPatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["mediawatch", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    return exited.value.code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: mediawatch " + command in " ".join(result.output.split())


def test_sql_prints_a_table(warehouse: Path) -> None:
    result = runner.invoke(app, ["sql", "select title, topics from articles"])
    assert result.exit_code == 0, result.output
    assert "The TikTok account was closed" in result.output
    assert "1 row\n" in result.output


def test_sql_csv_and_json(warehouse: Path) -> None:
    as_csv = runner.invoke(app, ["sql", "select title, word_count from articles", "-f", "csv"])
    rows = list(csv.reader(io.StringIO(as_csv.output)))
    assert rows == [["title", "word_count"], ["The TikTok account was closed", "90"]]
    as_json = runner.invoke(app, ["sql", "select topics, published_at from articles", "-f", "json"])
    (record,) = json.loads(as_json.output)
    assert record["topics"] == ["geopolitics/TikTok"]
    assert record["published_at"].startswith("2026-11-19")


def test_sql_is_read_only(warehouse: Path, monkeypatch, capsys) -> None:
    code, _, err = run_main(monkeypatch, capsys, "sql", "delete from articles")
    assert code == 1
    assert err.startswith("Error: SQL failed")
    assert "read-only" in err
    assert "Traceback" not in err
    result = runner.invoke(app, ["sql", "select count(*) as n from articles", "-f", "json"])
    assert json.loads(result.output) == [{"n": 1}]


def test_explain_shows_fields_and_evidence(warehouse: Path) -> None:
    result = runner.invoke(app, ["explain", "0123456789abcdef"])
    assert result.exit_code == 0, result.output
    assert "The TikTok account was closed" in result.output
    assert "geopolitics/TikTok" in result.output
    assert "title tiktok ×1 at 4-10: …The TikTok account was closed…" in result.output
    assert "abc123" in result.output


def test_explain_shows_the_query_tree_and_an_evidence_cap(
    tmp_path: Path, make_article, monkeypatch: pytest.MonkeyPatch
) -> None:
    taxonomy = tmp_path / "t.yaml"
    taxonomy.write_text("topics:\n  - name: grid\n    query: grid OR power AND NOT solar\n")
    config = tmp_path / "c.yaml"
    config.write_text(f"taxonomy: {taxonomy}\nwarehouse: {tmp_path / 'w.duckdb'}\n")
    label = TopicLabel("grid", 9.0, [Evidence("grid", "body", 0, 4, "grid")], evidence_omitted=7)
    Warehouse(tmp_path / "w.duckdb").load(
        "run-1", articles=[make_article(topics=[label])], taxonomy_version="v0"
    )
    result = runner.invoke(app, ["explain", "0123456789abcdef", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "(rules, taxonomy v0)" in result.output
    assert "query (current taxonomy): (grid OR (power AND NOT solar))" in result.output
    assert "evidence capped: 7 more spans matched than the 200 stored" in result.output


def test_unknown_article_is_one_error_line(warehouse: Path, monkeypatch, capsys) -> None:
    code, _, err = run_main(monkeypatch, capsys, "explain", "ffffffffffffffff")
    assert code == 1
    assert err.strip() == "Error: no article with id 'ffffffffffffffff'"


def test_missing_warehouse_is_one_error_line(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("MEDIAWATCH_WAREHOUSE", str(tmp_path / "none.duckdb"))
    code, _, err = run_main(monkeypatch, capsys, "sql", "select 1")
    assert code == 1
    assert "run `mediawatch run` first" in err


def test_bad_config_names_the_key(tmp_path: Path, monkeypatch, capsys) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("limits:\n  batch_size: -1\n", encoding="utf-8")
    code, _, err = run_main(monkeypatch, capsys, "run", "--config", str(config))
    assert code == 1
    assert "limits.batch_size" in err


def test_run_without_sources_says_what_to_do(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("MEDIAWATCH_WAREHOUSE", str(tmp_path / "w.duckdb"))
    code, _, err = run_main(monkeypatch, capsys, "run")
    assert code == 1
    assert "no sources configured" in err
