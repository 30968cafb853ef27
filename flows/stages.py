"""The stages every flow shares once raw documents are in hand.

extract -> classify -> validate -> stories -> load, each a Prefect task per
batch (never per article), chained by `process_batches`, which queues the
next batch's pages in the process pool before the current batch's extraction
is collected, so the workers go on to it at once while the main process
classifies, validates and loads the current one. A flow builds one
`RunContext` and hands it every batch.

Batches and the context go to tasks wrapped in `opaque`: Prefect then links
the task to the one that produced the value without walking every article,
topic and evidence span for futures (5 CPU-seconds per 1,000 articles).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import opaque

from flows.artifacts import RunProgress
from flows.stories import assign_stories, group_stories, story_index
from mediawatch import data_docs
from mediawatch.archive import WarcArchive
from mediawatch.errors import WarehouseLocked
from mediawatch.memory import release_free_memory
from mediawatch.prefect_api import warm_up_in_background
from mediawatch.settings import Settings
from mediawatch.spool import (
    CorruptSpool,
    ValidatedBatch,
    load_validated,
    pending,
    read_spool,
    set_aside,
    write_spool,
)
from mediawatch.warehouse import Warehouse, tally_rejects
from schemas.records import Article, Failure, Page, SourceCounts, StorySignature
from transforms.classify import Taxonomy, with_learned
from transforms.extract import ExtractorPool
from transforms.prepare import Prepared, rule_labels
from transforms.stories import StoryIndex, StoryPrint
from transforms.validate import ValidationReport, validate_articles

if TYPE_CHECKING:  # scikit-learn loads only when a model is saved beside the taxonomy
    from transforms.topic_model import TopicModel


@dataclass(slots=True)
class RunContext:
    """What every batch of one run needs: settings, taxonomy (and model), warehouse, pool."""

    run_id: str
    settings: Settings
    taxonomy: Taxonomy
    warehouse: Warehouse
    pool: ExtractorPool
    progress: RunProgress | None = None
    timings: dict[str, float] = field(default_factory=dict)  # the run summary's, by stage
    model: TopicModel | None = None  # the learned stage saved beside the taxonomy, if any
    archive: WarcArchive = field(init=False)
    stories: StoryIndex | None = field(default=None, init=False)  # loaded by the first batch

    def __post_init__(self) -> None:
        self.archive = WarcArchive(
            self.settings.archive_dir,
            roll_bytes=self.settings.archive.roll_bytes,
            user_agent=self.settings.http.user_agent,
        )

    @property
    def validated(self) -> bool:
        """Whether a batch of this run went through the GX gate (so it has Data Docs to build).

        Read from the shared timings, so copies of the context (fallbacks) count too.
        """
        return "validate" in self.timings

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the wall time of the block to the stage's total: where a run's time goes."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def log_failures(failures: Sequence[Failure]) -> None:
    """Log each failure once, naming its source, as a warning: the run goes on."""
    logger = get_run_logger()
    for failure in failures:
        logger.warning(
            "%s: %s failed (%s): %s", failure.source, failure.stage, failure.reason, failure.message
        )


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch of input for the stages: pages to extract, ready articles, failures so far."""

    label: str
    pages: Sequence[Page] = ()
    articles: Sequence[Article] = ()
    failures: Sequence[Failure] = ()


@task(name="extract", task_run_name="extract [{label}]", cache_policy=NO_CACHE)
def extract_batch(
    outcomes: Iterable[Article | Prepared | Failure], label: str
) -> tuple[list[Article | Prepared], list[Failure]]:
    """Collect a batch's extracted (and prepared) articles and failures from the pool.

    The pool's workers label each article by the rules and make its story
    print beside extracting it (`transforms.prepare`), so this stage's time
    includes that work.
    """
    articles: list[Article | Prepared] = []
    failures: list[Failure] = []
    for outcome in outcomes:
        (failures if isinstance(outcome, Failure) else articles).append(outcome)
    log_failures(failures)
    return articles, failures


