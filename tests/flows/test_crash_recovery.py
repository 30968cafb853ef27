"""`mediawatch pages` killed mid-load, and runs that overlap: nothing blocks, nothing doubles.

The commands run as subprocesses, as a user or a scheduler starts them. The
kill scenario kills the command's whole process group five times while it
loads, then lets it finish: the finishing run must start writing at once,
and the warehouse must hold every page once, each quarantined page once, and
mark the killed runs crashed. The orphan scenario kills the command's own
process only (its temporary Prefect server and extraction workers are left
to themselves) and checks they all end within 5 s. The overlap scenario
freezes a run while it holds the writer lock and starts a second one, which
must wait, say who holds the warehouse, and finish once the first goes on.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateName
from prefect.settings import PREFECT_API_URL
from warehouse_reads import query

from mediawatch.write_slot import WAITING_STATE, read_holder

# Each cycle starts a command (Python, Prefect, GX imports): seconds each, more on a loaded machine.
pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.timeout(1200),
    pytest.mark.slow,
]

PAGES = 24
STUBS = 4  # pages too short to pass validation: quarantined
BODY = (
    "The harbour board of {town} met on Tuesday to settle the budget for dredging "
    "the eastern channel. Councillor {n} said the ferry timetable would change in "
    "spring, and that freight volumes had risen for the {n}th month in a row. "
)
SETTINGS = """
limits:
  batch_size: 4
extract:
  workers: 2
load:
  lock_attempts: 2
  lock_backoff: 0.05
  lock_timeout: 120
"""


def _page(n: int) -> bytes:
    paragraphs = [BODY.format(town=f"Town {n}-{part}", n=n + part) for part in range(4)]
    body = "" if n < STUBS else "".join(f"<p>{text}</p>" for text in paragraphs)
    title = f"Harbour board budget {n}"
    return (
        f"<html><head><title>{title}</title>"
        f'<link rel="canonical" href="https://harbour.example/news/{n}.html"></head>'
        f"<body><article><h1>{title}</h1><p>Budget {n}.</p>{body}</article></body></html>"
    ).encode()


def _inbox(folder: Path, count: int, first: int = 0) -> Path:
    folder.mkdir(parents=True)
    for n in range(first, first + count):
        (folder / f"page-{n:03d}.html").write_bytes(_page(n))
    return folder


class Command:
    """`mediawatch pages FOLDER` in its own process group, its output read line by line."""

    def __init__(self, root: Path, folder: Path, *, own_api: bool = False) -> None:
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"}
        if own_api:  # no API given: the command starts its temporary server
            env.pop("PREFECT_API_URL", None)
            env["PREFECT_HOME"] = str(root / "prefect-home")
        else:
            env["PREFECT_API_URL"] = PREFECT_API_URL.value()
        mediawatch = str(Path(sys.executable).with_name("mediawatch"))
        config = ["--config", str(root / "settings.yaml")]
        self.started = time.time()
        self.process = subprocess.Popen(
            [mediawatch, "--warehouse", str(root / "w.duckdb"), "pages", str(folder), *config],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.loaded = f"loaded {folder.name}: files"  # the log line of a batch's load
        self.lines: list[str] = []
        self._seen = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()

    def wait_for(self, text: str, timeout: float = 120) -> str | None:
        """The first output line containing `text`; None if the command ends first or times out."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while time.monotonic() < deadline:
                found = next((line for line in self.lines if text in line), None)
                if found is not None or self.process.poll() is not None:
                    return found
                self._seen.wait(timeout=0.2)
        return None

    def finish(self) -> int:
        code = self.process.wait(timeout=300)
        assert code == 0, "".join(self.lines[-40:])
        return code

    def kill_group(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pids: set[int]) -> set[int]:
    still = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state != "Z":
            still.add(pid)
    return still


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "settings.yaml").write_text(SETTINGS, "utf-8")
    return tmp_path


