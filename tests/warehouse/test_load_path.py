"""The load's write path: new articles appended, stored ones updated, commits kept in the WAL."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

import mediawatch.warehouse as warehouse_module
from mediawatch.warehouse import Warehouse
from schemas.records import Evidence, TopicLabel

LABEL = TopicLabel("economy/ports", 2.0, [Evidence("port", "body", 4, 8, "the port closed")])
LATER = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _rows(warehouse: Warehouse) -> dict[str, tuple[object, ...]]:
    with warehouse.reader() as con:
        rows = con.execute(
            "SELECT article_id, body, first_seen_at, last_seen_at, updated_at, run_id, topics "
            "FROM articles"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_one_batch_inserts_new_updates_changed_and_touches_unchanged_articles(
    memory_warehouse: Warehouse, make_article
) -> None:
    kept = make_article(article_id="a" * 16, topics=[LABEL])
    edited = make_article(article_id="b" * 16, topics=[LABEL])
    memory_warehouse.load("run-1", articles=[kept, edited], taxonomy_version="t1")
    before = _rows(memory_warehouse)

    seen_again = make_article(article_id="a" * 16, topics=[LABEL], fetched_at=LATER)
    changed = make_article(
        article_id="b" * 16, body="A corrected text. " * 30, content_hash="d" * 64, fetched_at=LATER
    )
    new = make_article(article_id="c" * 16, topics=[LABEL], fetched_at=LATER)
    counts = memory_warehouse.load(
        "run-2", articles=[seen_again, changed, new], taxonomy_version="t2"
    )

    tally = counts["example"]
    assert (tally.new, tally.updated, tally.unchanged) == (1, 1, 1)
    after = _rows(memory_warehouse)
    # Unchanged: only last_seen_at moves.
    assert after["a" * 16] == (*before["a" * 16][:2], LATER, *before["a" * 16][3:])
    # Changed: the new text, updated_at and this run; first seen stays.
    body, first_seen, last_seen, updated_at, run_id, topics = after["b" * 16]
    assert body.startswith("A corrected text.")
    assert (first_seen, last_seen, updated_at, run_id, topics) == (
        before["b" * 16][1],
        LATER,
        LATER,
        "run-2",
        [],
    )
    # New: first seen now, never updated, typed as the schema says.
    body, first_seen, last_seen, updated_at, run_id, topics = after["c" * 16]
    assert isinstance(first_seen, datetime) and first_seen.tzinfo is not None
    assert (last_seen, updated_at, run_id, topics) == (LATER, None, "run-2", [LABEL.label])
    with memory_warehouse.reader() as con:
        labels = con.execute(
            "SELECT article_id, label, taxonomy_version FROM article_topics ORDER BY article_id"
        ).fetchall()
    assert labels == [("a" * 16, LABEL.label, "t1"), ("c" * 16, LABEL.label, "t2")]


def _wal(path: Path) -> int:
    wal = Path(f"{path}.wal")
    return wal.stat().st_size if wal.exists() else 0


def test_commits_stay_in_the_wal_until_it_is_large_or_the_run_ends(
    tmp_path: Path, make_article, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.duckdb"
    warehouse = Warehouse(path, config={"memory_limit": "512MB"})
    warehouse.start_run("run-1", "pages", [])
    warehouse.load("run-1", articles=[make_article(article_id="a" * 16)], taxonomy_version="t1")
    assert _wal(path) > 0, "a closing writer checkpointed"
    assert set(_rows(warehouse)) == {"a" * 16}  # a reader replays the WAL

    monkeypatch.setattr(warehouse_module, "CHECKPOINT_WAL_BYTES", 1)
    warehouse.load("run-1", articles=[make_article(article_id="b" * 16)], taxonomy_version="t1")
    assert _wal(path) == 0, "a WAL past the threshold was not folded into the file"

    monkeypatch.setattr(warehouse_module, "CHECKPOINT_WAL_BYTES", 2**40)
    warehouse.load("run-1", articles=[make_article(article_id="c" * 16)], taxonomy_version="t1")
    assert _wal(path) > 0
    warehouse.finish_run("run-1", "completed", {})
    assert _wal(path) == 0, "the run's end left its commits in the WAL"
    copy = tmp_path / "copy.duckdb"  # the file alone holds every commit
    shutil.copy(path, copy)
    con = duckdb.connect(str(copy))
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (3,)
    assert con.execute("SELECT status FROM runs").fetchone() == ("completed",)


@pytest.mark.parametrize(
    ("configured", "during"), [("512MB", "61.0 MiB"), ("32MB", "30.5 MiB"), (None, "61.0 MiB")]
)
def test_a_checkpoint_runs_under_a_small_memory_limit_never_a_larger_one(
    tmp_path: Path, configured: str | None, during: str
) -> None:
    warehouse = Warehouse(
        tmp_path / "w.duckdb", config={"memory_limit": configured} if configured else {}
    )
    with warehouse.connection() as con:
        warehouse._checkpoint(con)
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == (during,)


def test_a_files_writes_run_one_duckdb_thread_unless_warehouse_threads_is_set(
    tmp_path: Path,
) -> None:
    """One thread costs a batch's writes less CPU; queries keep DuckDB's own count."""
    default = Warehouse(tmp_path / "w.duckdb")
    with default.connection() as con:
        assert con.execute("SELECT current_setting('threads')").fetchone() == (1,)
    own = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()
    with default.reader() as con:
        assert con.execute("SELECT current_setting('threads')").fetchone() == own
    configured = Warehouse(tmp_path / "w.duckdb", config={"threads": 3})
    with configured.connection() as con:
        assert con.execute("SELECT current_setting('threads')").fetchone() == (3,)