@task(name="classify", task_run_name="classify [{label}]", cache_policy=NO_CACHE)
def classify_batch(
    articles: Sequence[Article | Prepared],
    taxonomy: Taxonomy,
    label: str,
    model: TopicModel | None = None,
) -> list[Article]:
    """Label each article with the taxonomy's topics and their evidence, then the model's.

    A prepared article was labelled by the rules in the extraction worker;
    any other is labelled here. With a learned stage the whole batch goes
    through it in one pass; its labels the rules did not give are added with
    `method = 'model'`.
    """
    labelled = [
        item.article
        if isinstance(item, Prepared)
        else replace(item, topics=rule_labels(taxonomy, item))
        for item in articles
    ]
    if model is None:
        return labelled
    learned = model.classify_many([(article.title or "", article.body) for article in labelled])
    return [
        replace(article, topics=with_learned(article.topics, topics))
        for article, topics in zip(labelled, learned, strict=True)
    ]


@task(name="validate", task_run_name="validate [{label}]", cache_policy=NO_CACHE)
def validate_batch(
    articles: Sequence[Article], taxonomy: Taxonomy, min_body_chars: int, label: str
) -> ValidationReport:
    """Run the Great Expectations gate; failing rows become quarantine records."""
    report = validate_articles(
        articles, known_labels=taxonomy.labels, now=datetime.now(UTC), min_body_chars=min_body_chars
    )
    logger = get_run_logger()
    for record in report.quarantined:
        logger.warning(
            "%s: quarantined %s: failed %s",
            record.article.source,
            record.article.url,
            ", ".join(record.failed_expectations),
        )
    return report


def spool_dir(settings: Settings) -> Path:
    """Where batches the warehouse could not take wait for the next run: next to the file."""
    return settings.warehouse_file.parent / "spool"


def _log_loaded(label: str, counts: dict[str, SourceCounts]) -> None:
    get_run_logger().info(
        "loaded %s: %s",
        label,
        ", ".join(f"{c.source} +{c.new} ~{c.updated} ={c.unchanged}" for c in counts.values()),
    )


@task(name="load", task_run_name="load [{label}]", cache_policy=NO_CACHE)
def load_batch(
    ctx: RunContext,
    report: ValidationReport,
    failures: Sequence[Failure],
    signatures: Sequence[StorySignature] | None,
    label: str,
) -> dict[str, SourceCounts]:
    """Load the valid articles and their story signatures, the rejects and validation results.

    One transaction, so a crash keeps the whole batch or none of it. The
    warehouse retries a locked file with backoff; if it stays locked, the
    batch is spooled to the data folder for the next run, and its articles
    are counted as deferred next to the quarantined and failed counts. A
    batch not grouped into stories (`signatures` None) is spooled at once.
    """
    logger = get_run_logger()
    batch = ValidatedBatch(
        run_id=ctx.run_id,
        batch=label,
        taxonomy_version=ctx.taxonomy.version,
        validated_at=datetime.now(UTC),
        articles=list(report.valid),
        quarantined=list(report.quarantined),
        failures=list(failures),
        outcomes=list(report.outcomes),
        signatures=list(signatures or []),
        grouped=signatures is not None,
    )
    try:
        data_docs.store_results(
            ctx.settings.data_dir, ctx.run_id, label, report.results, batch.validated_at
        )
    except data_docs.DataDocsError as exc:
        logger.warning("%s: Data Docs: %s", label, exc)
    try:
        if not batch.grouped:
            raise WarehouseLocked("the story index could not be read")
        counts = load_validated(ctx.warehouse, batch)
    except WarehouseLocked as exc:
        path = write_spool(spool_dir(ctx.settings), batch)
        logger.warning("%s: %s; batch spooled to %s, the next run loads it first", label, exc, path)
        counts = tally_rejects(batch.quarantined, batch.failures)
        for article in batch.articles:
            counts.setdefault(article.source, SourceCounts(source=article.source)).deferred += 1
        return counts
    _log_loaded(label, counts)
    return counts


