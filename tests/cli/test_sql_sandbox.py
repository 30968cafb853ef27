"""`mediawatch sql` cannot touch any file but the warehouse unless `--allow-files` is given.

A read-only DuckDB connection still runs COPY ... TO, EXPORT DATABASE and
INSTALL; each of the statements the issue found writing files must be
refused, and nothing may appear on disk. The README's example queries and
`export` must keep working.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediawatch.cli import app, main
from mediawatch.warehouse import Warehouse

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


@pytest.fixture
def warehouse(tmp_path: Path, make_article, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "w.duckdb"
    Warehouse(path).load("run-1", articles=[make_article()], taxonomy_version="abc123")
    monkeypatch.setenv("MEDIAWATCH_WAREHOUSE", str(path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return path


def writing_statements(folder: Path) -> list[str]:
    return [
        f"COPY articles TO '{folder}/out.csv'",
        f"COPY (SELECT title FROM articles) TO '{folder}/out.parquet' (FORMAT parquet)",
        f"EXPORT DATABASE '{folder}/dump'",
        f"SELECT 1; COPY articles TO '{folder}/second.csv'",
        f"SET extension_directory='{folder}/ext'; INSTALL json",
        "INSTALL json",
        "SELECT * FROM read_csv('/etc/passwd')",
        f"ATTACH '{folder}/other.duckdb'",
        "SET enable_external_access = true",
    ]


def run_main(monkeypatch: pytest.MonkeyPatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["mediawatch", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


def test_every_writing_statement_is_refused_and_writes_nothing(
    warehouse: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for statement in writing_statements(out):
        code, err = run_main(monkeypatch, capsys, "sql", statement)
        assert code == 1, statement
        assert err.startswith("Error: SQL failed") and "--allow-files" in err, (statement, err)
        assert "Traceback" not in err
    assert list(out.iterdir()) == []
    assert not (tmp_path / "home").exists(), "no ~/.duckdb/extensions"


def test_allow_files_lets_copy_write(warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "titles.csv"
    result = runner.invoke(
        app, ["sql", f"COPY (SELECT title FROM articles) TO '{target}'", "--allow-files"]
    )
    assert result.exit_code == 0, result.output
    assert target.read_text().splitlines() == ["title", "Council approves the new harbour plan"]


def test_help_names_the_flag() -> None:
    result = runner.invoke(app, ["sql", "--help"])
    assert "--allow-files" in result.output


def readme_queries() -> list[str]:
    section = README.read_text(encoding="utf-8").split("### Example queries", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S)
    assert block is not None
    text = "\n".join(line for line in block.group(1).splitlines() if not line.startswith("--"))
    return [query.strip() for query in text.split(";") if query.strip()]


def test_the_readme_example_queries_still_run(warehouse: Path) -> None:
    queries = readme_queries()
    assert len(queries) >= 10
    for query in queries:
        result = runner.invoke(app, ["sql", query, "-f", "json"])
        assert result.exit_code == 0, (query, result.output)


def test_export_keeps_working(warehouse: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "parquet", str(tmp_path / "exports")])
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "exports").rglob("*.parquet"))
