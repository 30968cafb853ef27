"""The upgrade procedure: `mediawatch backup` while a run holds the file, then `migrate`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from mediawatch import cli, warehouse
from mediawatch.warehouse import Warehouse, connect, migrate

FIRST = sorted(warehouse.MIGRATIONS.glob("0001_*.sql"))
ALL = [name for _, name, _ in warehouse._migrations()]
HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(1.5)
con.close()
"""


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli.app, list(args))
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def version(path: Path) -> int:
    con = connect(path, read_only=True)
    try:
        return con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def old_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse file at schema version 1."""
    only_first = tmp_path / "migrations"
    only_first.mkdir()
    (only_first / FIRST[0].name).write_text(FIRST[0].read_text(encoding="utf-8"))
    path = tmp_path / "old.duckdb"
    with monkeypatch.context() as patch:
        patch.setattr(warehouse, "MIGRATIONS", only_first)
        connect(path).close()
    return path


def test_migrate_dry_run_lists_pending_then_applies_them(old_warehouse: Path) -> None:
    out = invoke("--warehouse", str(old_warehouse), "migrate", "--dry-run")
    assert out.startswith(f"Schema version 1; {len(ALL) - 1} pending migrations: ")
    assert ", ".join(ALL[1:]) in out
    assert version(old_warehouse) == 1, "a dry run changes nothing"
    out = invoke("migrate", "--warehouse", str(old_warehouse))
    latest = int(ALL[-1][:4])
    assert out == f"Schema version 1 -> {latest}: applied {', '.join(ALL[1:])}."
    assert version(old_warehouse) == latest
    assert invoke("--warehouse", str(old_warehouse), "migrate") == (
        f"Schema version {latest}: up to date, nothing to apply."
    )


def test_migrate_dry_run_of_a_missing_warehouse_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    out = invoke("--warehouse", str(path), "migrate", "--dry-run")
    assert out.startswith(f"Schema version 0; {len(ALL)} pending migrations: {ALL[0]}")
    assert not path.exists()


def test_backup_waits_for_a_writer_and_copies_tables_views_and_types(
    tmp_path: Path, make_article
) -> None:
    path = tmp_path / "warehouse.duckdb"
    Warehouse(path).load("run-1", articles=[make_article()], taxonomy_version="t1")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        out = invoke("--warehouse", str(path), "backup", str(tmp_path / "b" / "copy.duckdb"))
    finally:
        holder.wait(timeout=30)
    copy = tmp_path / "b" / "copy.duckdb"
    assert out == f"Backup: {copy}"
    assert not list(copy.parent.glob("*.partial"))
    queries = [
        "SELECT article_id, title, published_at, topics FROM articles",
        "SELECT count(*) FROM article_topics",
        "SELECT max(version) FROM schema_version",
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE table_name IN ('articles', 'fetch_log') ORDER BY ALL",
        "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY ALL",
    ]
    original, backup = duckdb.connect(str(path)), duckdb.connect(str(copy))
    try:
        for query in queries:
            assert backup.execute(query).fetchall() == original.execute(query).fetchall(), query
        assert backup.execute("SELECT count(*) FROM articles").fetchone() == (1,)
        migrate(backup)  # the copy is a working warehouse
    finally:
        original.close()
        backup.close()


def test_backup_never_overwrites_a_file(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "warehouse.duckdb"
    connect(path).close()
    taken = tmp_path / "taken.duckdb"
    taken.write_bytes(b"keep me")
    monkeypatch.setattr(sys, "argv", ["mediawatch", "--warehouse", str(path), "backup", str(taken)])
    with pytest.raises(SystemExit):
        cli.main()
    assert capsys.readouterr().err.startswith(f"Error: {taken} exists")
    assert taken.read_bytes() == b"keep me"


def test_a_migration_numbered_below_the_version_is_still_applied(
    old_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Branches reserve migration numbers: a merge can bring one below the current version."""
    folder = old_warehouse.parent / "migrations"
    (folder / "0009_later.sql").write_text("CREATE TABLE later (a INTEGER);", encoding="utf-8")
    monkeypatch.setattr(warehouse, "MIGRATIONS", folder)
    connect(old_warehouse).close()
    (folder / "0005_merged.sql").write_text("CREATE TABLE merged (a INTEGER);", encoding="utf-8")
    out = invoke("--warehouse", str(old_warehouse), "migrate")
    assert out == "Schema version 9 -> 9: applied 0005_merged."
    con = connect(old_warehouse, read_only=True)
    try:
        assert con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall() == [
            (1,),
            (5,),
            (9,),
        ]
        assert con.execute("SELECT count(*) FROM merged").fetchone() == (0,)
    finally:
        con.close()
