"""Topic alerts: queue new matching articles, post them to webhooks, remember what was sent.

Each (subscription, article) pair gets one row in `alert_deliveries`, so an
article is posted at most once per subscription. A failed post stays
`pending` with its error and attempt count, is logged, and is tried again
by every later run until it goes through: nothing is dropped in silence.
Only articles a run inserts are queued (not older ones, not changed ones),
so adding a subscription does not replay the whole warehouse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mediawatch.errors import ConfigError
from mediawatch.http import FetchRequest, fetch_all
from mediawatch.settings import AlertSubscription, Settings
from mediawatch.warehouse import Warehouse, insert_rows
from transforms.alerts import AlertArticle, alert_message, matched_topics


@dataclass(slots=True)
class AlertOutcome:
    """What one delivery round did, per subscription: sent now, and still pending."""

    delivered: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, int, int]]:
        """(subscription, delivered, pending) for every subscription that had work."""
        names = sorted({*self.delivered, *self.pending})
        return [(n, self.delivered.get(n, 0), self.pending.get(n, 0)) for n in names]


def check_subscriptions(subscriptions: list[AlertSubscription], labels: frozenset[str]) -> None:
    """Refuse a subscription to a topic the taxonomy does not have: it would never fire."""
    for subscription in subscriptions:
        unknown = [t for t in subscription.topics if t not in labels]
        if unknown:
            raise ConfigError(
                f"alert {subscription.name!r}: unknown topic {', '.join(unknown)} "
                "(topics are taxonomy paths such as geopolitics/TikTok)"
            )


def _queue(warehouse: Warehouse, settings: Settings, run_id: str) -> None:
    """Add a pending delivery for every article this run inserted that a subscription wants.

    The articles are read without the write slot; it is taken only if there is a row to add.
    """
    with warehouse.reader() as con:
        fresh = con.execute(
            "SELECT article_id, topics FROM articles WHERE run_id = ? AND updated_at IS NULL",
            [run_id],
        ).fetchall()
    now = datetime.now(UTC)
    rows = [
        [subscription.name, article_id, now]
        for subscription in settings.alerts
        for article_id, labels in fresh
        if matched_topics(labels, subscription.topics)
    ]
    if not rows:
        return
    with warehouse.transaction() as con:
        insert_rows(
            con,
            "alert_deliveries",
            [[name, article_id, "pending", 0, at] for name, article_id, at in rows],
            unique_on=("subscription", "article_id"),
            columns=("subscription", "article_id", "status", "attempts", "first_try_at"),
        )


def deliver_alerts(
    warehouse: Warehouse,
    settings: Settings,
    run_id: str,
    logger: logging.Logger | logging.LoggerAdapter,
) -> AlertOutcome:
    """Queue this run's matching articles, then post every pending alert once.

    Failures are logged as warnings naming the subscription and article and
    kept pending for the next run.
    """
    outcome = AlertOutcome()
    if settings.alerts:
        _queue(warehouse, settings, run_id)
    with warehouse.reader() as con:
        pending = con.execute(
            "SELECT d.subscription, a.article_id, a.title, a.url, a.source, a.topics "
            "FROM alert_deliveries d JOIN articles a USING (article_id) "
            "WHERE d.status = 'pending' ORDER BY d.first_try_at, d.subscription, a.article_id"
        ).fetchall()
    subscriptions = {s.name: s for s in settings.alerts}
    orphaned = sorted({row[0] for row in pending if row[0] not in subscriptions})
    for name in orphaned:
        logger.warning("alert %s is no longer configured: its pending alerts are not sent", name)
    sendable = [row for row in pending if row[0] in subscriptions]
    if not sendable:
        return outcome
    requests = []
    for name, article_id, title, url, source, labels in sendable:
        topics = matched_topics(labels, subscriptions[name].topics)
        article = AlertArticle(article_id, title, url, source, labels)
        requests.append(
            FetchRequest(
                subscriptions[name].webhook,
                kind="webhook",
                body=alert_message(name, article, topics),
            )
        )
    results = fetch_all(requests, settings.http)
    now = datetime.now(UTC)
    updates = []
    for (name, article_id, *_), result in zip(sendable, results, strict=True):
        if result.error is None:
            outcome.delivered[name] = outcome.delivered.get(name, 0) + 1
            updates.append(["delivered", None, now, name, article_id])
            continue
        outcome.pending[name] = outcome.pending.get(name, 0) + 1
        message = f"alert {name}: article {article_id} not delivered ({result.error.reason}): "
        outcome.errors.append(message + result.error.message)
        logger.warning("%s%s; retried by the next run", message, result.error.message)
        updates.append(["pending", result.error.message, None, name, article_id])
    with warehouse.transaction() as con:
        con.executemany(
            "UPDATE alert_deliveries SET status = ?, last_error = ?, delivered_at = ?, "
            "attempts = attempts + 1 WHERE subscription = ? AND article_id = ?",
            updates,
        )
    return outcome
