"""A page's headline, byline and publication date, reconciled from every place a page states them.

trafilatura picks one title, author and date. On real pages that is often the
SEO `<title>` with the site's name ("... | CBC News"), the publisher as author
("Deutsche Welle"), or the day in the URL instead of the time the page states.
This module reads the candidates once from the parsed page (JSON-LD, meta tags,
visible headings and bylines) and chooses:

- title: the visible heading that a metadata title confirms (the headline the
  reader sees); else the best metadata title with the site name and section
  suffixes cut off.
- authors: people named by JSON-LD, meta tags, trafilatura or a visible
  byline, in that order of trust, never an organisation or the site's own name.
- published: the most precise statement: a page's own timestamp with a time of
  day beats a date without one (such as a date found in the URL).
"""

from __future__ import annotations

import html as markup
import json
import re
import unicodedata
from calendar import month_abbr, month_name
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from urllib.parse import unquote_plus, urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from transforms.plaintext import default_text_rules

_ARTICLE_TYPES = frozenset(
    t.casefold()
    for t in (
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
        "ScholarlyArticle",
        "TechArticle",
        "SocialMediaPosting",
    )
)
_TITLE_KEYS = (
    "og:title",
    "twitter:title",
    "dc.title",
    "dc:title",
    "dcterms.title",
    "parsely-title",
    "title",
    "headline",
)
_SITE_KEYS = ("og:site_name", "application-name", "publisher", "twitter:site", "dc.publisher")
_AUTHOR_KEYS = (
    "author",
    "article:author",
    "byl",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "citation_author",
)
_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "published_time",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "article.published",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "dc.date",
    "date",
    "citation_publication_date",
)
# " | ", " - ", " — ", " : ", " > ", " -- ", "_" (common in Chinese titles) and the like.
_SEPARATOR = re.compile(r"\s+(?:[|\-–—·•»«~/:>]|::|--)\s+|\s*[_｜|]\s*")
_BY = re.compile(
    r"^\s*(?:(?:written|posted|words|reported|story|text) by|by|von|par|por|di|door|av|af"
    r"|przez|od)\s*:?\s+",
    re.I,
)
# Credits after a byline's names that name no author: "Edited by ...", "Photos by ...".
_CREDIT = re.compile(
    r"\s(?:edited|photos?|photographs?|pictures?|illustrations?|graphics?|video) by\s.*$", re.I
)
_NAME_SPLIT = re.compile(r"\s*(?:[,;&/|]|\band\b|\bund\b|\bet\b|\ben\b)\s*", re.I)
# Spanish and Portuguese "and" is also inside one person's surnames ("José Ortega y
# Gasset", "José Volta e Pinto"): it joins two people only between two full names.
_SHORT_AND = re.compile(r"\s+[ye]\s+", re.I)
_NON_WORD = re.compile(r"[\W_]+")
_APOSTROPHE = re.compile(r"(?<=\w)['\u2019](?=\w)")
# A dash between a headline and a short last part that may be the site's name (see `strip_site`).
_DASH = re.compile(r"\s+[-–—]\s+")
_MAX_SUFFIX = 3
_STRONG_SEPARATOR = re.compile(r"\s+(?:[|·•»«~>]|::|--)\s+|\s*[_｜|]\s*")
# What some pages wrap JSON-LD in: a CDATA section or an HTML comment.
_WRAPPER = re.compile(r"^\s*(?:<!\[CDATA\[|<!--)|(?:\]\]>|-->)\s*$")
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}")
_SLUG_SEPARATOR = re.compile(r"[-_+ ]|%20")
_HOST_NOISE = frozenset({"www", "m", "amp", "edition", "news", "com", "co", "org", "net"})
_MAX_HEADING = 300
_MAX_HEADINGS = 12
# Where a headline may be: h1/h2, schema.org's headline, elements called "headline"
# ("headline", "articleHeadline"). Queries of the page's body (see `page_body`), each one
# pass over it: a union of four paths took a third more, the attribute test first half.
_HEADINGS = XPath(
    ".//*[self::h1 or self::h2 or ((@class or @id or @itemprop) and (@itemprop='headline'"
    " or contains(@class, 'headline') or contains(@id, 'headline')"
    " or contains(@class, 'Headline') or contains(@id, 'Headline')))]"
)
_MAX_BYLINE = 120
# Visible bylines: rel/itemprop author, and the class names sites give them
# ("byline", "pb-byline", "author", "author-name", "authorname", a link "author-link").
# The first test, that the element has one of those attributes, skips the slower ones
# for most elements: a quarter of the query's time.
_BYLINES = XPath(
    ".//*[@class or @rel or @itemprop][@rel='author' or @itemprop='author'"
    " or contains(@class, 'byline') or contains(@class, 'author')]"
)
_AUTHOR_CLASSES = frozenset({"author", "author-name", "authorname", "author_name"})
# How many text lines above the story's first paragraph its headline may be.
_LOOK_BACK = 12
_DATE_LINE = re.compile(
    r"\b(?:19|20)\d\d\b|\d{1,2}:\d\d"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d",
    re.I,
)
_YEAR_CONTEXT = 4  # words besides a year that make a line a headline mentioning it
# English month names and abbreviations (the C locale's), as `_DATE_LINE` knows them.
_MONTHS = frozenset(m.casefold() for m in (*month_name, *month_abbr, "Sept") if m)
# A headline's part number at its end: "(2)", "(2º)", "(Part 2)"; no credit or caption end.
_PART_NUMBER = re.compile(r"\s*\((?:part\s+)?\d{1,2}[^\s\d)]{0,2}\)\s*$", re.I)
# Where a date starts in a byline: as above, or a day, month and year in any language.
_DATE_START = re.compile(
    _DATE_LINE.pattern + r"|\b\d{1,2}\.?\s+(?:de\s+)?\w+\.?,?\s+(?:de\s+)?(?:19|20)\d\d\b", re.I
)
# A title's part that is only a date: "Headline | January 15, 2008 | Site".
_DATE_PART = re.compile(
    r"^\W*(?:[a-z]+day,?\s+)?(?:\d{1,2}\.?\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?(?:19|20)\d\d\W*$",
    re.I,
)
# Share links ("post to Delicious/Digg/Facebook", "e-mail this story") carry the story's
# headline as the `title=`/`t=` of the URL they share, or as the text their script escapes
# (`javascript: var headline = escape("...")`): a headline the site chose, without its name.
_SHARE_LINKS = XPath(
    "//a[contains(@href, 'title=') or contains(@href, 't=') or contains(@href, 'escape(')]/@href"
)
_ESCAPED_TITLE = re.compile(r"\b(?:headline|title)\s*=\s*escape\(\s*([\"'])(.+?)\1\s*\)", re.I)
_RDF_ATTRIBUTE = re.compile(r"\b(rdf:about|dc:date)\s*=\s*\"([^\"]*)\"")
_SHARED_URL = re.compile(r"[?&](?:amp;)?(?:url|u)=", re.I)
_SHARED_TITLE = re.compile(r"[?&](?:amp;)?(?:title|t)=([^&'\"]+)", re.I)
# Captions are marked by their class too, or by their id ("imgCaption", "lblCap").
_CAPTION = re.compile(r"\b(?:cap|caption|credit)\b|caption", re.I)
_CAPTION_WORDS = frozenset({"cap", "caption", "credit"})
_IDENT_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
# Text nodes a reader sees: where a headline that no h1 marks still is (a table cell, a <b>).
_HIDDEN = frozenset({"script", "style", "noscript", "select", "option", "title", "template"})
# Elements inside a line of text: a text followed by one of them is not a line of its own,
# and their text belongs to the line of the element around them.
INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "big",
        "cite",
        "code",
        "em",
        "font",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
    ]
)
# The other queries of a page, compiled once: compiling them took a tenth of `read_page`.
_JSON_LD_SCRIPTS = XPath("//script[@type='application/ld+json']")
_META_CONTENT = XPath("//meta[@content]")
_BODIES = XPath("//body")
_TEXT_NODES = XPath(".//text()")
_TITLES = XPath("//title")
_STAMPED = XPath("//*[@datetime][@itemprop='datePublished' or (self::time and @pubdate)]")
# A `<title>` that a crawl cut off mid-script or mid-tag carries markup or code: not a title.
_MARKUP_DEBRIS = re.compile(r"/>|<\\?/?[a-z]|['\"]\s*\+\s*\w|\w\s*\+\s*['\"]", re.I)


