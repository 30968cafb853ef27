"""`mediawatch server`: a lasting local Prefect server that commands find and report to,
`serve` refusing to run without a scheduler or over a worker's deployments, and a summary
whose paths and URLs stay on one line in a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.settings import PREFECT_API_URL, temporary_settings

from mediawatch import local_server
from mediawatch.cli import _print_summary
from mediawatch.settings import Settings, load_settings
from schemas.records import RunSummary, SourceCounts

MEDIAWATCH = str(Path(sys.executable).with_name("mediawatch"))
SAVED = Path(__file__).parents[1] / "fixtures" / "saved"
Running = tuple[Path, Settings, local_server.ServerState]


def _config(folder: Path, port: int) -> Path:
    config = folder / "mediawatch.yaml"
    config.write_text(
        f"data_dir: {folder / 'data'}\nwarehouse: {folder / 'data' / 'w.duckdb'}\n"
        f"server:\n  port: {port}\n",
        encoding="utf-8",
    )
    return config


@contextmanager
def _client(state: local_server.ServerState) -> Iterator[SyncPrefectClient]:
    with temporary_settings({PREFECT_API_URL: state.api_url}), get_client(sync_client=True) as c:
        yield c


def _mediawatch(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: no PREFECT_API_URL, its own Prefect home."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment["PREFECT_HOME"] = str(home)
    return subprocess.run(
        [MEDIAWATCH, *args],
        check=False,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A local server started by the command, stopped (and checked gone) after the module."""
    folder = tmp_path_factory.mktemp("local-server")
    config = _config(folder, local_server._free_port("127.0.0.1"))
    settings = load_settings(config)
    started = _mediawatch("server", "start", "-c", str(config), home=folder / "home")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        state = local_server.read_state(settings)
        assert state is not None
        yield config, settings, state
    finally:
        state = local_server.read_state(settings)
        stopped = _mediawatch("server", "stop", "-c", str(config), home=folder / "home")
        assert stopped.returncode == 0, stopped.stderr
        assert state is not None and not local_server._alive(state.pid)
        assert local_server.read_state(settings) is None


def test_start_records_the_server_in_the_data_folder(running: Running) -> None:
    config, settings, state = running
    folder = settings.data_dir / "prefect"
    assert {"server.json", "server.log", "prefect.db"} <= {p.name for p in folder.iterdir()}
    assert state.database == "sqlite"
    assert local_server.running_api_url(settings) == state.api_url
    status = _mediawatch("server", "status", "-c", str(config), home=folder / "home")
    assert status.returncode == 0
    assert f"UI:  {state.ui_url}" in status.stdout
    again = _mediawatch("server", "start", "-c", str(config), home=folder / "home")
    assert again.returncode == 0 and local_server.read_state(settings) == state


def test_a_command_reports_its_run_to_the_running_server(running: Running, tmp_path: Path) -> None:
    config, settings, state = running
    done = _mediawatch("pages", str(SAVED), "-c", str(config), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    *_, warehouse_line, ui_line = done.stdout.strip().splitlines()
    assert warehouse_line == f"Warehouse: {settings.warehouse}"
    run_url = ui_line.rpartition("this run: ")[2].rstrip(")")
    assert run_url.startswith(f"{state.ui_url}/runs/flow-run/")
    run_id = run_url.rpartition("/")[2]
    with _client(state) as client:
        flow_run = client.read_flow_run(run_id)
        assert flow_run.state is not None and flow_run.state.is_completed()
        assert {"mediawatch", "cli"} <= set(flow_run.tags)
        task_names = {t.name for t in client.read_task_runs()}
    assert any(name.startswith("extract [") for name in task_names), task_names
    # The temporary API was not started: its server would have inherited this home.
    assert not (tmp_path / "home" / "prefect.db").exists()


def test_serve_refuses_to_replace_a_workers_deployments(running: Running, tmp_path: Path) -> None:
    config, _, state = running
    with _client(state) as client:
        client.create_work_pool(WorkPoolCreate(name="mediawatch", type="process"))
        from flows.reclassify import reclassify

        flow_id = client.create_flow(reclassify)
        client.create_deployment(flow_id, "reclassify", work_pool_name="mediawatch")
    refused = _mediawatch("serve", "-c", str(config), home=tmp_path / "home")
    assert refused.returncode == 1
    assert "reclassify/reclassify already exist as worker deployments" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_serve_without_a_server_says_what_to_run(tmp_path: Path) -> None:
    """The temporary API runs no scheduler: `serve` on it would never run a scheduled flow."""
    config = _config(tmp_path, 9)
    refused = _mediawatch("serve", "-c", str(config), home=tmp_path / "home")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: `serve` needs a Prefect server")
    assert "mediawatch server start" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_stale_record_is_dropped(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, 9))
    record = settings.data_dir / "prefect" / "server.json"
    record.parent.mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    record.write_text(
        json.dumps({"pid": gone.pid, "host": "127.0.0.1", "port": 9, "database": "sqlite"}),
        encoding="utf-8",
    )
    assert local_server.read_state(settings) is None
    assert local_server.running_api_url(settings) is None
    assert not record.exists()


def test_summary_never_wraps_paths_or_urls_in_a_pipe(capsys: pytest.CaptureFixture[str]) -> None:
    deep = "/srv/" + "/".join(["a-rather-long-folder-name"] * 6) + "/warehouse.duckdb"
    summary = RunSummary(
        "f" * 36, "pages", deep, sources=[SourceCounts("saved", items_seen=1, skipped=1)]
    )
    _print_summary(summary, quiet=False, as_json=False, ui_url="http://127.0.0.1:4200")
    lines = capsys.readouterr().out.splitlines()
    assert f"Warehouse: {deep}" in lines
    assert "1 item skipped: quarantined or failed for good in an" in " ".join(lines)
    run_line = f"http://127.0.0.1:4200/runs/flow-run/{'f' * 36})"
    assert any(line.endswith(run_line) for line in lines), lines
