"""What a run shows in the Prefect UI besides its logs: artifacts, and progress while it runs.

Every pipeline run publishes, under keys named for its flow (so the UI's
Artifacts page keeps their history): a table of per-source counts, a Markdown
summary (topics, quarantine reasons, failures, alerts) and a link to the
Great Expectations Data Docs. `RunProgress` keeps a progress artifact up to
date batch by batch and tells local listeners (the CLI's progress bars).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from mediawatch.reports import quarantine_reasons, run_topics
from mediawatch.settings import Settings
from mediawatch.warehouse import Warehouse
from schemas.records import RunSummary
from transforms.reports import run_markdown, source_table

DATA_DOCS_INDEX = Path("data_docs") / "index.html"
"""Where the GX Data Docs site's index is expected, under the data folder."""

ProgressListener = Callable[[str, int, int, str], None]
"""Called with (flow, batches done, batches in all, label of the batch just done)."""

_listeners: list[ProgressListener] = []


@contextmanager
def watch_progress(listener: ProgressListener) -> Iterator[None]:
    """Tell `listener` about every batch finished by flows run in this process meanwhile."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


class RunProgress:
    """Progress of one run in batches: a Prefect progress artifact plus local listeners."""

    def __init__(self, flow: str) -> None:
        self.flow = flow
        self.total = 0
        self.done = 0
        self._artifact_id = None

    def start(self, total: int) -> None:
        """Announce how many batches the run has; creates the progress artifact at 0%."""
        self.total, self.done = total, 0
        self._artifact_id = create_progress_artifact(
            0.0, key=f"{self.flow}-progress", description=f"{self.flow}: batches done"
        )
        self._tell("starting")

    def advance(self, label: str) -> None:
        """Mark one more batch done; without `start` only listeners hear of it."""
        self.done += 1
        if self._artifact_id is not None and self.total:
            update_progress_artifact(self._artifact_id, min(100.0, 100.0 * self.done / self.total))
        self._tell(label)

    def _tell(self, label: str) -> None:
        for listener in list(_listeners):
            listener(self.flow, self.done, self.total, label)


def data_docs_index(settings: Settings) -> Path:
    """The absolute path of the Data Docs index for these settings."""
    return (settings.data_dir / DATA_DOCS_INDEX).resolve()


def publish_run_artifacts(
    settings: Settings,
    warehouse: Warehouse,
    summary: RunSummary,
    alerts: list[tuple[str, int, int]],
) -> None:
    """Create the table, Markdown and Data Docs link artifacts of a finished run.

    The warehouse is asked for the run's topics and quarantine reasons only
    when the run loaded or quarantined something: otherwise there are none.
    """
    flow = summary.flow
    total = summary.total()
    topics = run_topics(warehouse, summary.run_id) if total.new or total.updated else []
    reasons = quarantine_reasons(warehouse, summary.run_id) if total.quarantined else []
    create_table_artifact(
        source_table(summary),
        key=f"{flow}-source-counts",
        description=f"{flow}: per-source counts of run {summary.run_id}",
    )
    create_markdown_artifact(
        run_markdown(summary, topics, reasons, alerts),
        key=f"{flow}-summary",
        description=f"{flow}: topics, quarantine reasons and failures of run {summary.run_id}",
    )
    index = data_docs_index(settings)
    create_link_artifact(
        index.as_uri(),
        link_text="Great Expectations Data Docs",
        key="gx-data-docs",
        description="Validation results of every batch"
        + ("" if index.exists() else f" (not built yet at {index})"),
    )