@task(name="load-spool", task_run_name="load-spool", cache_policy=NO_CACHE)
def load_spool(warehouse: Warehouse, settings: Settings, run_id: str) -> int:
    """Load the batches earlier runs spooled, oldest first, before anything new; return how many.

    A batch spooled before story grouping is grouped first, against every
    stored signature. Each file is deleted once its batch is in. A file that does not decode is
    moved to `spool/corrupt/`, reported as a failure of this run, and kept.
    If the warehouse is locked again, the rest stay for the next run.
    """
    logger = get_run_logger()
    loaded = 0
    index: StoryIndex | None = None  # for batches spooled before story grouping
    for path in pending(spool_dir(settings)):
        try:
            batch = read_spool(path)
        except CorruptSpool as exc:
            kept = set_aside(path)
            logger.error("%s; not loaded, kept as %s", exc, kept)
            warehouse.load(
                run_id,
                failures=[Failure("spool", str(kept), "load", "corrupt_spool", str(exc))],
                articles=[],
                taxonomy_version="",
            )
            continue
        try:
            if not batch.grouped:
                remade: list[StorySignature] = []
                if index is None:
                    index, remade = story_index(settings.stories, warehouse)
                articles, signatures = assign_stories(index, batch.articles)
                signatures = [*remade, *signatures]
                batch = replace(batch, articles=articles, signatures=signatures, grouped=True)
            counts = load_validated(warehouse, batch)
        except WarehouseLocked as exc:
            logger.warning("spooled batches wait for the next run: %s", exc)
            break
        path.unlink()
        loaded += 1
        _log_loaded(f"spooled {batch.batch} of run {batch.run_id}", counts)
    return loaded


@task(name="rewrite", task_run_name="rewrite [{label}]", cache_policy=NO_CACHE)
def rewrite_batch(
    ctx: RunContext,
    report: ValidationReport,
    failures: Sequence[Failure],
    signatures: Sequence[StorySignature] | None,
    label: str,
) -> dict[str, SourceCounts]:
    """Store re-derived articles where they differ (reprocess); rejects are recorded, rows kept.

    Reprocessing needs the warehouse throughout: a batch whose story index
    could not be read fails like any other write to a held file.
    """
    if signatures is None:
        raise WarehouseLocked(f"{label}: the story index could not be read")
    counts = ctx.warehouse.load(
        ctx.run_id,
        articles=[],
        quarantined=report.quarantined,
        failures=failures,
        taxonomy_version=ctx.taxonomy.version,
    )
    rewritten = ctx.warehouse.rewrite(
        ctx.run_id, report.valid, taxonomy_version=ctx.taxonomy.version, signatures=signatures
    )
    for source, tally in rewritten.items():
        counts.setdefault(source, SourceCounts(source=source)).add(tally)
    get_run_logger().info(
        "reprocessed %s: %s",
        label,
        ", ".join(f"{c.source} ~{c.updated} ={c.unchanged}" for c in counts.values()),
    )
    return counts


@dataclass(frozen=True, slots=True)
class _Started:
    """A batch whose extraction is under way in the pool (None: no page to extract)."""

    batch: Batch
    extraction: Iterable[Article | Failure] | None


def _start(ctx: RunContext, batch: Batch | None) -> _Started | None:
    """Start extracting the batch's pages.

    `ExtractorPool.map` submits every page to the pool at once (`Executor.map`),
    behind any batch's pages still queued there; a batch too small for the
    pool is extracted in this process when collected.
    Validation's and grouping's imports start now too, if this process has not
    made them (`warm_up_in_background`).
    """
    if batch is None:
        return None
    if batch.pages or batch.articles:
        warm_up_in_background()
    return _Started(batch, ctx.pool.map(batch.pages) if batch.pages else None)


