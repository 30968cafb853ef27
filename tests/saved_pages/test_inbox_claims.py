"""Several runs on one inbox: every file is read by one run only, a dead run's claims are freed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from warehouse_reads import query

from flows.pages import ingest_pages
from mediawatch.inbox_claims import CLAIMS, InboxClaims
from mediawatch.saved_folder import fingerprint, saved_files, shown
from mediawatch.settings import Settings, load_settings
from schemas.records import SavedFile

pytestmark = pytest.mark.usefixtures("prefect_harness")

FILES = 8


@pytest.fixture
def inbox(tmp_path: Path, story_body: str) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for n in range(FILES):
        (folder / f"story-{n}.html").write_text(
            f"<html><head><title>Timetable {n}</title></head><body><article>"
            f"<h1>Timetable {n}</h1>{story_body}</article></body></html>",
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = load_settings(warehouse=tmp_path / "warehouse.duckdb")
    return base.with_overrides(limits=base.limits.model_copy(update={"batch_size": 2}))


def registry(settings: Settings) -> list[tuple[str, str, int]]:
    return query(
        settings.warehouse, "SELECT path, status, documents FROM saved_files ORDER BY path"
    )


def listing(inbox: Path) -> list[SavedFile]:
    """The inbox's files as a run lists them (no registry: the warehouse may not exist yet)."""
    return [SavedFile(shown(p), *fingerprint(p), "processed") for p in saved_files(inbox)[0]]


def test_files_a_live_run_holds_are_left_to_it(inbox: Path, settings: Settings) -> None:
    held = sorted(inbox.glob("story-[0-2].html"))
    with InboxClaims(inbox, "other-run") as other:
        mine, _ = other.claim([f for f in listing(inbox) if Path(f.path) in held])
        assert len(mine) == 3
        summary = ingest_pages(directory=str(inbox), settings=settings)
    assert summary.total().new == FILES - 3
    claimed = {Path(f.path).name: f.reason for f in summary.files if f.status == "seen"}
    assert claimed == {p.name: "claimed by run other-run" for p in held}
    assert len(registry(settings)) == FILES - 3  # not recorded: the other run records them
    assert sorted(p.name for p in (inbox / CLAIMS).iterdir()) == [".mutex"]

    again = ingest_pages(directory=str(inbox), settings=settings)
    assert again.total().new == 3
    assert [status for _, status, _ in registry(settings)] == ["processed"] * FILES


def test_a_killed_runs_claims_are_taken_over(inbox: Path, settings: Settings) -> None:
    """A process that claimed every file and was killed with SIGKILL blocks nothing."""
    hashes = [f.content_hash for f in listing(inbox)]
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from mediawatch.inbox_claims import InboxClaims\n"
        "from schemas.records import SavedFile\n"
        "claims = InboxClaims(Path(sys.argv[1]), 'killed-run').__enter__()\n"
        "claims.claim([SavedFile(h, h, 1, 'processed') for h in sys.argv[2:]])\n"
        "print('claimed', flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(inbox), *hashes], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "claimed"
        with InboxClaims(inbox, "probe") as probe:
            assert probe.claim(listing(inbox))[0] == []  # alive: all its files held
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
        child.stdout.close()
    summary = ingest_pages(directory=str(inbox), settings=settings)
    assert summary.total().new == FILES
    assert not (inbox / CLAIMS / "killed-run.alive").exists()


def test_two_concurrent_runs_read_each_file_once(inbox: Path, settings: Settings) -> None:
    summaries = []

    def run() -> None:
        summaries.append(ingest_pages(directory=str(inbox), settings=settings))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(summaries) == 2
    assert sum(s.total().new for s in summaries) == FILES
    assert sum(s.total().items_seen for s in summaries) == FILES  # each file read by one run
    rows = registry(settings)
    assert [(status, documents) for _, status, documents in rows] == [("processed", 1)] * FILES
    articles = query(
        settings.warehouse, "SELECT count(*), count(DISTINCT article_id) FROM articles"
    )
    assert articles == [(FILES, FILES)]
