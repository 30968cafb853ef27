"""Feed parsing: feed bytes in, canonicalised `FeedItem` records out.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, JSON Feed 1.0/1.1 through
`json`; an HTML page that names its feeds (`<link rel="alternate">`) yields
their URLs through `discover_feeds`. Fetching is not done here (see
mediawatch.http): feedparser only ever sees bytes, so it never touches the
network, and expat's amplification limit stops entity-expansion bombs. A feed
that parses partially (feedparser's "bozo" flag) keeps the entries it
recovered; one that yields no entries at all, or nests too deeply for the
parsers (`RecursionError`), raises `FeedError` with the reason, so the flow
can record it against its source and go on.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from urllib.parse import urljoin

import feedparser
import lxml.html
from lxml.etree import LxmlError

from schemas.records import FeedItem
from transforms.charset import NotText, Undecodable, decode_html
from transforms.urls import article_id, canonicalize

JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")
# `type` values of <link rel="alternate"> that name a feed we can parse.
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
    }
)


class FeedError(ValueError):
    """The bytes are not a usable feed; `reason` is a stable name for counting."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FeedWarning:
    """Something wrong with a feed that still gave items: `reason` for counting, `message`."""

    reason: str
    message: str


@dataclass(slots=True)
class ParsedFeed:
    """Entries recovered from one feed document, plus what was wrong with it."""

    title: str | None
    items: list[FeedItem]
    warnings: list[FeedWarning] = field(default_factory=list)


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


@dataclass(slots=True)
class _Entry:
    """The fields of one feed entry, whatever the format, before URL canonicalisation."""

    link: str | None
    guid: str | None
    title: str | None
    summary: str | None
    author: str | None
    published_at: datetime | None


def _looks_like_json(content: bytes, content_type: str | None) -> bool:
    return "json" in (content_type or "").lower() or content.lstrip()[:1] == b"{"


def _json_date(value: object) -> datetime | None:
    """An RFC 3339 date of a JSON Feed item, in UTC; None when missing or invalid."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _json_author(item: dict[str, object]) -> str | None:
    """The first author's name: `authors` (1.1) or `author` (1.0)."""
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    for author in candidates:
        if isinstance(author, dict) and (name := _text(author.get("name"))):
            return name
    return None


