"""What every flow run does around its stages: settings, taxonomy, run record, summary.

`pipeline_run` loads and validates everything that can be checked before any
write (settings, taxonomy, alert topics), records the run in the warehouse
(holding a run lock that says it is alive, and clearing what crashed runs
left: `recover`), loads the batches earlier runs spooled, relabels the warehouse when a
migration asked for it (`flows/relabel.py`), and on the way out stores the counts,
delivers topic alerts, publishes the run's artifacts (`flows/artifacts.py`)
and its GX Data Docs, prunes what the retention settings no longer keep
(`flows/retention.py`), fails the run when too much was quarantined, and marks
a crashed run as failed. What has nothing to do is skipped, so that a run
with nothing new stays cheap: no spool task without spool files, no Data Docs
without a validated batch, no alert task without subscriptions.

The run's task runs carry no tags: the command line's tags (`mediawatch`,
`cli`) mark the flow run, where the UI filters on them. A tagged task run
asks the API for tag concurrency slots as it starts, whether or not a limit
exists (Prefect issue #19367): a call per task run, for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from prefect import get_run_logger
from prefect.context import TagsContext
from prefect.runtime import flow_run
from prefect.utilities.annotations import opaque

from flows.alerts import send_alerts
from flows.artifacts import RunProgress, publish_run_artifacts
from flows.relabel import relabel_if_requested
from flows.retention import prune_old_data
from flows.stages import RunContext, load_spool, spool_dir
from mediawatch import data_docs
from mediawatch.errors import MediawatchError
from mediawatch.lake_target import without_passwords
from mediawatch.learned import saved_model
from mediawatch.preflight import checked_taxonomy
from mediawatch.settings import Settings, load_settings
from mediawatch.spool import clear_partial, pending
from mediawatch.warehouse import Warehouse
from mediawatch.write_slot import WriterLock, run_alive, runs_folder, still_running
from schemas.records import RunSummary
from transforms.extract import ExtractorPool
from transforms.prepare import Preparer


class QuarantineThresholdExceeded(MediawatchError):
    """More of the run's articles failed validation than the configured share allows."""


def build_data_docs(settings: Settings, run_id: str) -> None:
    """Render the run's GX Data Docs into the data folder; a failure is only a warning."""
    logger = get_run_logger()
    try:
        index = data_docs.build(settings.data_dir, run_id)
    except data_docs.DataDocsError as exc:
        logger.warning("%s", exc)
        return
    logger.info("validation results: %s", index.resolve().as_uri())


def run_name(flow: str) -> Callable[[], str]:
    """A flow-run name that says what ran and when, e.g. `ingest 2026-11-24 14:15`."""

    def name() -> str:
        started = flow_run.get_scheduled_start_time() or datetime.now()
        return f"{flow} {started:%Y-%m-%d %H:%M}"

    return name


@contextmanager
def pipeline_run(
    flow: str,
    config: str | None,
    settings: Settings | None,
    *,
    sources: Sequence[tuple[str, str, str]] | None = None,
) -> Iterator[tuple[RunContext, RunSummary]]:
    """Set up one run and record its outcome; its task runs have no tags (module docstring).

    `sources` are the (name, kind, url) rows the run reads from; by default
    the configured feeds.
    """
    with TagsContext(current_tags=set()), _recorded_run(flow, config, settings, sources) as run:
        yield run


@contextmanager
def _recorded_run(
    flow: str,
    config: str | None,
    settings: Settings | None,
    sources: Sequence[tuple[str, str, str]] | None,
) -> Iterator[tuple[RunContext, RunSummary]]:
    """The body of `pipeline_run`: from the run's record to its artifacts and quarantine check."""
    logger = get_run_logger()
    settings = settings or load_settings(Path(config) if config else None)
    taxonomy = checked_taxonomy(settings)
    model = saved_model(settings.taxonomy)
    run_id = str(flow_run.get_id())
    warehouse = Warehouse(
        settings.warehouse,
        lock_attempts=settings.load.lock_attempts,
        lock_backoff=settings.load.lock_backoff,
        write_lock=WriterLock.beside(
            settings.warehouse_file, settings.load.lock_timeout, run_id, flow
        ),
        config=settings.duckdb_config,
    )
    if sources is None:
        sources = [(s.name, "feed", s.url) for s in settings.sources]
    with run_alive(runs_folder(settings.warehouse_file), run_id):
        recover(settings, warehouse, run_id, flow, sources)
        relabel_if_requested(warehouse, taxonomy, run_id, model)
        shown = without_passwords(str(settings.warehouse))
        summary = RunSummary(run_id=run_id, flow=flow, warehouse=shown)
        ctx: RunContext | None = None
        try:
            stories = settings.stories
            preparer = Preparer(taxonomy, stories.num_perm, stories.shingle_words)
            with ExtractorPool(settings.extract.workers, preparer) as pool:
                ctx = RunContext(
                    run_id,
                    settings,
                    taxonomy,
                    warehouse,
                    pool,
                    RunProgress(flow),
                    summary.timings,
                    model,
                )
                yield ctx, summary
        except BaseException:
            warehouse.finish_run(run_id, "failed", asdict(summary.total()))
            publish_run_artifacts(settings, warehouse, summary, [])
            if ctx is not None and ctx.validated:
                build_data_docs(settings, run_id)
            raise
        total = summary.total()
        warehouse.finish_run(run_id, "completed", asdict(total))
    if ctx.validated:
        build_data_docs(settings, run_id)
    alerts = send_alerts(opaque(ctx)).rows() if settings.alerts else []
    publish_run_artifacts(settings, warehouse, summary, alerts)
    if settings.retention.after_runs and settings.retention.configured:
        prune_old_data(opaque(settings), warehouse)
    logger.info(
        "%s: %d new, %d updated, %d unchanged, %d quarantined, %d failed, %d deferred",
        flow,
        total.new,
        total.updated,
        total.unchanged,
        total.quarantined,
        total.failed,
        total.deferred,
    )
    share = total.quarantine_share
    if share > settings.limits.quarantine_threshold:
        raise QuarantineThresholdExceeded(
            f"{share:.0%} of this run's articles were quarantined "
            f"(limit {settings.limits.quarantine_threshold:.0%}): see the quarantine table"
        )


def recover(
    settings: Settings,
    warehouse: Warehouse,
    run_id: str,
    flow: str,
    sources: Sequence[tuple[str, str, str]],
) -> None:
    """Record the run's start, clearing what crashed runs left, then load their spooled batches.

    Runs recorded as running whose process is gone are marked crashed, and
    spool files a crash left half-written are removed; each is logged. (The
    writer lock itself cannot be left held: see `mediawatch.write_slot`.)
    """
    logger = get_run_logger()
    folder = runs_folder(settings.warehouse_file)

    def alive(other: str) -> bool:
        return other == run_id or still_running(folder, other)

    crashed = warehouse.start_run(run_id, flow, sources, alive=alive)
    if crashed:
        logger.warning(
            "marked %d runs that ended without finishing as crashed: %s",
            len(crashed),
            ", ".join(crashed),
        )
    for partial in clear_partial(spool_dir(settings), alive):
        logger.warning("removed a spool file a crash left half-written: %s", partial)
    if pending(spool_dir(settings)):
        load_spool(warehouse, opaque(settings), run_id)
