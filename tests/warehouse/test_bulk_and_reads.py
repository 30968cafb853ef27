"""Arrow bulk inserts keep values and types; reads skip the write slot, writes take it once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

import mediawatch.write_slot
from mediawatch.errors import WarehouseError, WarehouseLocked
from mediawatch.feed_store import LoggedFetch, load_states, record_fetches, save_states
from mediawatch.http import FetchAttempt
from mediawatch.registry import (
    known_files,
    raw_pointers,
    record_files,
    signatures_for_index,
    stored_signatures,
)
from mediawatch.warehouse import Warehouse, insert_rows
from mediawatch.write_slot import WriterLock
from schemas.records import (
    SIGNATURE_SCHEME_SHA1,
    Failure,
    QuarantinedRecord,
    SavedFile,
    StorySignature,
)
from transforms.polling import FeedState
from transforms.validate import ExpectationOutcome

STARTED = datetime(2026, 11, 20, 9, 30, 15, 250000, tzinfo=UTC)
HOLD = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""


def typed(warehouse: Warehouse, sql: str) -> list[tuple[object, ...]]:
    with warehouse.reader() as con:
        return con.execute(sql).fetchall()


def test_fetch_log_rows_keep_their_values_and_types(memory_warehouse: Warehouse) -> None:
    attempts = [
        FetchAttempt("https://x.example/feed", "feed", 200, 5120, 0.0425, None, None, STARTED),
        FetchAttempt("https://x.example/a", "page", None, 0, 10.0, "timeout", "slow", STARTED),
    ]
    record_fetches(memory_warehouse, "run-1", [LoggedFetch("example", a) for a in attempts])
    rows = typed(
        memory_warehouse,
        "SELECT run_id, source, url, kind, status, typeof(status), bytes, typeof(bytes), "
        "duration_ms, typeof(duration_ms), error_class, error_message, started_at, "
        "typeof(started_at) FROM fetch_log ORDER BY url",
    )
    assert rows == [
        ("run-1", "example", "https://x.example/a", "page", None, "INTEGER", 0, "BIGINT",
         10000.0, "DOUBLE", "timeout", "slow", STARTED, "TIMESTAMP WITH TIME ZONE"),
        ("run-1", "example", "https://x.example/feed", "feed", 200, "INTEGER", 5120, "BIGINT",
         42.5, "DOUBLE", None, None, STARTED, "TIMESTAMP WITH TIME ZONE"),
    ]  # fmt: skip


def test_saved_files_and_signatures_replace_older_rows(memory_warehouse: Warehouse) -> None:
    first = SavedFile("/in/a.html", "h1", 9000, "failed", "unreadable", 0)
    again = SavedFile("/in/moved/a.html", "h1", 9000, "processed", None, 2)
    record_files(memory_warehouse, "run-1", "inbox", [first])
    record_files(memory_warehouse, "run-2", "inbox", [again])
    first_batch = [StorySignature("a1", "s1", b"\x00\x01"), StorySignature("a2", "s1", b"\xff")]
    memory_warehouse.load("run-1", articles=[], taxonomy_version="t1", signatures=first_batch)
    again_batch = [StorySignature("a1", "s9", b"\x02")]
    memory_warehouse.load("run-2", articles=[], taxonomy_version="t1", signatures=again_batch)
    assert typed(
        memory_warehouse,
        "SELECT path, status, reason, documents, typeof(documents), size, typeof(size), run_id "
        "FROM saved_files",
    ) == [("/in/moved/a.html", "processed", None, 2, "INTEGER", 9000, "BIGINT", "run-2")]
    assert sorted(stored_signatures(memory_warehouse, SIGNATURE_SCHEME_SHA1)) == [
        ("a1", "s9", b"\x02"),
        ("a2", "s1", b"\xff"),
    ]
    assert known_files(memory_warehouse, ["h1", "h2"]) == {"h1": "processed"}


def test_signatures_of_another_scheme_come_back_with_their_bodies(
    memory_warehouse: Warehouse, make_article
) -> None:
    article = make_article()
    current = StorySignature("a2", "s2", b"\x03", "new-scheme")
    memory_warehouse.load(
        "run-1",
        articles=[article],
        taxonomy_version="t1",
        signatures=[StorySignature(article.article_id, "s1", b"\x01"), current],
    )
    with memory_warehouse.transaction() as con:  # as rows stored before migration 0010 read
        con.execute(
            "INSERT INTO story_signatures (article_id, story_id, minhash) VALUES ('x', 's', '')"
        )
    assert stored_signatures(memory_warehouse, "new-scheme") == [("a2", "s2", b"\x03")]
    assert signatures_for_index(memory_warehouse, "new-scheme") == (
        [("a2", "s2", b"\x03")],
        [(article.article_id, "s1", article.body)],
    )
    assert typed(
        memory_warehouse, "SELECT scheme, typeof(scheme) FROM story_signatures ORDER BY article_id"
    ) == [
        (SIGNATURE_SCHEME_SHA1, "VARCHAR"),
        ("new-scheme", "VARCHAR"),
        (SIGNATURE_SCHEME_SHA1, "VARCHAR"),
    ]


def test_rejects_are_stored_once_per_run_and_quarantine_once_per_content_and_reason(
    memory_warehouse: Warehouse, make_article
) -> None:
    bad = make_article(article_id="badbadbadbadbad0", body="too short")
    gone = Failure("example", "https://x.example/gone", "fetch", "http_status", "HTTP 404")
    repeat = Failure("example", "https://x.example/gone", "fetch", "http_status", "HTTP 410")
    outcome = ExpectationOutcome("body_long_enough", "expect_x", "body", False, 3, 1)

    def load(run_id: str) -> None:
        memory_warehouse.load(
            run_id,
            articles=[],
            quarantined=[QuarantinedRecord(bad, ["body_long_enough"], {"body": 9})] * 2,
            failures=[gone, repeat],
            taxonomy_version="t1",
            batch="b1",
            validation=[outcome, outcome],
            validated_at=STARTED,
        )

    load("run-1")
    load("run-1")
    load("run-2")
    assert typed(
        memory_warehouse, "SELECT run_id, message, retryable FROM failures ORDER BY run_id"
    ) == [("run-1", "HTTP 404", False), ("run-2", "HTTP 404", False)]
    quarantine = typed(
        memory_warehouse,
        "SELECT run_id, failed_expectations, typeof(failed_expectations), offending_values, "
        "typeof(record), typeof(quarantine_key) FROM quarantine ORDER BY run_id",
    )
    # The same page content and reason is quarantined once, whichever run sees it again.
    assert [(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in quarantine] == [
        ("run-1", ["body_long_enough"], "VARCHAR[]", {"body": 9}, "JSON", "VARCHAR"),
    ]
    assert typed(
        memory_warehouse,
        "SELECT run_id, batch, expectation, column_name, success, element_count, "
        "typeof(element_count), unexpected_count, validated_at FROM validation_results "
        "ORDER BY run_id",
    ) == [
        ("run-1", "b1", "body_long_enough", "body", False, 3, "BIGINT", 1, STARTED),
        ("run-2", "b1", "body_long_enough", "body", False, 3, "BIGINT", 1, STARTED),
    ]


def test_unique_columns_compare_nulls_as_equal(memory_warehouse: Warehouse) -> None:
    row = ("run-1", None, "example", None, ["x"], "{}", "{}", STARTED, None)
    with memory_warehouse.transaction() as con:
        insert_rows(con, "quarantine", [row], unique_on=("run_id", "article_id", "url"))
        insert_rows(con, "quarantine", [row, row], unique_on=("run_id", "article_id", "url"))
    assert typed(memory_warehouse, "SELECT count(*) FROM quarantine") == [(1,)]


def test_a_row_of_the_wrong_length_is_refused(memory_warehouse: Warehouse) -> None:
    with pytest.raises(ValueError), memory_warehouse.transaction() as con:
        insert_rows(con, "story_signatures", [("a1", "s1")])
    assert stored_signatures(memory_warehouse, SIGNATURE_SCHEME_SHA1) == []


def _locked(tmp_path: Path) -> Warehouse:
    """A file warehouse whose writes take its writer lock."""
    return Warehouse(
        tmp_path / "w.duckdb", write_lock=WriterLock.beside(tmp_path / "w.duckdb", 5.0)
    )


@contextmanager
def counted_slots(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record each time the writer lock is taken."""
    taken: list[str] = []

    @contextmanager
    def slot(lock: WriterLock) -> Iterator[None]:
        taken.append(lock.path.name)
        yield

    monkeypatch.setattr(mediawatch.write_slot, "write_slot", slot)
    yield taken


