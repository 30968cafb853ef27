"""Runs against a busy warehouse: a lock held mid-run spools the batch, the next run loads it.

One module-scoped scenario runs the pages flow twice: during the first run
another process opens the file read-only (as a DuckDB client would) just
before the load, so the load retries, gives up and spools the batch; the
second run finds a corrupt spool file as well. A second scenario starts two
runs at once in separate processes against the same warehouse.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL
from warehouse_reads import query

import flows.pages
import flows.stages
from flows.pages import ingest_pages
from mediawatch.demo import render
from mediawatch.settings import load_settings
from mediawatch.spool import read_spool

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]

HOLD = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
sys.stdin.read()
"""
PAGES = (
    "courier/2026/11/parliament-closes-tiktok-account.html",
    "ledger/2026/10/ransomware-hits-logistics-firm.html",
    "marketwire/2026/10/ecb-holds-rates-inflation-target.html",
)
FAST_LOCKS = {"lock_attempts": 2, "lock_backoff": 0.05, "lock_timeout": 60}


def _inbox(root: Path, pages: tuple[str, ...]) -> Path:
    root.mkdir(parents=True)
    for page in pages:
        (root / Path(page).name).write_bytes(render(page, "https://news.example"))
    return root


class LockHolder:
    """Another process holding the warehouse file open read-only until released."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: subprocess.Popen[bytes] | None = None

    def take(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(self.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == b"held"

    def release(self) -> None:
        if self.process is not None:
            self.process.communicate(b"")
            self.process = None


@pytest.fixture(scope="module")
def locked_then_drained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("locked")
    folder = _inbox(root / "inbox", PAGES)
    settings = load_settings(warehouse=root / "w.duckdb", data_dir=root / "data", load=FAST_LOCKS)
    holder = LockHolder(settings.warehouse)
    real_stories, real_spool = flows.stages.group_stories, flows.stages.write_spool

    def stories_then_lock(*args: Any, **kwargs: Any) -> Any:
        report = real_stories(*args, **kwargs)
        holder.take()
        return report

    def spool_then_unlock(*args: Any, **kwargs: Any) -> Path:
        path = real_spool(*args, **kwargs)
        holder.release()
        return path

    spool = root / "spool"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flows.stages, "group_stories", stories_then_lock)
        patch.setattr(flows.stages, "write_spool", spool_then_unlock)
        try:
            first = ingest_pages(directory=str(folder), settings=settings)
        finally:
            holder.release()
    spooled = sorted(p.name for p in spool.glob("*.json"))
    articles_after_first = query(settings.warehouse, "SELECT count(*) FROM articles")[0][0]
    (spool / "zz-broken.json").write_text('{"format": "mediawatch-spool", "vers', "utf-8")
    second = ingest_pages(directory=str(folder), settings=settings)
    yield {
        "settings": settings,
        "first": first,
        "second": second,
        "spooled": spooled,
        "articles_after_first": articles_after_first,
        "spool": spool,
    }


def test_a_locked_warehouse_spools_the_batch_instead_of_losing_it(
    locked_then_drained: dict[str, Any],
) -> None:
    first = locked_then_drained["first"]
    assert len(locked_then_drained["spooled"]) == 1
    assert locked_then_drained["spooled"][0].startswith(first.run_id)
    assert locked_then_drained["articles_after_first"] == 0
    assert (first.total().new, first.total().failed) == (0, 0)
    assert first.total().deferred == len(PAGES)


def test_the_next_run_loads_the_spooled_batch_once(locked_then_drained: dict[str, Any]) -> None:
    settings, first = locked_then_drained["settings"], locked_then_drained["first"]
    second = locked_then_drained["second"]
    rows = query(
        settings.warehouse,
        "SELECT count(*), count(DISTINCT article_id), min(run_id), max(run_id) FROM articles",
    )
    assert rows == [(len(PAGES), len(PAGES), first.run_id, first.run_id)]
    total = second.total()
    assert (total.new, total.unchanged + total.skipped) == (0, len(PAGES))
    assert list(locked_then_drained["spool"].glob("*.json")) == []
    batches = query(
        settings.warehouse,
        "SELECT run_id, batch, count(*), bool_and(success) FROM validation_results GROUP BY ALL",
    )
    assert [(run, count, success) for run, _, count, success in batches] == [
        (first.run_id, 17, True)
    ]
    statuses = query(settings.warehouse, "SELECT DISTINCT status FROM runs")
    assert statuses == [("completed",)]


def test_a_corrupt_spool_file_is_reported_and_kept(locked_then_drained: dict[str, Any]) -> None:
    settings, second = locked_then_drained["settings"], locked_then_drained["second"]
    kept = locked_then_drained["spool"] / "corrupt" / "zz-broken.json"
    assert kept.read_text("utf-8") == '{"format": "mediawatch-spool", "vers'
    failures = query(
        settings.warehouse, "SELECT run_id, source, url, stage, reason, retryable FROM failures"
    )
    assert failures == [(second.run_id, "spool", str(kept), "load", "corrupt_spool", False)]


def test_data_docs_show_the_validated_batch(locked_then_drained: dict[str, Any]) -> None:
    data = locked_then_drained["settings"].data_dir
    run_id = locked_then_drained["first"].run_id
    assert run_id in (data / "data_docs" / "index.html").read_text("utf-8")
    pages = sorted((data / "data_docs" / "validations").rglob("*.html"))
    assert [p.relative_to(data / "data_docs" / "validations").parts[:2] for p in pages] == [
        ("article_topics", run_id),
        ("articles", run_id),
    ]


def test_two_overlapping_runs_both_load_everything(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    folders = [_inbox(tmp_path / "a", PAGES[:2]), _inbox(tmp_path / "b", PAGES[2:])]
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    command = [
        str(Path(sys.executable).with_name("mediawatch")),
        "--warehouse",
        str(warehouse),
        "pages",
    ]
    runs = [
        subprocess.Popen([*command, str(folder), "--quiet"], cwd=tmp_path, env=env)
        for folder in folders
    ]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    assert query(warehouse, "SELECT status, count(*) FROM runs GROUP BY ALL") == [("completed", 2)]
    assert query(warehouse, "SELECT source, count(*) FROM articles GROUP BY ALL ORDER BY 1") == [
        ("a", 2),
        ("b", 1),
    ]


def test_a_lock_held_from_the_first_extract_to_the_end_fails_nothing(tmp_path: Path) -> None:
    """Issue 20: the story index read and file records wait; the run completes, loses nothing."""
    folder = _inbox(tmp_path / "inbox", PAGES)
    settings = load_settings(
        warehouse=tmp_path / "w.duckdb", data_dir=tmp_path / "data", load=FAST_LOCKS
    )
    holder = LockHolder(settings.warehouse)
    real_extract, real_record = flows.stages.extract_batch, flows.pages.record_files

    def lock_then_extract(*args: Any, **kwargs: Any) -> Any:
        holder.take()
        return real_extract(*args, **kwargs)

    def record_then_unlock(*args: Any, **kwargs: Any) -> None:
        try:
            real_record(*args, **kwargs)
        finally:
            holder.release()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flows.stages, "extract_batch", lock_then_extract)
        patch.setattr(flows.pages, "record_files", record_then_unlock)
        try:
            first = ingest_pages(directory=str(folder), settings=settings)
        finally:
            holder.release()
    spooled = list((tmp_path / "spool").glob("*.json"))
    assert len(spooled) == 1 and read_spool(spooled[0]).grouped is False
    assert query(settings.warehouse, "SELECT count(*) FROM articles") == [(0,)]
    assert query(settings.warehouse, "SELECT count(*) FROM saved_files") == [(0,)]

    second = ingest_pages(directory=str(folder), settings=settings)
    assert list((tmp_path / "spool").glob("*.json")) == []
    stored = query(
        settings.warehouse,
        "SELECT count(*), count(a.story_id), typeof(any_value(a.story_id)), count(s.minhash) "
        "FROM articles a LEFT JOIN story_signatures s USING (article_id)",
    )
    assert stored == [(len(PAGES), len(PAGES), "VARCHAR", len(PAGES))]
    runs = query(settings.warehouse, "SELECT run_id, status FROM runs ORDER BY started_at")
    assert runs == [(first.run_id, "completed"), (second.run_id, "completed")]
    files = query(settings.warehouse, "SELECT DISTINCT run_id FROM saved_files")
    assert files == [(second.run_id,)]
