"""Topic alerts: matching, the Slack-compatible message, and once-only delivery to a
loopback webhook, with failed posts kept pending and retried by the next run."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from mediawatch.alerts import check_subscriptions, deliver_alerts
from mediawatch.errors import ConfigError
from mediawatch.settings import Settings, load_settings
from mediawatch.warehouse import Warehouse
from schemas.records import Article, TopicLabel
from transforms.alerts import AlertArticle, alert_message, matched_topics

TIKTOK = "geopolitics/TikTok"
LOGGER = logging.getLogger("test-alerts")


def test_a_subscription_matches_its_topic_and_children_only() -> None:
    assert matched_topics([f"{TIKTOK}/China data", "geopolitics"], [TIKTOK]) == [TIKTOK]
    assert matched_topics([TIKTOK], [TIKTOK, "health"]) == [TIKTOK]
    assert matched_topics(["geopolitics/TikTokers"], [TIKTOK]) == []
    assert matched_topics(["geopolitics"], [TIKTOK]) == []


def test_message_is_slack_compatible_with_title_source_labels_and_link() -> None:
    article = AlertArticle(
        "a1", "Ban <for> TikTok & co", "https://n.example/a", "courier", [TIKTOK, "geopolitics"]
    )
    body = json.loads(alert_message("desk", article, [TIKTOK]))
    assert body["text"] == (
        "[desk] Ban <for> TikTok & co (courier) https://n.example/a: "
        "geopolitics/TikTok, geopolitics"
    )
    section = body["blocks"][0]["text"]
    assert section["type"] == "mrkdwn"
    assert section["text"].startswith("*<https://n.example/a|Ban &lt;for&gt; TikTok &amp; co>*")
    assert "courier · geopolitics/TikTok, geopolitics" in section["text"]
    assert body["blocks"][1]["elements"][0]["text"] == "mediawatch alert desk: geopolitics/TikTok"


def test_unknown_topic_in_a_subscription_is_a_config_error() -> None:
    settings = load_settings(
        alerts=[{"name": "x", "topics": ["geopolitcs"], "webhook": "http://h/"}]
    )
    with pytest.raises(ConfigError, match="alert 'x': unknown topic geopolitcs"):
        check_subscriptions(settings.alerts, frozenset({"geopolitics"}))


def test_duplicate_subscription_names_are_refused() -> None:
    alert = {"name": "x", "topics": [TIKTOK], "webhook": "http://h/"}
    with pytest.raises(ConfigError, match="alert names must be unique, repeated: x"):
        load_settings(alerts=[alert, alert])


def _settings(loopback: Any) -> Settings:
    base = load_settings(
        alerts=[{"name": "tiktok-desk", "topics": [TIKTOK], "webhook": loopback.url("/hook")}]
    )
    http = base.http.model_copy(
        update={"allow_private": ["127.0.0.1"], "min_host_delay": 0, "retries": 0}
    )
    return base.with_overrides(http=http)


def _load(warehouse: Warehouse, run_id: str, articles: list[Article]) -> None:
    warehouse.load(run_id, articles=articles, taxonomy_version="t1")


@pytest.fixture
def articles(make_article: Callable[..., Article]) -> list[Article]:
    return [
        make_article(
            article_id="a" * 16,
            url="https://n.example/tiktok",
            title="TikTok data sent to Beijing",
            topics=[TopicLabel("geopolitics", 1.0), TopicLabel(f"{TIKTOK}/China data", 2.0)],
        ),
        make_article(
            article_id="b" * 16,
            url="https://n.example/harbour",
            topics=[TopicLabel("geopolitics", 1.0)],
        ),
    ]


def test_each_matching_new_article_is_posted_once(
    loopback: Any, reply: type, memory_warehouse: Warehouse, articles: list[Article]
) -> None:
    loopback.add("/hook", reply(200, b"ok"))
    settings = _settings(loopback)
    _load(memory_warehouse, "run-1", articles)
    first = deliver_alerts(memory_warehouse, settings, "run-1", LOGGER)
    again = deliver_alerts(memory_warehouse, settings, "run-1", LOGGER)
    assert first.rows() == [("tiktok-desk", 1, 0)]
    assert again.rows() == []
    (posted,) = loopback.hits("/hook")
    assert posted.method == "POST"
    assert posted.headers["Content-Type"] == "application/json"
    body = json.loads(posted.body)
    assert "TikTok data sent to Beijing (example) https://n.example/tiktok" in body["text"]
    with memory_warehouse.connection() as con:
        rows = con.execute(
            "SELECT subscription, article_id, status, attempts, last_error, "
            "delivered_at IS NOT NULL, typeof(attempts) FROM alert_deliveries"
        ).fetchall()
    assert rows == [("tiktok-desk", "a" * 16, "delivered", 1, None, True, "INTEGER")]


def test_failed_delivery_stays_pending_is_logged_and_retried_next_run(
    loopback: Any,
    reply: type,
    memory_warehouse: Warehouse,
    articles: list[Article],
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = iter([reply(503, b"busy"), reply(200, b"ok")])
    loopback.add("/hook", lambda handler: next(answers))
    settings = _settings(loopback)
    _load(memory_warehouse, "run-1", articles)
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        failed = deliver_alerts(memory_warehouse, settings, "run-1", LOGGER)
    assert failed.rows() == [("tiktok-desk", 0, 1)]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "alert tiktok-desk: article aaaaaaaaaaaaaaaa not delivered (http_status)" in warning
    assert "HTTP 503" in warning
    with memory_warehouse.connection() as con:
        pending = con.execute(
            "SELECT status, attempts, last_error FROM alert_deliveries"
        ).fetchall()
    assert pending == [("pending", 1, f"{loopback.url('/hook')}: HTTP 503")]
    # The next run loads nothing new for the subscription but retries the pending alert.
    retried = deliver_alerts(memory_warehouse, settings, "run-2", LOGGER)
    assert retried.rows() == [("tiktok-desk", 1, 0)]
    assert len(loopback.hits("/hook")) == 2
    with memory_warehouse.connection() as con:
        done = con.execute("SELECT status, attempts FROM alert_deliveries").fetchall()
    assert done == [("delivered", 2)]


def test_changed_articles_do_not_alert_again(
    loopback: Any,
    reply: type,
    memory_warehouse: Warehouse,
    articles: list[Article],
    make_article: Callable[..., Article],
) -> None:
    loopback.add("/hook", reply(200, b"ok"))
    settings = _settings(loopback)
    _load(memory_warehouse, "run-1", articles[:1])
    deliver_alerts(memory_warehouse, settings, "run-1", LOGGER)
    changed = make_article(
        article_id="a" * 16,
        url="https://n.example/tiktok",
        content_hash="d" * 64,
        topics=articles[0].topics,
    )
    _load(memory_warehouse, "run-2", [changed])
    assert deliver_alerts(memory_warehouse, settings, "run-2", LOGGER).rows() == []
    assert len(loopback.hits("/hook")) == 1