def test_each_write_and_each_read_takes_the_writer_lock_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_article
) -> None:
    warehouse = _locked(tmp_path)
    article = make_article(raw_file="/in/a.html", raw_offset=0)
    with counted_slots(monkeypatch) as taken:
        warehouse.start_run("run-1", "pages", [("inbox", "folder", "/in")])
        warehouse.load(
            "run-1",
            articles=[article],
            taxonomy_version="t1",
            signatures=[StorySignature(article.article_id, article.article_id, b"\x01")],
        )
        record_files(warehouse, "run-1", "inbox", [SavedFile("/in/a.html", "h1", 10, "processed")])
        save_states(warehouse, [FeedState("example", "https://x.example/feed")])
        writes = len(taken)
        settled = warehouse.settled([(article.article_id, article.url)])
        files = known_files(warehouse, ["h1"])
        signatures = stored_signatures(warehouse, SIGNATURE_SCHEME_SHA1)
        states = load_states(warehouse)
        pointers, missing = raw_pointers(warehouse)
    # A reader in one process blocks a writer in another: reads queue on the lock as well.
    assert (writes, len(taken)) == (4, 9)
    assert set(taken) == {"w.duckdb.lock"}
    assert settled == {article.article_id: "loaded"}
    assert files == {"h1": "processed"}
    assert signatures == [(article.article_id, article.article_id, b"\x01")]
    assert states["example"].feed_url == "https://x.example/feed"
    assert ([p.raw_file for p in pointers], missing) == (["/in/a.html"], {})