def _story_prints(articles: Sequence[Article | Prepared]) -> dict[str, StoryPrint]:
    """The prepared articles' story prints by article id (the first of a repeated id)."""
    prints: dict[str, StoryPrint] = {}
    for item in articles:
        if isinstance(item, Prepared):
            prints.setdefault(item.article.article_id, item.story)
    return prints


def _finish(
    ctx: RunContext,
    label: str,
    articles: Sequence[Article | Prepared],
    failures: Sequence[Failure],
    reprocess: bool,
) -> dict[str, SourceCounts]:
    """Classify, validate, group and load (or rewrite) a batch's articles; record its failures.

    The write slot for the load is asked for first, so taking it overlaps the stages.
    """
    report = ValidationReport(valid=[], quarantined=[], outcomes=[])
    signatures: list[StorySignature] | None = []
    with ctx.warehouse.writing_soon():
        if articles:
            with ctx.timed("classify"):
                classified = classify_batch(
                    opaque(articles), opaque(ctx.taxonomy), label, opaque(ctx.model)
                )
            with ctx.timed("validate"):
                report = validate_batch(
                    opaque(classified),
                    opaque(ctx.taxonomy),
                    ctx.settings.limits.min_body_chars,
                    label,
                )
            with ctx.timed("stories"):
                prints = _story_prints(articles)
                report, signatures = group_stories(
                    opaque(ctx), opaque(report), label, opaque(prints)
                )
        with ctx.timed("load"):
            stage = rewrite_batch if reprocess else load_batch
            loaded = stage(opaque(ctx), opaque(report), opaque(failures), opaque(signatures), label)
    if ctx.progress is not None:
        ctx.progress.advance(label)
    return loaded


def process_batches(
    ctx: RunContext, batches: Iterable[Batch], *, reprocess: bool = False
) -> Iterator[tuple[Batch, dict[str, SourceCounts], list[Failure]]]:
    """Take batches from raw pages (and ready articles) to the warehouse, in order.

    The stages overlap, so the pool's workers never wait between batches:
    once a batch's pages are in the pool, the next batch is taken from
    `batches` (the caller reads or fetches it then) and its pages go to the
    pool at once, queued behind the first batch's, before that batch's
    extraction is collected; the first is then classified, validated,
    grouped and loaded while the workers extract the next. At most two
    batches of raw pages are held: the one being collected and the next.
    Yields each batch (its pages let go) with its per-source counts and
    every failure of it, those it brought and those found on the way. With
    `reprocess` the articles exist already and only what differs is
    rewritten. A batch with no article (only failures) goes straight to the
    load.
    """
    upcoming = iter(batches)
    current = _start(ctx, next(upcoming, None))
    while current is not None:
        following = _start(ctx, next(upcoming, None))
        batch = replace(current.batch, pages=())
        extracted: list[Article | Prepared] = []
        failures = list(batch.failures)
        if current.extraction is not None:
            with ctx.timed("extract"):
                extracted, extract_failures = extract_batch(current.extraction, batch.label)
            failures.extend(extract_failures)
        current = following  # this batch's raw pages go before it is loaded
        loaded = _finish(ctx, batch.label, [*batch.articles, *extracted], failures, reprocess)
        release_free_memory()  # what the batch freed goes back to the system
        yield batch, loaded, failures


def process_batch(
    ctx: RunContext,
    *,
    label: str,
    pages: Sequence[Page] = (),
    articles: Sequence[Article] = (),
    failures: Sequence[Failure] = (),
    reprocess: bool = False,
) -> tuple[dict[str, SourceCounts], list[Failure]]:
    """Take one batch to the warehouse (see `process_batches`): its counts and failures."""
    ((_, loaded, all_failures),) = process_batches(
        ctx, [Batch(label, pages, articles, failures)], reprocess=reprocess
    )
    return loaded, all_failures
