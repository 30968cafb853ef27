"""Topic alerts, the pure part: which subscription wants which article, and the message.

A subscription to `geopolitics/TikTok` matches an article labelled
`geopolitics/TikTok` or any label under it (`geopolitics/TikTok/China data`).
The message is Slack-compatible webhook JSON: a plain `text` fallback and
`blocks` with the title as a link, the source and the labels.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(slots=True)
class AlertArticle:
    """What an alert says about an article."""

    article_id: str
    title: str | None
    url: str
    source: str
    labels: list[str]


def matched_topics(labels: Sequence[str], topics: Sequence[str]) -> list[str]:
    """The subscribed topics that an article's labels fall under (itself or a child)."""
    return [t for t in topics if any(label == t or label.startswith(t + "/") for label in labels)]


def _slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_message(subscription: str, article: AlertArticle, topics: Sequence[str]) -> bytes:
    """The webhook body for one article and one subscription, as UTF-8 JSON."""
    title = article.title or article.url
    labels = ", ".join(article.labels)
    text = f"[{subscription}] {title} ({article.source}) {article.url}: {labels}"
    blocks = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*<{article.url}|{_slack_escape(title)}>*\n"
                f"{_slack_escape(article.source)} · {_slack_escape(labels)}",
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"mediawatch alert {_slack_escape(subscription)}: "
                    f"{_slack_escape(', '.join(topics))}",
                }
            ],
        },
    ]
    return json.dumps({"text": text, "blocks": blocks}, ensure_ascii=False).encode("utf-8")