def test_writes_inside_writing_share_one_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _locked(tmp_path)
    with counted_slots(monkeypatch) as taken:
        with warehouse.writing():
            warehouse.start_run("run-1", "ingest", [])
            save_states(warehouse, [FeedState("example", "https://x.example/feed")])
            warehouse.finish_run("run-1", "completed", {})
        inside = len(taken)
        warehouse.start_run("run-2", "ingest", [])
    assert (inside, len(taken)) == (1, 2)
    assert typed(warehouse, "SELECT run_id, status FROM runs ORDER BY run_id") == [
        ("run-1", "completed"),
        ("run-2", "running"),
    ]


def test_a_slot_asked_for_early_is_taken_beside_the_work_and_used_by_the_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _locked(tmp_path)
    granted = threading.Event()
    threads: list[str] = []

    @contextmanager
    def slow_slot(lock: WriterLock) -> Iterator[None]:
        threads.append(threading.current_thread().name)
        granted.wait(timeout=10)  # held up, as by a retry, until the "work" is done
        yield

    monkeypatch.setattr(mediawatch.write_slot, "write_slot", slow_slot)
    with warehouse.writing_soon():
        granted.set()  # the batch's stages ran while the slot was being taken
        warehouse.start_run("run-1", "pages", [])
        save_states(warehouse, [FeedState("example", "https://x.example/feed")])
    assert len(threads) == 1 and threads[0].startswith("writer-lock")
    assert typed(warehouse, "SELECT run_id FROM runs") == [("run-1",)]


def test_a_slot_that_cannot_be_taken_fails_the_write_that_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _locked(tmp_path)

    @contextmanager
    def refused(lock: WriterLock) -> Iterator[None]:
        raise RuntimeError(f"Unable to take {lock.path.name}")
        yield

    monkeypatch.setattr(mediawatch.write_slot, "write_slot", refused)
    with pytest.raises(RuntimeError, match=r"w\.duckdb\.lock"), warehouse.writing_soon():
        warehouse.start_run("run-1", "pages", [])


def test_leaving_before_the_slot_is_granted_lets_it_go_when_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _locked(tmp_path)
    grant, released = threading.Event(), threading.Event()

    @contextmanager
    def late_slot(lock: WriterLock) -> Iterator[None]:
        grant.wait(timeout=10)
        try:
            yield
        finally:
            released.set()

    monkeypatch.setattr(mediawatch.write_slot, "write_slot", late_slot)
    with pytest.raises(KeyError), warehouse.writing_soon():
        raise KeyError("the batch failed before its load")
    assert not released.is_set()
    grant.set()
    assert released.wait(timeout=10)


def test_a_reader_cannot_write(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.start_run("run-1", "ingest", [])
    with pytest.raises(duckdb.TransactionException, match="read-only"), warehouse.reader() as con:
        con.execute("DELETE FROM runs")
    assert typed(warehouse, "SELECT run_id, status FROM runs") == [("run-1", "running")]


def test_a_reader_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "absent.duckdb"
    with pytest.raises(WarehouseError, match="run `mediawatch run` first"):
        stored_signatures(Warehouse(path), SIGNATURE_SCHEME_SHA1)
    assert not path.exists()


def test_a_reader_retries_a_file_another_process_holds(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse(path).start_run("run-1", "ingest", [])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        busy = Warehouse(path, lock_attempts=2, lock_backoff=0.01)
        with pytest.raises(WarehouseLocked, match="after 2 attempts"):
            load_states(busy)
    finally:
        holder.communicate(b"")
    assert load_states(busy) == {}
