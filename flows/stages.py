"""The stages every flow shares once raw documents are in hand.

extract -> classify -> validate -> load, each a Prefect task per batch (never
per article), chained by `process_batch`. A flow builds one `RunContext` and
hands it every batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mediawatch.errors import WarehouseError
from mediawatch.settings import Settings
from mediawatch.warehouse import Warehouse
from schemas.records import Article, Failure, Page, SourceCounts
from transforms.classify import Document, Taxonomy
from transforms.extract import ExtractorPool
from transforms.validate import ValidationReport, validate_articles


@dataclass(slots=True)
class RunContext:
    """What every batch of one run needs: settings, compiled taxonomy, warehouse, pool."""

    run_id: str
    settings: Settings
    taxonomy: Taxonomy
    warehouse: Warehouse
    pool: ExtractorPool


def log_failures(failures: Sequence[Failure]) -> None:
    """Log each failure once, naming its source, as a warning: the run goes on."""
    logger = get_run_logger()
    for failure in failures:
        logger.warning(
            "%s: %s failed (%s): %s", failure.source, failure.stage, failure.reason, failure.message
        )


@task(name="extract", task_run_name="extract [{label}]", cache_policy=NO_CACHE)
def extract_batch(
    pages: Sequence[Page], pool: ExtractorPool, label: str
) -> tuple[list[Article], list[Failure]]:
    """Extract article text and metadata from a batch of pages in the process pool."""
    articles: list[Article] = []
    failures: list[Failure] = []
    for outcome in pool.map(pages):
        (articles if isinstance(outcome, Article) else failures).append(outcome)
    log_failures(failures)
    return articles, failures


@task(name="classify", task_run_name="classify [{label}]", cache_policy=NO_CACHE)
def classify_batch(articles: Sequence[Article], taxonomy: Taxonomy, label: str) -> list[Article]:
    """Label each article with the taxonomy's topics and their evidence."""
    return [
        replace(
            article,
            topics=taxonomy.classify(
                Document(
                    title=article.title or "",
                    body=article.body,
                    url=article.url,
                    source=article.source,
                    language=article.language or "",
                )
            ),
        )
        for article in articles
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


def _retry_if_locked(task: object, task_run: object, state: object) -> bool:
    """Retry a load only when the warehouse was busy; other errors will not go away."""
    error = state.result(raise_on_failure=False)  # type: ignore[attr-defined]
    return isinstance(error, WarehouseError) and "lock" in str(error).lower()


@task(
    name="load",
    task_run_name="load [{label}]",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=_retry_if_locked,
)
def load_batch(
    ctx: RunContext, report: ValidationReport, failures: Sequence[Failure], label: str
) -> dict[str, SourceCounts]:
    """Load the valid articles, the quarantined ones and the failures in one transaction."""
    counts = ctx.warehouse.load(
        ctx.run_id,
        articles=report.valid,
        quarantined=report.quarantined,
        failures=failures,
        taxonomy_version=ctx.taxonomy.version,
    )
    get_run_logger().info(
        "loaded %s: %s",
        label,
        ", ".join(f"{c.source} +{c.new} ~{c.updated} ={c.unchanged}" for c in counts.values()),
    )
    return counts


def process_batch(
    ctx: RunContext,
    *,
    label: str,
    pages: Sequence[Page] = (),
    articles: Sequence[Article] = (),
    failures: Sequence[Failure] = (),
) -> tuple[dict[str, SourceCounts], list[Failure]]:
    """Take one batch from raw pages (and ready articles) to the warehouse.

    Returns the per-source counts and every failure of the batch, those the
    caller brought and those found on the way.
    """
    extracted, extract_failures = extract_batch(pages, ctx.pool, label) if pages else ([], [])
    classified = classify_batch([*articles, *extracted], ctx.taxonomy, label)
    report = validate_batch(classified, ctx.taxonomy, ctx.settings.limits.min_body_chars, label)
    all_failures = [*failures, *extract_failures]
    return load_batch(ctx, report, all_failures, label), all_failures
