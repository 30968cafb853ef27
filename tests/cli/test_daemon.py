"""The command daemon: a flow command sent to it prints, fails and exits as in-process,
its run dies with its client, and a daemon whose code changed is not used."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from mediawatch import daemon
from mediawatch.lifetime import alive

MEDIAWATCH = str(Path(sys.executable).with_name("mediawatch"))
READY_SECONDS = 300  # the daemon imports Prefect, GX and the flows: long on a busy machine


@dataclass
class Daemon:
    """A daemon serving `config`, started from `folder`, logging to `log`."""

    folder: Path
    config: Path
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    def mediawatch(self, *args: str, **options: object) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [MEDIAWATCH, *args, "--config", str(self.config)],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **options,  # type: ignore[arg-type]
        )

    def run(self, *args: str) -> tuple[int, str, str]:
        process = self.mediawatch(*args)
        out, err = process.communicate(timeout=300)
        return process.returncode, out, err

    def served(self) -> list[str]:
        return re.findall(r"^pid (\d+): mediawatch (.*)$", self.log.read_text(), re.M)

    def children(self) -> set[int]:
        return _children(self.process.pid)


def _children(pid: int) -> set[int]:
    try:
        return {
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        }
    except OSError:
        return set()


def _descendants(pid: int) -> set[int]:
    found = _children(pid)
    return found.union(*(_descendants(child) for child in found))


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Daemon]:
    """A daemon for a project folder, reporting to the session's Prefect API, stopped after."""
    folder = tmp_path_factory.mktemp("daemon")
    config = folder / "mediawatch.yaml"
    config.write_text(f"data_dir: {folder / 'data'}\n", encoding="utf-8")
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "COLUMNS": "200",
    }
    key = daemon.project_key(str(folder))
    log = folder / "daemon.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mediawatch.daemon", key, str(config)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_SECONDS
        while "ready" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        yield Daemon(folder, config, process, log, env)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _pages(folder: Path, copies: int) -> Path:
    """A folder of `copies` distinct saved article pages, long enough to pass validation."""
    folder.mkdir()
    for i in range(copies):
        body = "".join(
            f"<p>The harbour board of Varnholm met for session {i}.{p} and agreed that the ferry "
            "timetable changes again next month, after long talks with the island's traders, "
            "the fishing cooperative and the council's transport committee.</p>"
            for p in range(8)
        )
        (folder / f"page{i}.html").write_text(
            f"<html><head><title>Harbour board session {i}</title></head>"
            f"<body><article><h1>Harbour board session {i}</h1>{body}</article></body></html>",
            encoding="utf-8",
        )
    return folder


def _same(text: str, folder: Path) -> str:
    """Output with what differs between two runs (run ids, the warehouse) made equal."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "RUN", text).replace(str(folder), "W")


def test_a_pages_run_prints_the_same_through_the_daemon_and_in_process(warm: Daemon) -> None:
    pages = _pages(warm.folder / "inbox", 3)
    outputs = []
    for name, flag in (("a", []), ("b", ["--no-daemon"])):
        warehouse = warm.folder / name
        code, out, err = warm.run(
            *flag,
            "--warehouse",
            str(warehouse / "w.duckdb"),
            "pages",
            str(pages),
            "--source",
            "inbox",
        )
        assert code == 0, err
        outputs.append(_same(out, warehouse))
    served = warm.served()
    assert len(served) == 1 and "--no-daemon" not in served[0][1]
    assert outputs[0] == outputs[1]
    assert "processed" in outputs[0] and "Warehouse: W/w.duckdb" in outputs[0]


def test_a_failing_command_gives_the_same_error_line_and_code(warm: Daemon) -> None:
    missing = str(warm.folder / "missing")
    sent = warm.run("pages", missing)
    here = warm.run("--no-daemon", "pages", missing)
    assert sent == here
    assert sent[0] == 1 and sent[2].startswith(f"Error: {missing} is not a folder")
    assert [argv for _, argv in warm.served()][-1].startswith(f"pages {missing}")


def _forkservers(pid: int) -> set[int]:
    """The multiprocessing forkservers among the children of `pid`."""
    return {
        child
        for child in _children(pid)
        if b"multiprocessing.forkserver" in Path(f"/proc/{child}/cmdline").read_bytes()
    }


def test_killing_the_client_kills_its_run(warm: Daemon) -> None:
    """The run's process, and the extraction workers the daemon's forkserver made for it, end."""
    [forkserver] = _forkservers(warm.process.pid)
    workers_before = _children(forkserver)
    before = warm.children()
    client = warm.mediawatch("pages", str(_pages(warm.folder / "many", 40)))
    deadline = time.monotonic() + 120
    while not warm.children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    [child] = warm.children() - before
    workers: set[int] = set()
    while not workers and time.monotonic() < deadline:
        workers = _children(forkserver) - workers_before
        time.sleep(0.05)
    settled = time.monotonic() + 1  # every worker of the pool forked, each seen while it ran
    while time.monotonic() < settled:
        workers |= _children(forkserver) - workers_before
        time.sleep(0.05)
    assert workers, "the run's workers come from the daemon's forkserver"
    assert not _forkservers(child), "the run started no forkserver of its own"
    run = {child, *_descendants(child), *workers}
    os.kill(client.pid, signal.SIGKILL)
    client.wait()
    killed = time.monotonic()
    while any(map(alive, run)) and time.monotonic() - killed < 20:
        time.sleep(0.1)
    assert not any(map(alive, run))


def test_a_daemon_whose_code_changed_is_not_used(warm: Daemon) -> None:
    served = len(warm.served())
    source = Path(daemon.__file__)
    os.utime(source)  # as an edit or an upgrade would
    code, out, err = warm.run(
        "--warehouse", str(warm.folder / "s.duckdb"), "pages", str(_pages(warm.folder / "stale", 1))
    )
    assert code == 0, err
    assert "note: the command daemon's code changed" in err
    assert "Warehouse:" in out
    assert len(warm.served()) == served


def test_only_the_daemons_own_user_may_send_it_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """An abstract socket has no file permissions, so the peer's uid is what keeps others out."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with ours, theirs:
        assert daemon.same_user(ours)
        monkeypatch.setattr(daemon.os, "getuid", lambda: os.geteuid() + 1)
        assert not daemon.same_user(ours)


def test_the_warm_up_reads_the_primary_keys_once_for_every_run() -> None:
    """Each forked run inherits the keys that upserts need instead of rebuilding them."""
    from mediawatch.warehouse import primary_keys

    primary_keys.cache_clear()
    daemon.warm_up(None)
    assert primary_keys.cache_info().currsize == 1
    assert primary_keys()["feed_state"] == ("source",)


def test_a_finished_run_lets_go_of_the_clients_output_before_its_process_ends() -> None:
    """A pipe reading the command's output ends with the command, not with the child's shutdown."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from mediawatch import daemon; print('summary');"
            "daemon._release_client_streams(); print('lost'); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.read() == "summary\n"
        assert child.poll() is None  # still shutting down, yet the reader has its end of file
    finally:
        child.kill()
        child.wait()
