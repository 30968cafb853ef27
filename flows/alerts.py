"""The alert task: post this run's new articles to the topic subscriptions' webhooks."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.stages import RunContext
from mediawatch.alerts import AlertOutcome, deliver_alerts


@task(name="deliver-alerts", task_run_name="deliver-alerts", cache_policy=NO_CACHE)
def send_alerts(ctx: RunContext) -> AlertOutcome:
    """Deliver new and still-pending alerts; failures stay pending and are logged."""
    logger = get_run_logger()
    outcome = deliver_alerts(ctx.warehouse, ctx.settings, ctx.run_id, logger)
    for name, delivered, pending in outcome.rows():
        logger.info("alert %s: %d delivered, %d pending", name, delivered, pending)
    return outcome
