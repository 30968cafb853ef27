"""Fault injection: a loader killed with SIGKILL at random points keeps whole batches or none.

Each trial starts a loader (forked from one child that imported it once)
that loads batch after batch, kills it after a random delay, and checks
every batch it began: all of its articles, labels, quarantined records,
failures and validation results are in, or none is.
Then the "next run" loads every batch again and each is there exactly once.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from crash_batches import (
    ARTICLES,
    FAILURES,
    LABELS,
    OUTCOMES,
    QUARANTINED,
    RUN_ID,
    make_batch,
)

from mediawatch.lake_target import DuckLakeTarget
from mediawatch.spool import load_validated
from mediawatch.warehouse import Warehouse

CHILD = Path(__file__).with_name("load_until_killed.py")
TRIALS = 30
LAKE_TRIALS = 4
FULL = (ARTICLES, ARTICLES * len(LABELS), ARTICLES, QUARANTINED, FAILURES, len(OUTCOMES))


def _rows_per_batch(path: Path) -> dict[int, tuple[int, ...]]:
    """(articles, labels, signatures, quarantined, failures, validations) stored per batch."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return _count_rows(con)
    finally:
        con.close()


def _count_rows(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[int, ...]]:
    queries = [
        "SELECT article_id FROM articles",
        "SELECT article_id FROM article_topics",
        "SELECT article_id FROM story_signatures",
        "SELECT article_id FROM quarantine",
        "SELECT split_part(url, '/', 4) FROM failures",
        "SELECT split_part(batch, ' ', 2) FROM validation_results",
    ]
    per_batch: dict[int, list[int]] = {}
    for column, query in enumerate(queries):
        for (key,) in con.execute(query).fetchall():
            number = int(key[:8], 16) if column < 4 else int(key)
            per_batch.setdefault(number, [0] * len(queries))[column] += 1
    return {number: tuple(counts) for number, counts in per_batch.items()}


class Loader:
    """The child `load_until_killed.py`: it forks a loader per trial, already imported."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def kill_during_loads(
        self, path: Path | str, first: int, delay: float, *extra: str, after: int = 0
    ) -> int:
        """Fork a loader, SIGKILL it after `delay` s of loading (and once `after` batches are
        in, if given); return the last batch begun."""
        assert self.process.stdin is not None
        self.process.stdin.write("\t".join([str(path), str(first), *extra]) + "\n")
        self.process.stdin.flush()
        pid = int(self._line().removeprefix("pid "))
        begun = []
        while after and len(begun) <= after:  # "begin K" follows batch K-1's commit
            begun.append(int(self._line().removeprefix("begin ")))
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        while (line := self._line()) != "ended":
            assert line.startswith("begin "), line
            begun.append(int(line.split()[1]))
        return max(begun, default=first)

    def close(self) -> None:
        """Let the child end, and kill what is left of its group (a failed trial's loader)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            code = self.process.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        assert code == 0


@pytest.fixture(scope="module")
def loader() -> Iterator[Loader]:
    """One child for the module's trials: importing the loader takes a second or more each time."""
    child = Loader()
    try:
        yield child
    finally:
        child.close()


def test_killed_loads_leave_whole_batches_and_the_next_run_loads_each_once(
    loader: Loader, tmp_path: Path
) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse(path).start_run(RUN_ID, "ingest", [("port-news", "feed", "https://port.example/")])
    rng = random.Random(20261120)
    first, cut_short = 0, 0
    for _ in range(TRIALS):
        last = loader.kill_during_loads(path, first, rng.uniform(0.0, 0.4))
        stored = _rows_per_batch(path)
        for number in range(first, last + 1):
            assert stored.get(number, (0,) * len(FULL)) in {FULL, (0,) * len(FULL)}, number
        cut_short += number not in stored
        first = last + 1
    assert cut_short > 0, "no kill landed inside a load: the trials proved nothing"

    warehouse = Warehouse(path)
    for number in range(first):
        load_validated(warehouse, make_batch(number))
    assert _rows_per_batch(path) == {number: FULL for number in range(first)}
    print(f"{TRIALS} kills over {first} batches, {cut_short} batches cut short mid-load")


def test_commits_a_killed_loader_left_in_the_wal_are_read_and_the_run_end_folds_them_in(
    loader: Loader, tmp_path: Path
) -> None:
    """Loads do not checkpoint: a kill leaves committed batches in the WAL only (see warehouse)."""
    path = tmp_path / "w.duckdb"
    Warehouse(path).start_run(RUN_ID, "ingest", [("port-news", "feed", "https://port.example/")])
    last = loader.kill_during_loads(path, 0, 0.1, after=2)
    wal = Path(f"{path}.wal")
    assert wal.exists() and wal.stat().st_size > 0
    stored = _rows_per_batch(path)  # a read-only open replays the WAL
    whole = {number for number, counts in stored.items() if counts == FULL}
    assert set(stored) == whole and {0, 1} <= whole and max(whole) >= last - 1

    Warehouse(path).finish_run(RUN_ID, "crashed", {})
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.duckdb"  # the file alone now holds every batch
    copy.write_bytes(path.read_bytes())
    assert _rows_per_batch(copy) == stored


def test_killed_ducklake_loads_leave_whole_batches_and_the_next_run_loads_each_once(
    loader: Loader, ducklake_warehouse: Warehouse
) -> None:
    """The same on a DuckLake (catalog in PostgreSQL): a batch is one DuckLake commit."""
    target = ducklake_warehouse.path
    assert isinstance(target, DuckLakeTarget) and target.data_path
    ducklake_warehouse.start_run(RUN_ID, "ingest", [("port-news", "feed", "https://port.example/")])

    def stored() -> dict[int, tuple[int, ...]]:
        with ducklake_warehouse.reader() as con:
            return _count_rows(con)

    rng = random.Random(20261129)
    first, cut_short = 0, 0
    for _ in range(LAKE_TRIALS):
        last = loader.kill_during_loads(str(target), first, rng.uniform(1.0, 5.0), target.data_path)
        seen = stored()
        for number in range(first, last + 1):
            assert seen.get(number, (0,) * len(FULL)) in {FULL, (0,) * len(FULL)}, number
        cut_short += number not in seen
        first = last + 1
    assert cut_short > 0, "no kill landed inside a load: the trials proved nothing"
    for number in range(first):
        load_validated(ducklake_warehouse, make_batch(number))
    assert stored() == {number: FULL for number in range(first)}
