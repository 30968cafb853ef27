"""The saved-pages flow end to end: a folder of good and bad files into the warehouse."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from flows.pages import ingest_pages
from mediawatch.demo import render
from mediawatch.saved_folder import NotAFolder
from mediawatch.settings import load_settings
from mediawatch.warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def folder(tmp_path: Path, fixtures_dir: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    page = "courier/2026/11/parliament-closes-tiktok-account.html"
    (inbox / "tiktok.html").write_bytes(render(page, "https://courier.example"))
    (inbox / "ferry-subsidy.txt").write_bytes(
        (fixtures_dir / "saved" / "ferry_subsidy.txt").read_bytes()
    )
    (inbox / "photo.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (inbox / "empty.htm").write_bytes(b"")
    (inbox / "notes.pdf").write_bytes(b"%PDF-1.7")
    return inbox


def test_folder_is_ingested_and_bad_files_are_named(folder: Path, tmp_path: Path) -> None:
    settings = load_settings(warehouse=tmp_path / "w.duckdb")
    summary = ingest_pages(directory=str(folder), settings=settings)
    (counts,) = summary.sources
    assert counts.source == "inbox"
    assert (counts.items_seen, counts.new, counts.failed) == (5, 2, 3)
    reasons = {Path(f.url).name: f.reason for f in summary.failures}
    assert reasons == {
        "photo.html": "binary",
        "empty.htm": "empty",
        "notes.pdf": "unsupported_type",
    }
    # Where the run's time went, by stage (for --json output and bench/run_bench.py).
    stages = {"read", "extract", "classify", "validate", "stories", "load"}
    assert set(summary.timings) == stages
    assert all(isinstance(seconds, float) and seconds > 0 for seconds in summary.timings.values())

    con = connect(settings.warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT url, title, author, published_at::date::varchar, topics, body "
            "FROM articles ORDER BY title"
        ).fetchall()
        kinds = con.execute("SELECT kind FROM sources").fetchall()
    finally:
        con.close()
    assert kinds == [("pages",)]
    (ferry, tiktok) = rows
    assert ferry[0].startswith("file:") and len(ferry[0]) == 5 + 64
    assert ferry[1:4] == (
        "Harbour council backs ferry subsidy after long night session",
        "Lena Ostrova",
        "2026-11-03",
    )
    assert "Sign up to our morning briefing" not in ferry[5]
    assert "Advertisement" not in ferry[5]
    assert (
        tiktok[0] == "https://courier.example/courier/2026/11/parliament-closes-tiktok-account.html"
    )
    assert "geopolitics/TikTok/China data" in tiktok[4]

    # The registry knows every file's bytes: nothing is read again, the bad files included.
    again = ingest_pages(directory=str(folder), settings=settings).sources[0]
    # Counted by what happened to them: 2 processed fine (unchanged), 3 failed (skipped).
    assert (again.items_seen, again.new, again.failed) == (0, 0, 0)
    assert (again.unchanged, again.skipped) == (2, 3)


def test_a_missing_folder_fails_the_run_as_the_cli_does(tmp_path: Path) -> None:
    """The scheduled deployment on a folder that is not there fails visibly, before any write."""
    settings = load_settings(warehouse=tmp_path / "w.duckdb")
    missing = tmp_path / "data" / "inbox"
    with pytest.raises(NotAFolder, match=r"inbox is not a folder: create it \(mkdir -p "):
        ingest_pages(directory=str(missing), settings=settings)
    assert not missing.exists()
    assert not settings.warehouse.exists()


def test_the_next_batch_is_read_while_the_current_one_is_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch 2's files are read before batch 1's extraction is collected (read one ahead)."""
    import flows.pages
    import flows.run
    from mediawatch.saved_folder import read_files

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(4):
        (inbox / f"page-{n}.html").write_text(f"<html><body><p>page {n}</p></body></html>")
    second_read = threading.Event()
    events: list[str] = []

    def recording_read(files, *args, **kwargs):
        events.append("read " + ", ".join(Path(f.path).name for f in files))
        if files[0].path.endswith("page-2.html"):
            second_read.set()
        return read_files(files, *args, **kwargs)

    class WaitingPool:
        """Extracts in this process; collecting batch 1 waits until batch 2 is being read."""

        def __init__(self, workers: int, work: object) -> None:
            self.work = work

        def __enter__(self) -> WaitingPool:
            return self

        def __exit__(self, *exc_info: object) -> None:
            pass

        def start(self, pages: int) -> None:
            events.append(f"pool started for {pages} pages")

        def map(self, pages):
            for page in pages:
                if page.raw_file.endswith("page-0.html"):
                    events.append(f"batch 2 read ahead: {second_read.wait(60)}")
                yield self.work(page)

    monkeypatch.setattr(flows.pages, "read_files", recording_read)
    monkeypatch.setattr(flows.run, "ExtractorPool", WaitingPool)
    settings = load_settings(
        warehouse=tmp_path / "w.duckdb", limits={"batch_size": 2, "quarantine_threshold": 1.0}
    )
    summary = ingest_pages(directory=str(inbox), settings=settings)

    assert events == [
        "pool started for 4 pages",
        "read page-0.html, page-1.html",
        "read page-2.html, page-3.html",
        "batch 2 read ahead: True",
    ]
    assert [f.status for f in summary.files] == ["processed"] * 4


def test_the_folder_is_hashed_while_the_run_sets_itself_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashing the files does not wait for the run's set-up: the set-up sees it under way."""
    import flows.run
    from mediawatch import saved_folder

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "page.html").write_text("<html><body><p>one page</p></body></html>")
    hashing = threading.Event()
    fingerprint, checked_taxonomy = saved_folder.fingerprint, flows.run.checked_taxonomy
    during_set_up: list[bool] = []

    def noted_fingerprint(path: Path) -> tuple[str, int]:
        hashing.set()
        return fingerprint(path)

    def waiting_taxonomy(settings):
        during_set_up.append(hashing.wait(30))
        return checked_taxonomy(settings)

    monkeypatch.setattr(saved_folder, "fingerprint", noted_fingerprint)
    monkeypatch.setattr(flows.run, "checked_taxonomy", waiting_taxonomy)
    settings = load_settings(warehouse=tmp_path / "w.duckdb", limits={"quarantine_threshold": 1.0})
    summary = ingest_pages(directory=str(inbox), settings=settings)

    assert during_set_up == [True]
    assert [(Path(f.path).name, f.status) for f in summary.files] == [("page.html", "processed")]