def _normal(text: str) -> str:
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _squash(text: str) -> str:
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _words(text: str) -> int:
    """Words in a text; a run of CJK characters counts one word per two characters."""
    spaced = len(text.split())
    return max(spaced, len(re.sub(r"\s", "", text)) // 2) if not text.isascii() else spaced


@dataclass(frozen=True, slots=True)
class Stamp:
    """A publication date a page states; `precise` when it gives a time of day."""

    at: datetime
    precise: bool


@dataclass(slots=True)
class _Texts:
    """The texts of a page's body, in document order (see `_read_texts`)."""

    shown: list[str] = field(default_factory=list)
    texts: list[tuple[str, bool]] = field(default_factory=list)


@dataclass(slots=True)
class PageMeta:
    """Every candidate for the headline, byline and date, in the page's order of trust."""

    titles: list[str] = field(default_factory=list)
    page_title: str | None = None
    headings: list[str] = field(default_factory=list)
    site_names: list[str] = field(default_factory=list)
    sections: frozenset[str] = frozenset()
    authors: list[str] = field(default_factory=list)
    bylines: list[str] = field(default_factory=list)
    stamps: list[Stamp] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    page: HtmlElement | None = field(default=None, repr=False)
    _read: _Texts | None = field(default=None, init=False, repr=False)

    @property
    def shown(self) -> list[str]:
        """Every short text a reader sees in the page's body (see `_read_texts`)."""
        return self._texts().shown

    @property
    def texts(self) -> list[tuple[str, bool]]:
        """Each body text outside links, `True` when a line of its own (see `_read_texts`)."""
        return self._texts().texts

    def _texts(self) -> _Texts:
        """The body's texts, read from `page` when first asked for.

        A walk over every text node (a tenth of a page's CPU time in the
        extraction workers), which most pages never need: their headline is a
        heading that a metadata title confirms.
        """
        if self._read is None:
            self._read = _read_texts(self.page) if self.page is not None else _Texts()
        return self._read

    def shows(self, candidates: Sequence[str]) -> set[str]:
        """Which of the candidates (normalised) the body shows as a whole text.

        Only texts of about a candidate's length are normalised: a page has thousands.
        """
        wanted = {_normal(c) for c in candidates}
        low = min((len(c) for c in candidates), default=0) * 0.8
        high = max((len(c) for c in candidates), default=0) * 1.25 + 2
        return {n for t in self.shown if low <= len(t) <= high and (n := _normal(t)) in wanted}


# --- reading the page ------------------------------------------------------


def parse_stamp(value: str | None) -> Stamp | None:
    """An ISO 8601 or RFC 2822 date; naive times are taken as UTC, midnight as no time."""
    text = _clean(value)
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" +", "+"))
    except ValueError:
        try:
            at = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    has_time = bool(_TIME_OF_DAY.search(text)) and (at.hour, at.minute, at.second) != (0, 0, 0)
    return Stamp(at, has_time)


