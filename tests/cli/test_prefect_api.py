"""The CLI's Prefect session: a temporary API started first, beside the warm-up, then stopped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_ENABLED,
    get_current_settings,
    temporary_settings,
)

import mediawatch.prefect_api
from mediawatch.prefect_api import PrefectAPIUnavailable, cli_session, uses_temporary_server

SAVED = Path(__file__).parents[1] / "fixtures" / "saved"
MEDIAWATCH = str(Path(sys.executable).with_name("mediawatch"))
TEMPORARY = {PREFECT_API_URL: None, PREFECT_SERVER_EPHEMERAL_ENABLED: True}
pytestmark = pytest.mark.slow


class FakeServer:
    """Records when it was started and waited for, instead of running Prefect's server."""

    def __init__(self, steps: list[str], fail: bool = False) -> None:
        self.steps, self.fail = steps, fail
        self.url = "http://127.0.0.1:9/api"
        steps.append("start")

    def wait(self) -> None:
        self.steps.append("wait")
        if self.fail:
            raise PrefectAPIUnavailable("the temporary Prefect API server exited with code 1")


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The session's steps, in order, with a fake server and warm-up (the env is restored)."""
    done: list[str] = []
    monkeypatch.delenv("PREFECT_API_URL", raising=False)  # restored after the test
    monkeypatch.setattr(mediawatch.prefect_api, "refresh_global_settings_context", lambda: None)
    monkeypatch.setattr(mediawatch.prefect_api, "warm_up", lambda: done.append("warm-up"))
    return done


def test_the_api_starts_before_the_warm_up_and_runs_skip_heartbeats(
    steps: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mediawatch.prefect_api, "TemporaryServer", lambda: FakeServer(steps))
    with temporary_settings(updates=TEMPORARY):
        assert uses_temporary_server()
        with cli_session():
            steps.append("flow")
            settings = get_current_settings()
            assert (settings.flows.heartbeat_frequency, settings.ui_url) == (None, "")
            assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:9/api"
        assert get_current_settings().flows.heartbeat_frequency is not None
    assert steps == ["start", "warm-up", "wait", "flow"]


def test_a_server_that_cannot_start_stops_the_command(
    steps: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        mediawatch.prefect_api, "TemporaryServer", lambda: FakeServer(steps, fail=True)
    )
    refused = pytest.raises(PrefectAPIUnavailable, match="exited with code 1")
    with temporary_settings(updates=TEMPORARY), refused, cli_session():
        steps.append("flow")
    assert steps == ["start", "warm-up", "wait"]


def test_a_configured_api_is_used_as_it_is(steps: list[str]) -> None:
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        assert not uses_temporary_server()
        heartbeat = get_current_settings().flows.heartbeat_frequency
        with cli_session():
            assert get_current_settings().flows.heartbeat_frequency == heartbeat
    assert steps == []


@pytest.fixture
def busy_cpus() -> Iterator[None]:
    """All cores but one kept busy by a spinning process for the test, as other jobs would
    (all of them would make this one test take minutes on a shared 2-core machine)."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(max(1, (os.cpu_count() or 2) - 1))
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


@pytest.mark.usefixtures("busy_cpus")
def test_a_command_starts_its_own_api_and_leaves_nothing_running(tmp_path: Path) -> None:
    """The real thing, as a user runs it: no PREFECT_API_URL, a fresh Prefect home, no
    `mediawatch server` (a fresh folder), and every core busy with other work."""
    folder = tmp_path / "saved"
    shutil.copytree(SAVED, folder)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    warehouse = tmp_path / "w.duckdb"
    done = subprocess.run(
        [MEDIAWATCH, "--warehouse", str(warehouse), "pages", str(folder), "--json"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert sum(source["new"] for source in summary["sources"]) > 0
    assert "Traceback" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    assert "View at" not in done.stderr
    assert _processes_with(f"PREFECT_HOME={environment['PREFECT_HOME']}") == []


def _processes_with(variable: str) -> list[int]:
    """Running processes whose environment holds `variable` (the server would inherit it)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if variable.encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_a_server_left_by_a_dead_process_is_stopped_and_a_live_ones_kept(tmp_path: Path) -> None:
    """What a crash on a system without the parent-death signal could leave: stopped, logged."""
    from prefect.settings import PREFECT_HOME

    from mediawatch.prefect_api import stop_leftover_servers

    dead = subprocess.Popen(["true"])
    dead.wait()
    sleeper = [
        sys.executable,
        "-c",
        "import time; time.sleep(60)",
        "prefect.server.api.server:create_app",
    ]
    leftover, kept = subprocess.Popen(sleeper), subprocess.Popen(sleeper)
    folder = tmp_path / "mediawatch-temporary-servers"
    folder.mkdir()
    for server, parent in ((leftover, dead.pid), (kept, os.getpid())):
        (folder / f"{server.pid}.json").write_text(
            json.dumps({"server": server.pid, "parent": parent}), "utf-8"
        )
    try:
        with temporary_settings(updates={PREFECT_HOME: tmp_path}):
            stopped = stop_leftover_servers()
        assert stopped == [leftover.pid]
        assert leftover.wait(timeout=10) == -15
        assert kept.poll() is None
        assert sorted(p.name for p in folder.iterdir()) == [f"{kept.pid}.json"]
    finally:
        for process in (leftover, kept):
            process.kill()
            process.wait()
