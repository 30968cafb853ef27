"""Feed parsing: feed bytes in, canonicalised `FeedItem` records out.

Fetching is not done here (see mediawatch.http); feedparser only ever sees
bytes, so it never touches the network. A feed that parses partially
(feedparser's "bozo" flag) keeps the entries it recovered; one that yields no
entries at all raises `FeedError` with the reason, so the flow can record it
against its source and go on.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser

from schemas.records import FeedItem
from transforms.urls import InvalidURL, article_id, canonicalize


class FeedError(ValueError):
    """The bytes are not a usable feed; `reason` is a stable name for counting."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# feedparser flags these, but the entries are intact: a content type that is not
# XML (many servers send text/html) or a charset it had to override.
_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


@dataclass(slots=True)
class ParsedFeed:
    """Entries recovered from one feed document, plus what was wrong with it."""

    title: str | None
    items: list[FeedItem]
    warnings: list[str] = field(default_factory=list)


def _when(entry: feedparser.FeedParserDict) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def parse_feed(
    content: bytes,
    *,
    source: str,
    feed_url: str,
    content_type: str | None = None,
    max_items: int | None = None,
) -> ParsedFeed:
    """Parse RSS or Atom bytes into feed items with canonical URLs and article ids.

    Relative links resolve against `feed_url`. Entries without a usable http(s)
    link are skipped and counted in `warnings`; duplicates within the feed
    (same canonical URL) are kept once.
    """
    if not content.strip():
        raise FeedError("empty", f"{feed_url}: the feed is empty")
    headers = {"content-location": feed_url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(content, response_headers=headers, sanitize_html=False)
    warnings: list[str] = []
    if parsed.bozo and not isinstance(parsed.bozo_exception, _BENIGN):
        warnings.append(
            f"malformed feed ({parsed.bozo_exception.__class__.__name__}): {parsed.bozo_exception}"
        )
    if not parsed.entries:
        if not parsed.version:
            raise FeedError(
                "not_a_feed",
                f"{feed_url}: not an RSS or Atom feed" + (f" ({warnings[0]})" if warnings else ""),
            )
        return ParsedFeed(title=_text(parsed.feed.get("title")), items=[], warnings=warnings)

    items: list[FeedItem] = []
    seen: set[str] = set()
    skipped = 0
    for entry in parsed.entries:
        link = _text(entry.get("link"))
        try:
            canonical = canonicalize(link or "")
        except InvalidURL:
            skipped += 1
            continue
        if canonical in seen:
            continue
        seen.add(canonical)
        items.append(
            FeedItem(
                source=source,
                feed_url=feed_url,
                url=link or canonical,
                canonical_url=canonical,
                article_id=article_id(canonical),
                guid=_text(entry.get("id")),
                title=_text(entry.get("title")),
                summary=_text(entry.get("summary")),
                author=_text(entry.get("author")),
                published_at=_when(entry),
            )
        )
        if max_items is not None and len(items) >= max_items:
            break
    if skipped:
        warnings.append(f"{skipped} entries without a usable http(s) link were skipped")
    return ParsedFeed(title=_text(parsed.feed.get("title")), items=items, warnings=warnings)
