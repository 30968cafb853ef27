"""The spool: durable batch files for a locked warehouse, and what a corrupt one does."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from crash_batches import ARTICLES, make_batch

from mediawatch.errors import WarehouseLocked
from mediawatch.spool import (
    CorruptSpool,
    canonical_json,
    clear_partial,
    pending,
    read_spool,
    set_aside,
    write_spool,
)
from mediawatch.warehouse import Warehouse, connect

# Another process with the file open read-only, as a user's DuckDB client would have it.
HOLD = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
sys.stdin.read()
"""


def test_a_spooled_batch_reads_back_equal(tmp_path: Path) -> None:
    batch = make_batch(7)
    path = write_spool(tmp_path / "spool", batch)
    assert pending(tmp_path / "spool") == [path]
    assert path.name.startswith("crash-run-batch-7-")
    assert read_spool(path) == batch
    assert list((tmp_path / "spool").glob(".*")) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: text.replace('"url": "https://port.example/7/0.html"', '"url": "x"'),
        lambda text: text.replace('"version": 1', '"version": 9'),
        lambda text: "not json at all",
    ],
    ids=["truncated", "edited", "unknown-version", "garbage"],
)
def test_a_damaged_spool_file_is_refused_and_can_be_set_aside(tmp_path: Path, damage) -> None:
    path = write_spool(tmp_path / "spool", make_batch(7))
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(CorruptSpool, match=path.name):
        read_spool(path)
    kept = set_aside(path)
    assert kept == tmp_path / "spool" / "corrupt" / path.name and kept.exists()
    assert pending(tmp_path / "spool") == []


def test_a_wrong_field_type_is_refused(tmp_path: Path) -> None:
    path = write_spool(tmp_path / "spool", make_batch(7))
    document = json.loads(path.read_text(encoding="utf-8"))
    document["batch"]["articles"][0]["word_count"] = "eighty"
    document["sha256"] = hashlib.sha256(canonical_json(document["batch"])).hexdigest()
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CorruptSpool, match="expected int, got 'eighty'"):
        read_spool(path)


def test_a_file_held_by_another_process_is_retried_then_reported_locked(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        warehouse = Warehouse(path, lock_attempts=3, lock_backoff=0.01)
        with pytest.raises(WarehouseLocked, match="after 3 attempts"):
            warehouse.load("r1", articles=make_batch(1).articles, taxonomy_version="t1")
    finally:
        holder.communicate(b"")
    counts = Warehouse(path).load("r1", articles=make_batch(1).articles, taxonomy_version="t1")
    assert counts["port-news"].new == ARTICLES


def test_half_written_spool_files_of_dead_runs_are_removed_and_live_ones_kept(
    tmp_path: Path,
) -> None:
    dead, live = "0b7c1e52-7f4e-4a57-9d0e-3f1a8c2d9e10", "5d0f9a31-2c4b-4e8f-a1b7-6e2d4c8f0a93"
    for run_id in (dead, live):
        (tmp_path / f".{run_id}-inbox-files-1-4-of-8-0a1b2c3d.json.tmp").write_bytes(b'{"form')
    (tmp_path / f"{dead}-inbox-files-5-8-of-8-4e5f6a7b.json").write_bytes(b"{}")
    removed = clear_partial(tmp_path, alive=lambda run_id: run_id == live)
    assert [p.name[1:37] for p in removed] == [dead]
    assert sorted(p.name[:37] for p in tmp_path.iterdir()) == [f".{live}", f"{dead}-"]