def _json_entries(content: bytes, feed_url: str) -> tuple[str | None, list[_Entry]]:
    """The title and entries of a JSON Feed 1.0/1.1 document, or FeedError."""
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError("not_a_feed", f"{feed_url}: invalid JSON ({exc})") from None
    except RecursionError:
        raise FeedError("too_deep", f"{feed_url}: JSON nested too deeply to parse") from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or version.rstrip("/") not in JSON_FEED_VERSIONS:
        raise FeedError("not_a_feed", f"{feed_url}: JSON but not a JSON Feed (no known version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError("not_a_feed", f"{feed_url}: JSON Feed without an items list")
    entries = [
        _Entry(
            link=_text(item.get("url")) or _text(item.get("external_url")),
            guid=_text(str(item["id"])) if item.get("id") is not None else None,
            title=_text(item.get("title")),
            summary=_text(item.get("summary"))
            or _text(item.get("content_text"))
            or _text(item.get("content_html")),
            author=_json_author(item),
            published_at=_json_date(item.get("date_published") or item.get("date_modified")),
        )
        for item in items
        if isinstance(item, dict)
    ]
    return _text(document.get("title")), entries


_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_XML_ROOT = re.compile(rb"<((?:[\w.-]+:)?(?:rss|feed|RDF))[\s>]")
_ROOT_CLOSE = {b"rss": b"</channel></rss>", b"feed": b"</feed>"}


def _first_entries(content: bytes, count: int) -> bytes | None:
    """The document cut after its `count`-th entry and closed again; None if it has no more.

    feedparser builds a dictionary per entry of the whole document (a feed of
    100,000 items takes hundreds of MB); only the first `max_items` are kept,
    so only about those are parsed.
    """
    root = _XML_ROOT.search(content, 0, 4096)
    if root is None:
        return None
    name = root.group(1)
    close = _ROOT_CLOSE.get(name.rpartition(b":")[2], b"</" + name + b">")
    for number, end in enumerate(_ENTRY_END.finditer(content), start=1):
        if number == count:
            more = _ENTRY_END.search(content, end.end())
            return content[: end.end()] + close if more else None
    return None


def _xml_entries(
    content: bytes,
    feed_url: str,
    content_type: str | None,
    warnings: list[FeedWarning],
    max_items: int | None = None,
) -> tuple[str | None, list[_Entry]]:
    """The title and entries of an RSS or Atom document; problems go into `warnings`.

    With `max_items`, a longer document is parsed in growing prefixes (twice
    `max_items` entries first: some may be duplicates or lack a link) until
    enough usable entries are read or the whole document is.
    """
    count = 2 * max_items if max_items else 0
    while count:
        prefix = _first_entries(content, count)
        if prefix is None:
            break
        title, entries = _parse_xml(prefix, feed_url, content_type, warnings)
        usable = _items(entries, source="", feed_url=feed_url, skipped=[0])
        if sum(1 for _ in islice(usable, max_items)) == max_items:
            return title, entries
        warnings.clear()
        count *= 4
    return _parse_xml(content, feed_url, content_type, warnings)


def _parse_xml(
    content: bytes, feed_url: str, content_type: str | None, warnings: list[FeedWarning]
) -> tuple[str | None, list[_Entry]]:
    headers = {"content-location": feed_url}
    if content_type:
        headers["content-type"] = content_type
    try:
        parsed = feedparser.parse(content, response_headers=headers, sanitize_html=False)
    except RecursionError:
        raise FeedError("too_deep", f"{feed_url}: XML nested too deeply to parse") from None
    problem = parsed.get("bozo_exception")
    # A content type that is not XML is no problem: many servers send feeds as text/html.
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        warnings.append(FeedWarning("charset", f"{feed_url}: wrong or missing charset: {problem}"))
    elif parsed.bozo and not isinstance(problem, feedparser.NonXMLContentType):
        name = problem.__class__.__name__
        warnings.append(FeedWarning("malformed", f"{feed_url}: malformed feed ({name}): {problem}"))
    if not parsed.entries and not parsed.version:
        detail = f" ({warnings[0].message})" if warnings else ""
        raise FeedError("not_a_feed", f"{feed_url}: not an RSS, Atom or JSON feed{detail}")
    entries = [
        _Entry(
            link=_text(entry.get("link")),
            guid=_text(entry.get("id")),
            title=_text(entry.get("title")),
            summary=_text(entry.get("summary")),
            author=_text(entry.get("author")),
            published_at=_when(entry),
        )
        for entry in parsed.entries
    ]
    return _text(parsed.feed.get("title")), entries


def _items(
    entries: Iterable[_Entry], *, source: str, feed_url: str, skipped: list[int]
) -> Iterator[FeedItem]:
    """Canonical feed items, once per canonical URL and per GUID; unusable links are counted."""
    seen_urls: set[str] = set()
    seen_guids: set[str] = set()
    for entry in entries:
        try:
            url = urljoin(feed_url, entry.link) if entry.link else ""
            canonical = canonicalize(url)
        except ValueError:  # InvalidURL, or urljoin's for a broken host such as "http://[x"
            skipped[0] += 1
            continue
        if canonical in seen_urls or (entry.guid is not None and entry.guid in seen_guids):
            continue
        seen_urls.add(canonical)
        if entry.guid is not None:
            seen_guids.add(entry.guid)
        yield FeedItem(
            source=source,
            feed_url=feed_url,
            url=url,
            canonical_url=canonical,
            article_id=article_id(canonical),
            guid=entry.guid,
            title=entry.title,
            summary=entry.summary,
            author=entry.author,
            published_at=entry.published_at,
        )


def parse_feed(
    content: bytes,
    *,
    source: str,
    feed_url: str,
    content_type: str | None = None,
    max_items: int | None = None,
) -> ParsedFeed:
    """Parse RSS, Atom or JSON Feed bytes into feed items with canonical URLs and article ids.

    Relative links resolve against `feed_url`. Entries without a usable http(s)
    link are skipped and counted in `warnings`; duplicates within the feed
    (same canonical URL or same GUID) are kept once.
    """
    if not content.strip():
        raise FeedError("empty", f"{feed_url}: the feed is empty")
    warnings: list[FeedWarning] = []
    if _looks_like_json(content, content_type):
        title, entries = _json_entries(content, feed_url)
    else:
        title, entries = _xml_entries(content, feed_url, content_type, warnings, max_items)
    skipped = [0]
    items = list(
        islice(_items(entries, source=source, feed_url=feed_url, skipped=skipped), max_items)
    )
    if skipped[0]:
        warnings.append(
            FeedWarning(
                "bad_entries",
                f"{feed_url}: {skipped[0]} entries without a usable http(s) link were skipped",
            )
        )
    return ParsedFeed(title=title, items=items, warnings=warnings)


def discover_feeds(content: bytes, page_url: str, content_type: str | None = None) -> list[str]:
    """Feed URLs an HTML page names with `<link rel="alternate" type=...>`, in page order.

    Only feed types we parse count, hrefs resolve against the page URL (or its
    `<base href>`), and only http(s) URLs are returned. Not HTML: an empty list.
    """
    try:
        tree = lxml.html.document_fromstring(decode_html(content, _charset(content_type)))
    except (NotText, Undecodable, LxmlError, ValueError):
        return []
    base = urljoin(page_url, tree.xpath("string(//base/@href)").strip())
    found: list[str] = []
    for link in tree.iter("link"):
        rel = {token.lower() for token in (link.get("rel") or "").split()}
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        url = urljoin(base, href)
        if url.split(":", 1)[0].lower() in ("http", "https") and url not in found:
            found.append(url)
    return found


def _charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None
