"""Fallback articles: a feed item's own title and summary standing in for its page.

When an article page cannot be fetched or extracted, the feed still told us
the story exists, what it is called and what it is about. Such an article is
kept with `is_fallback` set so queries can tell it apart; its body is the
summary as plain text. A later run that gets the page replaces it (the
warehouse does not count a fallback as settled while the failure may pass).

Pages the publisher says are gone (HTTP 404 and 410: withdrawn or never
published) get no fallback: a stand-in would keep alive a story its publisher
removed. Items without a summary of `min_chars` get none either, as a title
alone is not an article.
"""

from __future__ import annotations

import re
from datetime import datetime

import lxml.html
from lxml.etree import LxmlError, ParserError

from schemas.records import Article, FeedItem
from transforms.extract import text_article

GONE_STATUSES = frozenset({404, 410})
_WS = re.compile(r"\s+")


def plain_text(summary: str) -> str:
    """The text of a feed summary, which may be HTML, with whitespace collapsed."""
    try:
        text = lxml.html.fragment_fromstring(summary, create_parent="div").text_content()
    except (ParserError, LxmlError, ValueError):
        text = summary
    return _WS.sub(" ", text).strip()


def fallback_article(item: FeedItem, *, fetched_at: datetime, min_chars: int) -> Article | None:
    """The item as a fallback article, or None when its summary is too short to stand in."""
    body = plain_text(item.summary or "")
    if len(body) < min_chars:
        return None
    return text_article(
        article_id=item.article_id,
        url=item.url,
        canonical_url=item.canonical_url,
        source=item.source,
        title=item.title,
        body=body,
        fetched_at=fetched_at,
        author=item.author,
        published_at=item.published_at,
        description=body,
        guid=item.guid,
        is_fallback=True,
    )
