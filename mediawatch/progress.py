"""Rich progress bars for long CLI runs, fed by the flows' batch progress in this process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from flows.artifacts import watch_progress


@contextmanager
def progress_bars(console: Console) -> Iterator[None]:
    """Show one bar per running flow (batches done of all) on `console` while the block runs."""
    bars: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:

        def update(flow: str, done: int, total: int, label: str) -> None:
            if flow not in bars:
                bars[flow] = progress.add_task(flow, total=total or None)
            progress.update(
                bars[flow], completed=done, total=total or None, description=f"{flow}: {label}"
            )

        with watch_progress(update):
            yield
