"""`mediawatch server`: a lasting local Prefect server that commands find and report to,
`serve` refusing to run without a scheduler or over a worker's deployments, a summary
whose paths and URLs stay on one line in a pipe, and the UI's pages as a browser shows them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from lxml import html
from PIL import Image
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.settings import PREFECT_API_URL, temporary_settings

from mediawatch import daemon, local_server, ui_pages
from mediawatch.cli import _print_summary
from mediawatch.deployments import show_deployments
from mediawatch.lifetime import alive, runs
from mediawatch.settings import Settings, load_settings
from schemas.records import RunSummary, SourceCounts

MEDIAWATCH = str(Path(sys.executable).with_name("mediawatch"))
SAVED = Path(__file__).parents[1] / "fixtures" / "saved"
Running = tuple[Path, Settings, local_server.ServerState]
pytestmark = pytest.mark.slow


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
    command_daemon = None
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        state = local_server.read_state(settings)
        assert state is not None
        command_daemon = daemon.running_pid(local_server.server_folder(settings))
        assert command_daemon is not None and "Command daemon: pid" in started.stdout
        yield config, settings, state
    finally:
        state = local_server.read_state(settings)
        stopped = _mediawatch("server", "stop", "-c", str(config), home=folder / "home")
        assert stopped.returncode == 0, stopped.stderr
        assert state is not None and not runs(state.pid, b"prefect")
        assert local_server.read_state(settings) is None
        assert daemon.running_pid(local_server.server_folder(settings)) is None
        assert command_daemon is not None and not alive(command_daemon)


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


BROWSER = ui_pages.find_browser()
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium or Chrome on PATH (Debian: apt-get install chromium): "
    "the Prefect UI's pages cannot be opened",
)
Shown = dict[str, "tuple[ui_pages.Page, html.HtmlElement]"]  # page name: (page, rendered DOM)


def ui_test(test: Callable[..., None]) -> Callable[..., None]:
    """A test of the UI's pages: skipped without a browser; a demo, a digest and 8 pages to open
    take about a minute, and over three at a load average of 25 on 2 cores."""
    return pytest.mark.timeout(600)(needs_browser(test))


@pytest.fixture(scope="module")
def shown(running: Running) -> tuple[str, Shown]:
    """What `make screenshots` opens, after a demo run and a digest: run id and each page."""
    config, _, state = running
    home = config.parent / "home"
    demo = _mediawatch("demo", "--json", "-c", str(config), home=home)
    assert demo.returncode == 0, demo.stderr[-2000:]
    digest = _mediawatch("digest", "--days", "1", "-c", str(config), home=home)
    assert digest.returncode == 0, digest.stderr[-2000:]
    assert "ingest/poll-feeds" in show_deployments(state.api_url)
    pages = ui_pages.latest_pages(state.api_url)
    assert BROWSER is not None
    with ThreadPoolExecutor(2) as pool:
        trees = pool.map(lambda page: ui_pages.rendered(BROWSER, page), pages)
        rendered = {page.name: (page, tree) for page, tree in zip(pages, trees, strict=True)}
    return json.loads(demo.stdout)["run_id"], rendered


def _text(shown: tuple[str, Shown], page: str) -> str:
    return ui_pages.visible_text(shown[1][page][1])


@ui_test
def test_the_run_page_shows_the_run_and_its_task_runs(shown: tuple[str, Shown]) -> None:
    run_id, pages = shown
    assert pages["run"][0].url.endswith(f"/v2/runs/flow-run/{run_id}")
    run, tasks = _text(shown, "run"), _text(shown, "run-task-runs")
    assert "ingest 20" in run and "Completed" in run
    assert "Beginning flow run" in run and "northern-courier: 12 items in" in run  # its logs
    assert "7 Task runs (7 Completed)" in tasks
    batch = "[batch 1/1: northern-courier, tech-ledger, market-wire (32 items)]"
    for stage in ("fetch-pages", "extract", "classify", "validate", "load"):
        assert f"{stage} {batch}" in tasks
    assert "poll-feeds" in tasks


@ui_test
def test_the_run_artifacts_show_their_table_and_markdown(shown: tuple[str, Shown]) -> None:
    listed = _text(shown, "run-artifacts")
    assert "TABLE ingest-source-counts" in listed and "MARKDOWN ingest-summary" in listed
    table = shown[1]["artifact-table"][1]
    header = [cell.text_content().strip() for cell in table.xpath("//table//th")]
    assert header[:3] == ["source", "polled", "new"]
    rows = [
        [cell.text_content().strip() for cell in row.xpath("./td")]
        for row in table.xpath("//table//tr[td]")
    ]
    assert rows[1][:3] == ["tech-ledger", "10", "10"] and rows[-1][:3] == ["total", "32", "30"]
    summary = _text(shown, "artifact-markdown")
    assert "30 new, 0 updated, 0 unchanged, 1 quarantined, 1 failed (from 3 sources)" in summary
    assert shown[1]["artifact-markdown"][1].xpath("//h2[normalize-space()='Topics']")


@ui_test
def test_the_digest_page_shows_its_chart(shown: tuple[str, Shown]) -> None:
    digest = shown[1]["digest"][1]
    [chart] = digest.xpath("//img[@alt='articles per topic']")
    assert chart.get("src", "").startswith("data:image/png;base64,")
    text = ui_pages.visible_text(digest)  # the demo's 30, and what other tests here ingested
    assert re.search(r"Top sources source new articles market-wire 10 ", text), text[:3000]


@ui_test
def test_the_deployments_show_with_their_schedules(
    running: Running, shown: tuple[str, Shown]
) -> None:
    """Registered paused: the UI lists them, and the scheduler makes no run nobody would take."""
    with _client(running[2]) as client:
        feeds = client.read_deployment_by_name("ingest/poll-feeds")
    assert feeds.paused and [s.schedule.cron for s in feeds.schedules] == ["*/15 * * * *"]
    listed = _text(shown, "deployments")
    for name in ("poll-feeds", "ingest-saved-pages", "daily-digest", "reprocess"):
        assert name in listed
    assert "At 08:00 AM" in listed  # daily-digest's cron, as the list shows it
    assert "Every 15 minutes" in _text(shown, "deployment-poll-feeds")


@ui_test
def test_a_screenshot_is_a_small_png_of_the_window(
    shown: tuple[str, Shown], tmp_path: Path
) -> None:
    assert BROWSER is not None
    saved = ui_pages.screenshot(BROWSER, shown[1]["deployments"][0], tmp_path / "d.png")
    with Image.open(saved) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (1280, 900), "P")
    assert saved.stat().st_size < 150_000