def _json_ld(tree: HtmlElement) -> Iterator[dict]:
    """Every JSON object of the page's JSON-LD blocks, @graph members included."""
    for script in _JSON_LD_SCRIPTS(tree):
        try:
            data = json.loads(_WRAPPER.sub("", script.text or ""), strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))


def _types(item: dict) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.casefold() for k in kinds if isinstance(k, str)}


def _ld_text(text: str) -> str:
    """A JSON-LD string as a reader sees it: some sites escape it as HTML
    ("Jos&#xE9; Volta", "Ferry&#8217;s return")."""
    return _clean(markup.unescape(text) if "&" in text else text)


def _names(value: object) -> Iterator[tuple[str, bool]]:
    """(name, is_person) for a JSON-LD author or publisher value."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            yield _ld_text(item), True
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            yield _ld_text(item["name"]), "organization" not in _types(item)


def _read_json_ld(tree: HtmlElement, meta: PageMeta) -> None:
    for item in _json_ld(tree):
        kinds = _types(item)
        if kinds & {"organization", "newsmediaorganization", "website"}:
            meta.organisations.extend(n for n, _ in _names(item))
        if not kinds & _ARTICLE_TYPES:
            continue
        if isinstance(item.get("headline"), str):
            meta.titles.append(_ld_text(item["headline"]))
        for name, person in _names(item.get("author")):
            (meta.authors if person else meta.organisations).append(name)
        meta.organisations.extend(n for n, _ in _names(item.get("publisher")))
        if isinstance(item.get("datePublished"), str) and (
            stamp := parse_stamp(item["datePublished"])
        ):
            meta.stamps.append(stamp)


def _meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag in _META_CONTENT(tree):
        keys = tag.get("property") or tag.get("name") or tag.get("itemprop") or ""
        value = _clean(tag.get("content"))
        for key in keys.split() if value else ():  # RDFa allows "og:title dc:title"
            found.setdefault(key.casefold(), []).append(value)
    return found


def _visible_text(element: HtmlElement) -> str:
    return _clean(element.text_content())


def _is_byline(element: HtmlElement) -> bool:
    """rel/itemprop author, or a class naming a byline or author (not "authority")."""
    if "author" in (element.get("rel"), element.get("itemprop")):
        return True
    classes = element.get("class", "")
    if "byline" in classes:
        return True
    return element.tag == "a" or not _AUTHOR_CLASSES.isdisjoint(classes.split())


def _is_caption(element: HtmlElement) -> bool:
    """An element whose class or id calls it a caption or credit ("photo-caption",
    "lblCap": an id's words are split at its capitals and underscores)."""
    if _CAPTION.search(element.get("class", "")):
        return True
    ident = element.get("id")
    return bool(ident) and not _CAPTION_WORDS.isdisjoint(
        w.casefold() for w in _IDENT_WORD.findall(ident)
    )


def page_body(tree: HtmlElement) -> HtmlElement:
    """The page's body; the whole tree for a page whose crawl lost its start (it opens
    mid-script: the parser then makes no `<body>`, yet the page's story is all there)."""
    return next(iter(_BODIES(tree)), tree)


def _read_texts(body: HtmlElement) -> _Texts:
    """The body's text nodes in one pass: `shown` (every short text a reader sees) and
    `texts` (each text outside links, `True` when it is a line of its own: the first text
    of an element with no inline child, such as a table cell holding a headline and then
    an image or a nested table of dates; not the start of a paragraph with links, nor an
    inline element's text that the paragraph's sentence goes on after)."""
    meta = _Texts()
    for text in _TEXT_NODES(body):
        owner = text.getparent()
        if text.is_tail:
            owner = owner.getparent()
        if owner is None or owner.tag in _HIDDEN or not (line := " ".join(text.split())):
            continue
        if len(line) <= _MAX_HEADING:
            meta.shown.append(line)
        if owner.tag == "a" or getattr(owner.getparent(), "tag", None) == "a":
            continue
        # Captions and list items sit near a story as title-like lines; never its headline.
        caption = owner.tag in ("figcaption", "li") or _is_caption(owner)
        # (children looked at once per element: a tail's owner may have thousands)
        alone = not text.is_tail and (
            _breaks_after(owner) or not any(child.tag in INLINE for child in owner)
        )
        # A bold or linked phrase the sentence goes on after ("<b>Super Stardust HD</b>
        # upgrade has been made available") is inside a line, not one of its own.
        alone = alone and not (owner.tag in INLINE and (owner.tail or "").strip())
        meta.texts.append((line, alone and not caption))
    return meta


def _breaks_after(owner: HtmlElement) -> bool:
    """Whether an element's own first text is followed by an inline element that opens with
    a line break ("Headline<span class='date'><br>Thursday, 10 January 2008</span>": the
    headline is a line of its own, the date the next). A bare `<br>` after the text is no
    sign: sentences and footers are broken that way too ("We now offer<br>to ...")."""
    first = owner[0] if len(owner) else None
    return (
        first is not None
        and first.tag in INLINE
        and not (first.text or "").strip()
        and len(first) > 0
        and first[0].tag == "br"
    )


def _trackback_stamps(html: str, url: str | None) -> Iterator[Stamp]:
    """The `dc:date` of the trackback RDF that blog software hides in a comment of the
    page's source (`<rdf:Description rdf:about="<post URL>" dc:date="...">`): the post's
    own, found by its URL; without a URL, only when the page describes one post."""
    described = [dict(_RDF_ATTRIBUTE.findall(part)) for part in html.split("<rdf:Description")[1:]]
    own = _url_key(url) if url else None
    posts = [d for d in described if own and _url_key(d.get("rdf:about", "")) == own]
    for post in posts or (described if len(described) == 1 and not own else []):
        if stamp := parse_stamp(post.get("dc:date")):
            yield stamp


def _url_key(url: str) -> str:
    """A URL without its scheme and trailing slash, to compare two spellings of it."""
    return url.split("://", 1)[-1].rstrip("/")


def _share_title(tree: HtmlElement) -> str | None:
    """The headline most share links of the page pass on, if any passes one of some words."""
    found: Counter[str] = Counter()
    for href in _SHARE_LINKS(tree):
        if _SHARED_URL.search(href) and (title := _SHARED_TITLE.search(href)):
            text = _clean(unquote_plus(title.group(1)))
        elif escaped := _ESCAPED_TITLE.search(href):
            text = _clean(escaped.group(2))
        else:
            continue
        if _words(text) >= 2 and "document." not in text and "<" not in text:
            found[text] += 1
    return found.most_common(1)[0][0] if found else None


def read_page(tree: HtmlElement, url: str | None = None, html: str = "") -> PageMeta:
    """Collect the candidates from a parsed page (before anything prunes it) and from
    its source `html` (what the parser drops: comments).

    The body's texts are read only when asked for, so the tree must stay
    unchanged while the result is used (trafilatura works on a copy).
    """
    body = page_body(tree)
    meta = PageMeta(page=body)
    _read_json_ld(tree, meta)
    tags = _meta_tags(tree)
    meta.titles.extend(v for key in _TITLE_KEYS for v in tags.get(key, []))
    meta.titles.extend(t for t in [_share_title(tree)] if t)
    for element in _TITLES(tree)[:1]:
        meta.page_title = _clean(element.text_content())
        meta.titles.append(meta.page_title)
    meta.site_names.extend(v.lstrip("@") for key in _SITE_KEYS for v in tags.get(key, []))
    meta.site_names.extend(meta.organisations)
    if url and (host := urlsplit(url).hostname):
        meta.site_names.extend(
            label for label in host.split(".")[:-1] if label not in _HOST_NOISE and len(label) > 2
        )
    if url:  # the folders of the URL's path name sections ("/localsportswire/22.html"),
        # but for a story's slug ("/angry-media-wont-buckle-over-new-laws/story-1227")
        meta.sections = frozenset(
            _squash(unquote_plus(part))
            for part in urlsplit(url).path.split("/")[1:-1]
            if len(_SLUG_SEPARATOR.findall(part)) <= 2
        )
    meta.authors.extend(
        v for key in _AUTHOR_KEYS for v in tags.get(key, []) if "://" not in v and "@" not in v
    )
    for key in _DATE_KEYS:
        meta.stamps.extend(s for v in tags.get(key, []) if (s := parse_stamp(v)))
    for node in _STAMPED(tree):
        if stamp := parse_stamp(node.get("datetime")):
            meta.stamps.append(stamp)
    meta.stamps.extend(_trackback_stamps(html, url))
    for heading in _HEADINGS(body)[:_MAX_HEADINGS]:
        if text := _visible_text(heading):
            meta.headings.append(text[:_MAX_HEADING])
    bylines = [b for b in _BYLINES(body) if _is_byline(b)]
    meta.bylines.extend(t for b in bylines[:4] if 0 < len(t := _visible_text(b)) <= _MAX_BYLINE)
    # Some pages name their JSON-LD publisher after the story: a sentence-long "site
    # name" that is also a title is the headline, not the site.
    headlines = {_squash(t) for t in meta.titles}
    meta.site_names = [s for s in meta.site_names if _words(s) < 6 or _squash(s) not in headlines]
    return meta


# --- choosing --------------------------------------------------------------


def _is_site(segment: str, sites: Sequence[str]) -> bool:
    squashed = _squash(segment)
    if not squashed:
        return False
    if "." in segment and " " not in segment.strip():
        return True  # a domain name: "Globalnews.ca"
    for site in sites:
        name = _squash(site)
        if squashed == name and len(name) >= 2:
            return True
        if len(name) >= max(4, len(squashed) // 2) and name in squashed:
            return True  # "Globalnews.ca", "CBC News Network"; not "firefox" in a headline
        if len(squashed) >= 4 and squashed in name:
            return True
    return False


def _is_section(segment: str) -> bool:
    """A short label such as "National", "World - Sport", "科技": a section, not a headline."""
    words = segment.split()
    if not segment.isascii():
        return len(segment.strip()) <= 6
    return 0 < len(words) <= 2 and all(w[:1].isupper() or w[:1].isdigit() for w in words)


def strip_site(title: str, sites: Sequence[str]) -> str:
    """A title without the site's name and section labels before or after it."""
    parts = [p for p in _SEPARATOR.split(title) if p.strip() and not _DATE_PART.match(p)]
    if len(parts) < 2:
        colons = title.split(": ")
        if len(colons) > 2 and _is_site(colons[-1], sites):  # "Story: Sport: Rugby: News24"
            return strip_site(" | ".join(colons), sites)
        leading = re.match(r"^([^:]{2,40}):\s+(.+)$", title)
        return leading.group(2) if leading and _is_site(leading.group(1), sites) else title
    cut = False
    while len(parts) > 1 and _is_site(parts[-1], sites):
        parts.pop()
        cut = True
    while len(parts) > 1 and _is_site(parts[0], sites):
        parts.pop(0)
        cut = True
    head_words = _words(parts[0])
    while len(parts) > 1 and head_words >= 3 and (cut or len(parts) > 2) and _is_section(parts[-1]):
        parts.pop()
    if len(parts) == 1:
        return parts[0].strip()
    if cut:
        return max(parts, key=_words).strip()
    # Site unknown: after a separator headlines do not use (" | ", "_", " » "), the
    # headline is the part with most of the words; " - " may be the headline's own.
    strong = [p for p in _STRONG_SEPARATOR.split(title) if p.strip() and not _DATE_PART.match(p)]
    longest = max(strong, key=_words)
    if len(strong) > 1 and _words(longest) >= 0.7 * sum(_words(p) for p in strong):
        return longest.strip()
    # After a dash, a short last part behind a headline of some words is the site's name
    # that the page states nowhere else ("Ferry timetable adds crossings – My Harbour").
    dash = next(reversed(list(_DASH.finditer(title))), None)
    if dash and _words(title[dash.end() :]) <= _MAX_SUFFIX and _words(title[: dash.start()]) >= 4:
        return title[: dash.start()].strip()
    return title


def _confirms(heading: str, title: str, stripped: str) -> bool:
    """A metadata title names this heading: equal, or the heading is a whole part of it.

    A one-word heading confirms only a title that is that word once the site's
    name is cut ("Mozilla" under "Mozilla - Wikipedia").
    """
    h = _normal(_APOSTROPHE.sub("", heading))  # "Saj's" in the heading, "Sajs" in a title
    if not h or _words(heading) < 2:
        return bool(h) and stripped != title and h == _normal(stripped)
    for candidate in (title, stripped):
        t = _normal(_APOSTROPHE.sub("", candidate))
        if not t:
            continue
        if h == t:
            return True
        if len(h) >= 0.5 * len(_normal(stripped)) and (t.startswith(h) or t.endswith(h)):
            return True
    return False


def _visible_part(title: str, meta: PageMeta) -> str | None:
    """The longest run of a title's parts that the page shows as one text, with its main part.

    A `<title>` such as "Kemble quits - World - Sport - Northern News" whose
    headline sits in a table cell that no h1 marks: the part the reader sees is
    the headline. The run must hold the title's longest part, so a visible
    section label ("World") is never taken for it.
    """
    parts = _SEPARATOR.split(title)  # one more than the separators, empty ones kept
    if sum(1 for p in parts if p.strip()) < 2 or not meta.shown:
        return None
    main = max(range(len(parts)), key=lambda i: _words(parts[i]))
    runs = sorted(
        ((i, j) for i in range(main + 1) for j in range(main + 1, len(parts) + 1)),
        key=lambda run: -sum(_words(p) for p in parts[run[0] : run[1]]),
    )
    separators = [m.group(0) for m in _SEPARATOR.finditer(title)]
    texts = [  # each run rebuilt as the title wrote it, separators and all
        parts[i] + "".join(separators[k] + parts[k + 1] for k in range(i, j - 1)) for i, j in runs
    ]
    shown = meta.shows([t for t in texts if _words(t) >= 2])
    found = next((t for t in texts if _normal(t) in shown and _words(t) >= 2), None)
    return strip_site(found.strip(), meta.site_names) if found else None


def _title_like(text: str, meta: PageMeta) -> bool:
    """A line that reads as a headline: a few words, no sentence end, no byline or date,
    no credit ("Jane Doe - Celebrity News Service Writer", "Photo: ... [EPA]": the role
    and credit words of `textcopy.yaml` in a short line or in brackets at its end)."""
    words = _words(text)
    credit = default_text_rules().credit
    return (
        3 <= words <= 25
        and not _PART_NUMBER.sub("", text).rstrip().endswith((".", ",", ":", ";", "|", ")", "]"))
        and not _BY.match(text)
        and not _is_dated(text)
        and not _is_label(text, meta)
        and not (words <= 8 and credit.search(text))
    )


def _is_dated(text: str) -> bool:
    """A line that states a date or time. A year that names an event ("... out in force at
    CES 2008": after a capitalised word that is no month and follows no day number) in a
    line of four or more other words dates nothing."""
    found = list(_DATE_LINE.finditer(text))
    if not found:
        return False
    return _words(text) - len(found) < _YEAR_CONTEXT or not all(
        _names_event(text[: m.start()].split(), m.group(0)) for m in found
    )


def _names_event(before: list[str], found: str) -> bool:
    """Whether a year (`found`) follows an event's name ("Expo 2008"), not a date's month
    or day ("January, 2008", "2. Januar 2008", "enero de 2008")."""
    if not found.isdigit() or not before:
        return False
    word, prior = before[-1], before[-2] if len(before) > 1 else ""
    return (
        word[:1].isupper()
        and word[-1:].isalnum()
        and word.casefold() not in _MONTHS
        and not prior[:1].isdigit()
    )


def first_paragraph(meta: PageMeta, story: str | None) -> str | None:
    """The page's first text of 12+ words ending a sentence that the story holds: where
    the story starts when trafilatura read it as a layout table's row ("| ... | ... |")."""
    body = _normal(story or "")
    sentences = (
        t
        for t, _ in meta.texts
        if _words(t) >= 12 and t.rstrip(" \"'”’)").endswith((".", "!", "?"))
    )
    return next((t for t in sentences if (start := _normal(t)[:60]) and start in body), None)


def headline_before(meta: PageMeta, lead: str | None) -> str | None:
    """The title-like line closest before the story's first paragraph (`lead`), if any.

    Old and hand-made pages put the headline in a table cell or a `<b>` that
    nothing marks, right above the story, after the byline and date.
    """
    start = _normal(lead or "")[:60]
    if len(start) < 30:
        return None
    first_word = start.split()[0]
    for at, (text, _) in enumerate(meta.texts):
        if first_word not in text.casefold():
            continue  # cheap test first: a page has thousands of texts
        # The paragraph may begin in a `<b>` ("LONDON:") and go on in the text after it.
        line = _normal(" ".join(t for t, _ in meta.texts[at : at + 3]))
        if line.startswith(start[:30]):
            for before, whole in reversed(meta.texts[max(0, at - _LOOK_BACK) : at]):
                if whole and _title_like(before, meta):
                    return before
            return None
    return None


def _shared(text: str, story: frozenset[str]) -> int | None:
    """How many words (of 4+ letters) a candidate title shares with the story; None when that
    says nothing: no story, a title of fewer than two such words, or not in Latin script."""
    words = {w for w in _normal(text).split() if len(w) >= 4}
    if not story or len(words) < 2 or any(ch > "\u024f" for ch in "".join(words)):
        return None
    return len(words & story)


class _Topic:
    """Whether a `<title>` is about the story, judged against the page's other candidates.

    A site's blurb or a section label as `<title>` ("Lifestyle & Entertainment",
    "Qatar's top-selling daily") names nothing the story says; a headline does.
    Such a `<title>` (or the part of it the page shows) is set aside only when a
    heading or the line above the story shares two words with the story: some
    stories never repeat their headline's words, and some pages' extracted story
    is a caption or a stub. Titles the page states for sharing (og:title,
    JSON-LD, share links) are never set aside.
    """

    def __init__(self, meta: PageMeta, story: str | None, lead: str | None) -> None:
        self.meta, self.lead = meta, lead
        self.story = frozenset(_normal(story or "").split())
        self.set_aside = False

    def _names_story(self, text: str | None) -> bool:
        return bool(text) and 3 <= _words(text) <= 25 and self.names(text)

    def names(self, title: str) -> bool:
        """Whether a title shares two words with the story."""
        return (_shared(title, self.story) or 0) >= 2

    @cached_property
    def heading(self) -> str | None:
        """The first headline-like heading that shares two words with the story, if any."""
        return next(
            (h for h in self.meta.headings if _title_like(h, self.meta) and self.names(h)), None
        )

    @cached_property
    def above(self) -> str | None:
        """The title-like line right above the story's first paragraph (`headline_before`):
        a walk over the page's texts, made once however many choices ask for it."""
        return headline_before(self.meta, self.lead)

    @cached_property
    def better(self) -> str | None:
        """A heading (or the line above the story) sharing two words with it, if any."""
        above = self.above if self.story else None
        return self.heading or (above if self._names_story(above) else None)

    def leads_over(self, heading: str) -> bool:
        """Whether the line above the story's first paragraph names that paragraph and the
        heading names none of it: a page read whole as a layout's row, where another
        story's heading in a sidebar names the extracted text only through that sidebar."""
        lead = frozenset(_normal(self.lead or "").split())  # (the heading first: no walk)
        return _shared(heading, lead) == 0 and (_shared(self.above or "", lead) or 0) >= 2

    def about(self, text: str, *titles: str) -> bool:
        """False for a `<title>`-derived text that names nothing the story says, when a
        better candidate exists; `titles` are the titles the text comes from."""
        if not any(t == self.meta.page_title for t in titles):
            return True
        if _shared(text, self.story) != 0 or self.better is None:
            return True
        self.set_aside = True
        return False


def _is_label(text: str, meta: PageMeta) -> bool:
    """The site's name, or the name of a section the page's URL is in
    ("Local Sports Wire" on ".../localsportswire/22.0.html"): not a headline."""
    return _is_site(text, meta.site_names) or _squash(text) in meta.sections


def choose_title(
    meta: PageMeta,
    extracted: str | None = None,
    feed: str | None = None,
    lead: str | None = None,
    story: str | None = None,
) -> str | None:
    """The headline the reader sees (see the module docstring).

    The page's metadata titles and the feed's confirm a visible heading, or
    the part of them the page shows; else the first of them with some words
    once the site's name is cut. A title that names nothing the `story` says
    gives way to a heading that does (see `_Topic`). trafilatura's title (`extracted`, often the
    page's first h1 itself) confirms nothing: it is the next fallback. A title
    that is only the site's name or a label ("News Article") does not count; a
    page with no other title gets its first heading of some length.
    """
    if lead and lead.startswith("|"):
        lead = first_paragraph(meta, story) or lead
    titles, stripped = [], []
    for title in dict.fromkeys(t for t in [*meta.titles, feed] if t):
        cut = strip_site(title, meta.site_names)
        if (
            len(title) <= _MAX_HEADING
            and not _is_label(cut, meta)
            and not _MARKUP_DEBRIS.search(title)
        ):
            titles.append(title)
            stripped.append(cut)
    headings = [h for h in meta.headings if not _is_label(h, meta)]
    topic = _Topic(meta, story, lead)
    for heading in headings:
        confirming = [t for t, s in zip(titles, stripped, strict=True) if _confirms(heading, t, s)]
        if confirming and topic.about(heading, *confirming):
            return heading
    for title in titles:
        if (part := _visible_part(title, meta)) and topic.about(part, title):
            return part
    informative = [
        s for t, s in zip(titles, stripped, strict=True) if _words(s) >= 3 and topic.about(s, t)
    ]
    if informative and meta.shows(informative[:1]):
        return informative[0]
    # A visible heading naming the story beats a guessed line and a title that does not.
    # (unless it names none of the story's first paragraph and the line above that does)
    heading = topic.heading
    if (
        heading
        and not (informative and topic.names(informative[0]))
        and not topic.leads_over(heading)
    ):
        return heading
    # The line above the story, unless only the metadata title names the story.
    above = topic.above
    if above and not (informative and topic.names(informative[0]) and not topic.names(above)):
        return above
    if informative:
        return informative[0]
    if topic.set_aside and (better := topic.better):
        return better
    informative = [s for s in stripped if _words(s) >= 3]
    if informative:
        return informative[0]
    found = extracted and strip_site(extracted, meta.site_names)
    if found and _is_site(found, meta.site_names):
        found = None  # trafilatura's fallback to the site's name is no headline
    if found and _words(found) >= 3:
        return found
    return next((h for h in headings if _words(h) >= 4), stripped[0] if stripped else found)


def _split_names(text: str) -> list[str]:
    """The names of a byline: prefixes, credits and roles ("Harbour correspondent",
    "Korrespondentin in Hamburg": the role words of `textcopy.yaml`) left out."""
    text = _CREDIT.sub("", _BY.sub("", text))
    names = (
        _clean(_BY.sub("", name))
        for part in _NAME_SPLIT.split(text)
        for name in _split_short_and(part)
    )
    role = default_text_rules().role
    return [n for n in names if n and not role.match(f", {n}")]


def _split_short_and(text: str) -> list[str]:
    """ "Ana Silva e João Santos" as two names; "José Volta e Pinto" as one."""
    parts = _SHORT_AND.split(text)
    return parts if all(len(p.split()) >= 2 for p in parts) else [text]


def _is_person(name: str, meta: PageMeta, *, structured: bool) -> bool:
    """A name, not a site, organisation or stray label; outside structured data
    (JSON-LD, meta tags) a name needs two words ("Username" is not one)."""
    if not name or len(name) > 60 or any(ch.isdigit() for ch in name):
        return False
    if _is_site(name, [*meta.site_names, *meta.organisations]):
        return False
    words = len(name.split())
    return not name.isascii() or (1 if structured else 2) <= words <= 5


def choose_authors(meta: PageMeta, *extracted: str | None) -> str | None:
    """The people who wrote the story, "; "-joined, from the most trusted source that has any.

    `extracted` are other sources' bylines (trafilatura's, the feed's), trusted
    after the page's structured data and its first visible byline element; a
    name they give with a role appended is taken as the byline shows it.
    """
    shown = [n for text in meta.bylines for n in _split_names(_before_date(text))]
    # Of the visible bylines only the first with a name: later ones are often related stories'.
    first_byline = next(
        (
            b
            for b in meta.bylines
            if any(_is_person(n, meta, structured=False) for n in _split_names(_before_date(b)))
        ),
        None,
    )
    sources = (
        (meta.authors, True),
        ([first_byline] if first_byline else [], False),
        ([e for e in extracted if e], False),
    )
    for source, structured in sources:
        names: dict[str, str] = {}
        for text in source:
            for found in _split_names(_before_date(text)):
                if _is_person(found, meta, structured=structured):
                    name = _as_shown(found, shown)
                    names.setdefault(_normal(name), name)
        if names:
            return "; ".join(names.values())
    return None


def _before_date(byline: str) -> str:
    """A byline without the date or time that follows the names ("By A B March 11, 2015",
    "A B 11 de Outubro de 2020")."""
    found = _DATE_START.search(byline)
    return byline[: found.start()] if found else byline


def _as_shown(name: str, shown: Sequence[str]) -> str:
    """The name as the page's byline shows it, when another source added a role to it
    ("Ben Silverman Games Editor" where the byline says "Ben Silverman")."""
    words = _normal(name).split()
    for short in shown:
        head = _normal(short).split()
        if 2 <= len(head) < len(words) and words[: len(head)] == head:
            return short
    return name


def choose_published(
    meta: PageMeta, extracted: Stamp | None, feed: datetime | None
) -> datetime | None:
    """The most precise publication date: any with a time of day first, then a bare date.

    Within each precision the page's own statements come first (JSON-LD, meta
    tags), then what trafilatura/htmldate found (which may be a URL's date),
    then the feed's date. A feed date at exactly midnight is taken as a bare date.
    """
    feed_stamp = Stamp(feed, (feed.hour, feed.minute, feed.second) != (0, 0, 0)) if feed else None
    ranked = [s for s in (*meta.stamps, extracted, feed_stamp) if s is not None]
    for precise in (True, False):
        for stamp in ranked:
            if stamp.precise is precise:
                return stamp.at
    return None