@pytest.fixture(scope="module")
def killed_five_times(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("killed")
    (root / "settings.yaml").write_text(SETTINGS, "utf-8")
    inbox = _inbox(root / "inbox", PAGES)
    rng = random.Random(20261129)
    killed_mid_load = 0
    for _ in range(5):
        command = Command(root, inbox)
        try:
            assert command.wait_for(command.loaded) is not None, "".join(command.lines[-40:])
            time.sleep(rng.uniform(0.0, 0.6))
            killed_mid_load += command.process.poll() is None
        finally:
            command.kill_group()
    final = Command(root, inbox)
    final.finish()
    yield {"root": root, "final": final, "killed_mid_load": killed_mid_load}


def test_the_run_after_five_kills_starts_writing_at_once(killed_five_times: dict[str, Any]) -> None:
    """Timed from the flow run's start (its first log line): the command's imports come before."""
    root, final = killed_five_times["root"], killed_five_times["final"]
    assert killed_five_times["killed_mid_load"] == 5
    completed = "SELECT started_at FROM runs WHERE status = 'completed'"
    [(started,)] = query(root / "w.duckdb", completed)
    begun = final.wait_for("Beginning flow run")
    assert begun is not None
    clock = datetime.strptime(begun[:12], "%H:%M:%S.%f").time()
    flow_start = datetime.combine(started.astimezone().date(), clock).astimezone()
    waited = (started - flow_start).total_seconds()
    print(
        f"final run: start recorded {waited:.1f} s after its flow run began, "
        f"{started.timestamp() - final.started:.1f} s after the command started"
    )
    assert 0 <= waited < 10
    assert not any("held by" in line for line in final.lines)


def test_every_page_is_stored_once_and_each_quarantined_page_once(
    killed_five_times: dict[str, Any],
) -> None:
    warehouse = killed_five_times["root"] / "w.duckdb"
    articles = query(
        warehouse,
        "SELECT count(*), count(DISTINCT article_id), count(DISTINCT s.article_id) "
        "FROM articles a LEFT JOIN story_signatures s USING (article_id)",
    )
    assert articles == [(PAGES - STUBS, PAGES - STUBS, PAGES - STUBS)]
    quarantine = query(
        warehouse,
        "SELECT count(*), count(DISTINCT url), count(DISTINCT quarantine_key), "
        "typeof(any_value(quarantine_key)), typeof(any_value(failed_expectations)) FROM quarantine",
    )
    assert quarantine == [(STUBS, STUBS, STUBS, "VARCHAR", "VARCHAR[]")]


def test_killed_runs_are_marked_crashed(killed_five_times: dict[str, Any]) -> None:
    statuses = query(
        killed_five_times["root"] / "w.duckdb",
        "SELECT status, count(*), typeof(any_value(status)) FROM runs GROUP BY ALL ORDER BY 1",
    )
    assert statuses == [("completed", 1, "VARCHAR"), ("crashed", 5, "VARCHAR")]


def test_no_child_outlives_a_killed_command(root: Path) -> None:
    command = Command(root, _inbox(root / "inbox", 12), own_api=True)
    try:
        assert command.wait_for(command.loaded) is not None, "".join(command.lines[-40:])
        children = _running(_descendants(command.process.pid))
        os.kill(command.process.pid, signal.SIGKILL)  # the command alone, not its group
        command.process.wait()
        killed = time.monotonic()
        while _running(children) and time.monotonic() - killed < 5:
            time.sleep(0.1)
        left = _running(children)
    finally:
        os.killpg(command.process.pid, signal.SIGKILL)
    assert len(children) >= 3  # the Prefect server, the forkserver and its workers
    assert left == set()


def test_an_overlapping_run_waits_names_the_holder_and_finishes_after_it(root: Path) -> None:
    first = Command(root, _inbox(root / "a", 8))
    second: Command | None = None
    lock = root / "w.duckdb.lock"
    try:
        assert first.wait_for(first.loaded) is not None, "".join(first.lines[-40:])
        while True:  # freeze the first run while it holds the writer lock
            os.killpg(first.process.pid, signal.SIGSTOP)
            holder = read_holder(lock)
            if holder and holder["pid"] == first.process.pid:
                break
            os.killpg(first.process.pid, signal.SIGCONT)
            time.sleep(0.01)
        second = Command(root, _inbox(root / "b", 8, first=100))
        waiting = second.wait_for("warehouse held by run")
        assert waiting is not None, "".join(second.lines[-40:])
        with get_client(sync_client=True) as client:  # the wait, as the UI shows it
            shown = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(name=FlowRunFilterStateName(any_=[WAITING_STATE]))
                )
            )
        resumed = datetime.now(UTC)
        os.killpg(first.process.pid, signal.SIGCONT)
        first.finish()
        second.finish()
    finally:
        for command in (first, second):
            if command is not None and command.process.poll() is None:
                command.kill_group()
    assert f"run {holder['run_id']} (pid {first.process.pid}, flow pages)" in waiting
    assert "waiting up to" in waiting
    [waiting_run] = shown
    assert waiting_run.state is not None and waiting_run.state.message is not None
    assert f"held by run {holder['run_id']} (pid {first.process.pid}" in waiting_run.state.message
    runs = dict(
        (run_id, (status, started, finished))
        for run_id, status, started, finished in query(
            root / "w.duckdb", "SELECT run_id, status, started_at, finished_at FROM runs"
        )
    )
    first_run = runs.pop(holder["run_id"])
    [second_run] = runs.values()
    assert first_run[0] == second_run[0] == "completed"
    assert first_run[1] < second_run[1] < resumed < first_run[2] and resumed < second_run[2]
    assert second.wait_for("warehouse writer lock taken after") is not None
    stored = query(root / "w.duckdb", "SELECT count(DISTINCT article_id) FROM articles")
    assert stored == [(8 - STUBS + 8,)]
