"""Tags mark a command's flow run, not its task runs, which then ask for no concurrency slots."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import get_client, tags
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId
from prefect.concurrency import _sync

from flows.pages import ingest_pages
from mediawatch.demo import render
from mediawatch.settings import load_settings

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_tagged_runs_task_runs_carry_no_tags_and_take_no_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    page = "courier/2026/11/parliament-closes-tiktok-account.html"
    (inbox / "tiktok.html").write_bytes(render(page, "https://courier.example"))
    asked: list[list[str]] = []
    acquire = _sync.acquire_concurrency_slots_with_lease

    def counted(names: list[str], *args: object, **kwargs: object) -> object:
        asked.append(names)
        return acquire(names, *args, **kwargs)

    monkeypatch.setattr(_sync, "acquire_concurrency_slots_with_lease", counted)
    settings = load_settings(warehouse=tmp_path / "w.duckdb")
    with tags("mediawatch", "cli"):
        summary = ingest_pages(directory=str(inbox), settings=settings)
    assert summary.total().new == 1
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(summary.run_id)
        task_runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run.id]))
        )
    assert {"mediawatch", "cli"} <= set(flow_run.tags)  # the UI's filter and the runs' origin
    assert {t.name.partition(" ")[0] for t in task_runs} >= {"extract", "validate", "load"}
    assert [t.tags for t in task_runs] == [[]] * len(task_runs)
    assert asked == []
