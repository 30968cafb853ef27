"""Retention: old WARC files and fetch_log rows go; files that articles point to stay."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.ingest import ingest
from mediawatch import cli
from mediawatch.errors import ConfigError
from mediawatch.settings import RetentionSettings, Settings, load_settings
from mediawatch.warehouse import Warehouse, connect

NOW = datetime.now(UTC)
CONFIG = """
warehouse: warehouse.duckdb
retention:
  archive_days: 30
  fetch_log_days: 7
"""


def warc(folder: Path, serial: int, age_days: float) -> Path:
    """An archive file last written `age_days` ago (the content does not matter here)."""
    path = folder / f"mediawatch-20260101T000000Z-{serial:05d}.warc.gz"
    path.write_bytes(b"x" * 1000)
    stamp = (NOW - timedelta(days=age_days)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def aged(tmp_path: Path, make_article) -> dict[str, object]:
    """A warehouse with old and new archive files (one old one still needed) and fetch_log rows."""
    (tmp_path / "mediawatch.yaml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(tmp_path / "mediawatch.yaml")
    archive = settings.archive_dir
    archive.mkdir(parents=True)
    files = {
        "old": warc(archive, 1, 90),
        "needed": warc(archive, 2, 60),
        "new": warc(archive, 3, 1),
    }
    (archive / "notes.txt").write_text("not an archive file", encoding="utf-8")
    Warehouse(settings.warehouse).load(
        "run-1",
        articles=[make_article(raw_file=str(files["needed"]), raw_offset=0)],
        taxonomy_version="t1",
    )
    con = connect(settings.warehouse)
    con.executemany(
        "INSERT INTO fetch_log VALUES ('r', 'desk', ?, 'feed', 200, 10, 1.5, NULL, NULL, ?)",
        [[f"https://news.example.org/{days}", NOW - timedelta(days=days)] for days in (30, 8, 1)],
    )
    con.close()
    return {"settings": settings, "files": files, "config": tmp_path / "mediawatch.yaml"}


def prune(aged: dict[str, object], *flags: str) -> str:
    result = CliRunner().invoke(cli.app, ["prune", "--config", str(aged["config"]), *flags])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def state(settings: Settings) -> tuple[list[str], list[str]]:
    con = connect(settings.warehouse, read_only=True)
    try:
        log = [row[0] for row in con.execute("SELECT url FROM fetch_log ORDER BY url").fetchall()]
    finally:
        con.close()
    return sorted(p.name[-14:] for p in settings.archive_dir.glob("[!.]*")), log


def test_dry_run_says_what_would_go_and_deletes_nothing(aged) -> None:
    before = state(aged["settings"])
    out = prune(aged, "--dry-run")
    assert "Would delete 1 archive files (0.0 MB) last written before " in out
    assert "Kept 1 old archive files that stored articles point to" in out
    assert "Would delete 2 fetch_log rows started before " in out
    assert state(aged["settings"]) == before


def test_prune_keeps_new_and_referenced_files_unless_asked(aged) -> None:
    out = prune(aged)
    assert "Deleted 1 archive files" in out and "Deleted 2 fetch_log rows" in out
    files, log = state(aged["settings"])
    assert files == ["-00002.warc.gz", "-00003.warc.gz", "notes.txt"]
    assert log == ["https://news.example.org/1"]
    prune(aged, "--include-referenced")
    assert state(aged["settings"])[0] == ["-00003.warc.gz", "notes.txt"]


@pytest.mark.usefixtures("prefect_harness")
def test_a_completed_run_prunes_at_its_end(aged) -> None:
    settings: Settings = aged["settings"]
    summary = ingest(settings=settings.with_overrides(sources=[]))
    assert summary.total().feeds_polled == 0
    files, log = state(settings)
    assert files == ["-00002.warc.gz", "-00003.warc.gz", "notes.txt"]
    assert log == ["https://news.example.org/1"]


@pytest.mark.parametrize("key", ["archive_days", "fetch_log_days"])
def test_retention_days_are_bounded(tmp_path: Path, key: str) -> None:
    (tmp_path / "c.yaml").write_text(f"retention: {{{key}: 0}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"retention\.{key}: must be between 1 and"):
        load_settings(tmp_path / "c.yaml")
    assert not RetentionSettings(after_runs=True).configured
