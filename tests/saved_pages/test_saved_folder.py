"""Listing a folder of saved pages before reading it, and reading it a batch of files at a time."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import CancelledError
from pathlib import Path

import pytest

from mediawatch import saved_folder
from mediawatch.registry import record_files
from mediawatch.saved_folder import (
    FilesRead,
    list_folder,
    read_files,
    scan_folder,
    scan_in_background,
)
from mediawatch.warehouse import Warehouse
from schemas.records import Article, Page, SavedFile

PAGE = b"<html><head><title>Ferry</title></head><body><p>Harbour council news.</p></body></html>"


def sha256(*parts: bytes) -> str:
    return hashlib.sha256(b"".join(parts)).hexdigest()


def test_listing_fingerprints_every_file_and_reads_none(
    tmp_path: Path, fixtures_dir: Path, memory_warehouse: Warehouse
) -> None:
    ferry = (fixtures_dir / "saved" / "ferry.html").read_bytes()
    sidecar = (fixtures_dir / "saved" / "ferry.html.json").read_bytes()
    (tmp_path / "a.html").write_bytes(ferry)
    (tmp_path / "a.html.json").write_bytes(sidecar)
    (tmp_path / "b.html").write_bytes(PAGE)
    (tmp_path / "copy.html").write_bytes(PAGE)
    (tmp_path / "old.txt").write_bytes(b"Already processed last week.")
    (tmp_path / ".hidden.html").write_bytes(PAGE)
    record_files(
        memory_warehouse,
        "run-0",
        "inbox",
        [SavedFile("elsewhere/old.txt", sha256(b"Already processed last week."), 28, "processed")],
    )

    listing = list_folder(memory_warehouse, tmp_path, "inbox")

    assert [(Path(f.path).name, f.content_hash, f.size, f.status) for f in listing.files] == [
        ("a.html", sha256(ferry, sidecar), len(ferry), "processed"),
        ("b.html", sha256(PAGE), len(PAGE), "processed"),
        ("copy.html", sha256(PAGE), len(PAGE), "seen"),
        ("old.txt", sha256(b"Already processed last week."), 28, "seen"),
    ]
    assert [Path(f.path).name for f in listing.to_read] == ["a.html", "b.html"]
    assert listing.failures == []


def test_files_are_read_when_their_batch_comes_not_when_listed(
    tmp_path: Path, fixtures_dir: Path, memory_warehouse: Warehouse
) -> None:
    text = (fixtures_dir / "saved" / "ferry_subsidy.txt").read_bytes()
    (tmp_path / "ferry.txt").write_bytes(text)
    (tmp_path / "page.html").write_bytes(PAGE)
    (tmp_path / "later.html").write_bytes(PAGE + b" ")
    first, gone, _ = list_folder(memory_warehouse, tmp_path, "inbox").to_read
    (tmp_path / "later.html").unlink()  # after listing, before its batch is read

    read = read_files([first, gone], tmp_path, "inbox", max_bytes=1 << 20)

    (article,) = read.articles
    assert isinstance(article, Article)
    assert (article.source, article.raw_file, article.raw_offset) == ("inbox", first.path, 0)
    assert read.pages == []
    assert [(Path(f.path).name, f.status, f.reason, f.documents) for f in read.files] == [
        ("ferry.txt", "processed", None, 1),
        ("later.html", "failed", "os_error", 0),
    ]
    (failure,) = read.failures
    assert (failure.source, failure.url, failure.stage, failure.reason) == (
        "inbox",
        gone.path,
        "read",
        "os_error",
    )
    assert "later.html" in failure.message

    (page,) = read_files(
        list_folder(memory_warehouse, tmp_path, "inbox").to_read[1:], tmp_path, "x", 1 << 20
    ).pages
    assert isinstance(page, Page)
    assert (page.origin, page.content_type, page.url) == (
        "file",
        "text/html; charset=utf-8",
        f"file:{sha256(PAGE)}",
    )


def _read_folder(warehouse: Warehouse, folder: Path) -> tuple[list[str], FilesRead]:
    listing = list_folder(warehouse, folder, "inbox")
    names = [Path(f.path).name for f in listing.files]
    return names, read_files(listing.to_read, folder, "inbox", max_bytes=1 << 20)


def test_story_json_is_the_sidecar_of_story_html(
    tmp_path: Path, memory_warehouse: Warehouse
) -> None:
    (tmp_path / "story.html").write_bytes(PAGE)
    (tmp_path / "story.json").write_text('{"url": "https://courier.example/a", "source": "clips"}')
    (tmp_path / "wire.warc.gz.json").write_text("{}")  # no wire.warc.gz: not a sidecar

    names, read = _read_folder(memory_warehouse, tmp_path)

    assert names == ["story.html", "wire.warc.gz.json"]
    (page,) = read.pages
    assert (page.url, page.source) == ("https://courier.example/a", "clips")
    assert [(Path(f.url).name, f.reason) for f in read.failures] == [
        ("wire.warc.gz.json", "unsupported_type")
    ]


def test_story_html_json_wins_over_story_json_which_is_then_reported(
    tmp_path: Path, memory_warehouse: Warehouse
) -> None:
    (tmp_path / "story.html").write_bytes(PAGE)
    (tmp_path / "story.html.json").write_text('{"url": "https://courier.example/long"}')
    (tmp_path / "story.json").write_text('{"url": "https://courier.example/short"}')

    names, read = _read_folder(memory_warehouse, tmp_path)

    assert names == ["story.html", "story.json"]
    assert [p.url for p in read.pages] == ["https://courier.example/long"]
    assert [f.reason for f in read.failures] == ["unsupported_type"]


def test_a_broken_story_json_is_named_in_the_error(
    tmp_path: Path, memory_warehouse: Warehouse
) -> None:
    (tmp_path / "story.txt").write_text("A headline\n\nSome text of the story.")
    (tmp_path / "story.json").write_text('{"url": "not a url"}')

    _, read = _read_folder(memory_warehouse, tmp_path)

    (failure,) = read.failures
    assert failure.reason == "bad_sidecar"
    assert "story.json:" in failure.message
    assert "story.txt.json" not in failure.message


def test_a_scan_in_the_background_hands_over_its_listing_or_its_error(
    tmp_path: Path, memory_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run waits on the scan's result: the listing, or the error, never a scan that hangs."""
    (tmp_path / "b.html").write_bytes(PAGE)
    (tmp_path / "a.html").write_bytes(PAGE + b" ")
    scan = scan_in_background(tmp_path).result(timeout=30)
    assert scan == scan_folder(tmp_path)
    assert list_folder(memory_warehouse, tmp_path, "inbox", scan=scan) == list_folder(
        memory_warehouse, tmp_path, "inbox"
    )
    assert [(p.name, size) for p, (_, size) in scan.keys.items()] == [
        ("a.html", len(PAGE) + 1),
        ("b.html", len(PAGE)),
    ]

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError("the folder cannot be read")

    monkeypatch.setattr(saved_folder, "saved_files", refused)
    with pytest.raises(PermissionError, match="cannot be read"):
        scan_in_background(tmp_path).result(timeout=30)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_scan_ended_by_an_unexpected_error_does_not_leave_the_run_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("a bug")

    monkeypatch.setattr(saved_folder, "saved_files", broken)
    with pytest.raises(CancelledError):
        scan_in_background(tmp_path).result(timeout=30)
    for thread in threading.enumerate():  # its error is reported as it ends: within this test
        if thread.name == "folder-scan":
            thread.join(30)
