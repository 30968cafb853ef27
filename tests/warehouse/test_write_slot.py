"""The writer lock: one holder at a time, waits that say who holds it, nothing a crash can leak."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from prefect import flow, get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from prefect.client.schemas.objects import FlowRun
from prefect.runtime import flow_run

from mediawatch.write_slot import (
    WAITING_STATE,
    WarehouseBusy,
    WriterLock,
    read_holder,
    run_alive,
    still_running,
    write_slot,
)

# Takes the writer lock as run `killed-run` and says so; killed while holding it.
HOLD = """
import sys, time
from pathlib import Path
from mediawatch.write_slot import WriterLock, write_slot
with write_slot(WriterLock.beside(Path(sys.argv[1]), 5.0, "killed-run", "pages")):
    print("held", flush=True)
    time.sleep(60)
"""


def _lock(tmp_path: Path, run_id: str, timeout: float = 5.0) -> WriterLock:
    return WriterLock.beside(tmp_path / "w.duckdb", timeout, run_id, "pages")


def test_a_second_writer_waits_and_says_who_holds_the_warehouse(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "mediawatch.write_slot")
    events: list[str] = []
    asked = threading.Event()

    def second() -> None:
        asked.set()
        with write_slot(_lock(tmp_path, "run-2")):
            events.append("second holds")

    with write_slot(_lock(tmp_path, "run-1")):
        holder = read_holder(tmp_path / "w.duckdb.lock")
        waiter = threading.Thread(target=second)
        waiter.start()
        asked.wait(timeout=10)
        time.sleep(0.3)  # time for the second to find the lock taken and report it
        events.append("first releases")
    waiter.join(timeout=30)
    assert events == ["first releases", "second holds"]
    assert holder is not None and (holder["run_id"], holder["flow"]) == ("run-1", "pages")
    assert isinstance(holder["pid"], int) and isinstance(holder["since"], str)
    waits = [r.getMessage() for r in caplog.records if "held by" in r.getMessage()]
    assert waits and waits[0].startswith(f"warehouse held by run run-1 (pid {holder['pid']}")
    assert "waiting up to" in waits[0]
    assert read_holder(tmp_path / "w.duckdb.lock") is None  # emptied on release


def test_a_wait_past_the_timeout_fails_naming_the_holder(tmp_path: Path) -> None:
    with write_slot(_lock(tmp_path, "run-1")):
        started = time.monotonic()
        with (
            pytest.raises(WarehouseBusy, match=r"held by run run-1 .*load\.lock_timeout"),
            write_slot(_lock(tmp_path, "run-2", timeout=0.3)),
        ):
            pytest.fail("took a held lock")
        assert time.monotonic() - started >= 0.3


def test_a_killed_holder_leaves_the_lock_free_and_its_record_is_cleared(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "mediawatch.write_slot")
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "w.duckdb")], stdout=subprocess.PIPE
    )
    assert child.stdout is not None and child.stdout.readline().strip() == b"held"
    child.send_signal(signal.SIGKILL)
    child.wait()
    left = read_holder(tmp_path / "w.duckdb.lock")
    assert left is not None and (left["run_id"], left["pid"]) == ("killed-run", child.pid)
    with write_slot(_lock(tmp_path, "run-2", timeout=0.5)):
        now = json.loads((tmp_path / "w.duckdb.lock").read_text("utf-8"))
    assert now["run_id"] == "run-2"
    cleared = [r for r in caplog.records if "cleared a writer-lock record" in r.getMessage()]
    assert len(cleared) == 1 and "killed-run" in cleared[0].getMessage()
    assert not any("held by" in r.getMessage() for r in caplog.records)


def test_a_run_is_alive_while_its_run_lock_is_held(tmp_path: Path) -> None:
    folder = tmp_path / "w.duckdb.runs"
    with run_alive(folder, "run-1"):
        assert still_running(folder, "run-1")
    assert not still_running(folder, "run-1")
    (folder / "run-2.lock").touch()  # what a killed run leaves: the file, unlocked
    assert not still_running(folder, "run-2")
    assert list(folder.iterdir()) == []


def _runs_of(flow_name: str) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))


@pytest.mark.usefixtures("prefect_harness")
def test_a_flow_run_that_waits_shows_the_wait_in_its_state(tmp_path: Path) -> None:
    """Read from the API during the wait: a Running state named for it, with holder and bound."""

    @flow(name="waits-for-the-warehouse")
    def waits() -> str | None:
        with write_slot(_lock(tmp_path, "run-2", timeout=60)):
            return flow_run.get_id()

    ran: list[str | None] = []
    with write_slot(_lock(tmp_path, "run-1")):
        holder = read_holder(tmp_path / "w.duckdb.lock")
        waiter = threading.Thread(target=lambda: ran.append(waits()))
        waiter.start()
        deadline = time.monotonic() + 60
        runs = _runs_of("waits-for-the-warehouse")
        while not (runs and runs[0].state and runs[0].state.name == WAITING_STATE):
            assert time.monotonic() < deadline, f"no run waits: {runs}"
            time.sleep(0.2)
            runs = _runs_of("waits-for-the-warehouse")
    waiter.join(timeout=60)
    [run] = runs
    assert ran == [str(run.id)]
    assert holder is not None and run.state is not None and run.state.is_running()
    assert f"held by run run-1 (pid {holder['pid']}, flow pages) since {holder['since']}" in (
        run.state.message or ""
    )
    assert "(60 s, load.lock_timeout)" in (run.state.message or "")
    with get_client(sync_client=True) as client:
        states = sorted(client.read_flow_run_states(run.id), key=lambda state: state.timestamp)
    assert [state.name for state in states[-3:]] == [WAITING_STATE, "Running", "Completed"]
    assert (states[-2].message or "").startswith("warehouse writer lock taken after")
