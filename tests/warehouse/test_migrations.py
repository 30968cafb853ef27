"""Migrations: an old warehouse upgrades in place with its data; a broken step changes nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from mediawatch import warehouse
from mediawatch.errors import WarehouseError
from mediawatch.warehouse import connect, migrate

FIRST = sorted(warehouse.MIGRATIONS.glob("0001_*.sql"))


def _only(tmp_path: Path, files: list[Path], extra: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(parents=True)
    for path in files:
        shutil.copy(path, folder / path.name)
    for name, sql in (extra or {}).items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


@pytest.fixture
def version_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse file at schema version 1 holding a run, an article, a label and a failure."""
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(warehouse, "MIGRATIONS", _only(tmp_path, FIRST))
    con = connect(path)
    stamp = datetime(2025, 3, 4, 5, 6, tzinfo=UTC)
    con.execute(
        "INSERT INTO sources VALUES "
        "('courier', 'feed', 'https://courier.example/feed.xml', ?, 'r1')",
        [stamp],
    )
    con.execute(
        "INSERT INTO runs VALUES ('r1', 'ingest', ?, ?, 'completed', '{\"new\": 1}')",
        [stamp, stamp],
    )
    con.execute(
        "INSERT INTO articles (article_id, url, canonical_url, source, title, published_at, "
        "language, body, topics, content_hash, word_count, fetched_at, first_seen_at, "
        "last_seen_at, run_id) VALUES ('00aa11bb22cc33dd', 'https://courier.example/a', "
        "'https://courier.example/a', 'courier', 'Harbour plan approved', ?, 'en', "
        "'The council approved the harbour plan.', ['civic', 'civic/harbour'], "
        "'h1', 6, ?, ?, ?, 'r1')",
        [stamp, stamp, stamp, stamp],
    )
    con.execute(
        "INSERT INTO article_topics VALUES ('00aa11bb22cc33dd', 'civic', 2.0, '[]', 't1', 'r1'), "
        "('00aa11bb22cc33dd', 'civic/harbour', 2.0, '[]', 't1', 'r1')"
    )
    con.execute(
        "INSERT INTO failures VALUES ('r1', 'courier', 'https://courier.example/gone', 'fetch', "
        "'http_status', 'HTTP 404', false, ?)",
        [stamp],
    )
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 1
    con.close()
    monkeypatch.undo()
    return path


def test_a_version_1_warehouse_upgrades_in_place_with_its_data(version_1: Path) -> None:
    every = sorted(int(p.name[:4]) for p in warehouse.MIGRATIONS.glob("*.sql"))
    con = connect(version_1)
    try:
        versions = [
            v for (v,) in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        ]
        article = con.execute(
            "SELECT article_id, title, topics, raw_file, is_fallback FROM articles"
        ).fetchall()
        daily = con.execute("SELECT label, day, articles FROM v_topic_daily ORDER BY 1").fetchall()
        browse = con.execute("SELECT source_kind, top_topic FROM v_articles").fetchall()
        failure = con.execute("SELECT reason, retryable FROM failures").fetchall()
    finally:
        con.close()
    assert versions == every
    assert article == [
        ("00aa11bb22cc33dd", "Harbour plan approved", ["civic", "civic/harbour"], None, False)
    ]
    day = datetime(2025, 3, 4).date()
    assert daily == [("civic", day, 1), ("civic/harbour", day, 1)]
    assert browse == [("feed", "civic/harbour")]
    assert failure == [("http_status", False)]


def test_a_failing_migration_leaves_the_previous_version_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = sorted(warehouse.MIGRATIONS.glob("*.sql"))
    path = tmp_path / "w.duckdb"
    monkeypatch.setattr(warehouse, "MIGRATIONS", _only(tmp_path / "v1", current[:1], {}))
    con = duckdb.connect(str(path))
    try:
        assert migrate(con) == 1
        broken = "CREATE TABLE half_done (x INTEGER);\nSELECT * FROM no_such_table;\n"
        monkeypatch.setattr(
            warehouse, "MIGRATIONS", _only(tmp_path / "all", current, {"9999_broken.sql": broken})
        )
        with pytest.raises(WarehouseError, match="migration 9999_broken failed"):
            migrate(con)
        latest = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert latest == 1
    assert "half_done" not in tables
    assert "validation_results" not in tables
    assert "articles" in tables
