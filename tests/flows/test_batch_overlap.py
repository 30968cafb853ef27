"""Stages overlap: the next batch's extraction starts before the current batch is loaded.

`process_batches` runs its Prefect tasks outside a flow here, with a pool
that records when each batch is handed to it; no flow run is needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.stages import Batch, RunContext, process_batches
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse
from schemas.records import Failure, Page
from transforms.classify import load_taxonomy

pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    # Task logs outside a flow run stay local; Prefect warns that it cannot send them.
    pytest.mark.filterwarnings("ignore:Logger 'prefect.task_runs' attempted:UserWarning"),
]


class RecordingPool:
    """Stands in for ExtractorPool: notes when a batch is started, fails every page."""

    def __init__(self, events: list[tuple[str, str]]) -> None:
        self.events = events

    def map(self, pages: Sequence[Page]) -> Iterator[Failure]:
        self.events.append(("extraction started", pages[0].url))
        return iter(
            [Failure(p.source, p.url, "extract", "no_text", "no article text") for p in pages]
        )


def _context(tmp_path: Path, warehouse: Warehouse, pool: RecordingPool) -> RunContext:
    """A run's context with default settings around the stand-in pool."""
    settings = load_settings(warehouse=tmp_path / "w.duckdb", data_dir=tmp_path)
    return RunContext(
        "run-1",
        settings,
        load_taxonomy(settings.taxonomy),
        warehouse,
        pool,  # type: ignore[arg-type]
    )


def test_next_batch_is_extracting_while_the_current_one_is_loaded(
    tmp_path: Path, memory_warehouse: Warehouse
) -> None:
    events: list[tuple[str, str]] = []
    ctx = _context(tmp_path, memory_warehouse, RecordingPool(events))

    def batches() -> Iterator[Batch]:
        for n in (1, 2, 3):
            events.append(("read", f"batch {n}"))
            page = Page("desk", f"https://news.example/{n}", b"<p>x</p>", datetime.now(UTC))
            yield Batch(f"batch {n}", pages=[page])

    done = []
    for batch, loaded, failures in process_batches(ctx, batches()):
        events.append(("loaded", batch.label))
        done.append((batch.label, batch.pages, [(f.url, f.reason) for f in failures]))
        assert loaded["desk"].failed == 1

    assert events == [
        ("read", "batch 1"),
        ("extraction started", "https://news.example/1"),
        ("read", "batch 2"),
        ("extraction started", "https://news.example/2"),
        ("loaded", "batch 1"),
        ("read", "batch 3"),
        ("extraction started", "https://news.example/3"),
        ("loaded", "batch 2"),
        ("loaded", "batch 3"),
    ]
    # Each batch comes back without its raw pages, with its own extraction failure.
    assert done == [
        (f"batch {n}", (), [(f"https://news.example/{n}", "no_text")]) for n in (1, 2, 3)
    ]
    assert not ctx.validated  # nothing was extracted, so nothing reached the GX gate


class CollectingPool(RecordingPool):
    """A RecordingPool that also notes each page's outcome as the stages collect it."""

    def map(self, pages: Sequence[Page]) -> Iterator[Failure]:
        return self._collected(super().map(pages))  # started now, collected when iterated

    def _collected(self, outcomes: Iterator[Failure]) -> Iterator[Failure]:
        for outcome in outcomes:
            self.events.append(("collected", outcome.url))
            yield outcome


def test_the_pool_has_the_next_batch_before_the_current_one_is_collected(
    tmp_path: Path, memory_warehouse: Warehouse
) -> None:
    """The workers go on to batch k+1 at once: its pages are queued before k's last result."""
    events: list[tuple[str, str]] = []
    ctx = _context(tmp_path, memory_warehouse, CollectingPool(events))
    when = datetime.now(UTC)
    batches = [
        Batch(
            f"batch {n}",
            pages=[
                Page("desk", f"https://news.example/{n}/{i}", b"<p>x</p>", when) for i in (1, 2)
            ],
        )
        for n in (1, 2)
    ]

    loaded = [batch.label for batch, _, _ in process_batches(ctx, iter(batches))]

    assert loaded == ["batch 1", "batch 2"]
    assert events == [
        ("extraction started", "https://news.example/1/1"),
        ("extraction started", "https://news.example/2/1"),
        ("collected", "https://news.example/1/1"),
        ("collected", "https://news.example/1/2"),
        ("collected", "https://news.example/2/1"),
        ("collected", "https://news.example/2/2"),
    ]
