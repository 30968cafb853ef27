"""Article extraction: HTML bytes in, a clean `Article` (or a named `Failure`) out.

trafilatura finds the main text (at its precision setting, widening to its
balanced and recall settings when that finds nothing, and taking its recall
setting's text when precision's covers little of the page; its comparison with
readability and jusText runs only where it can change precision's result) and
the metadata (sitename, categories, tags, canonical URL); `transforms.metadata`
reconciles headline, authors and date from every source the page offers; a line-level
filter then removes site furniture trafilatura keeps (newsletter prompts,
partner links). It is CPU-bound, so `ExtractorPool` spreads a batch over a
process pool sized to the cores. Nothing here touches the network.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from multiprocessing import forkserver, get_context
from multiprocessing.context import BaseContext
from typing import Any

import trafilatura.core
from htmldate import find_date
from lxml.etree import LxmlError, XPath, _Element
from lxml.html import HtmlElement
from trafilatura import bare_extraction, load_html
from trafilatura.external import SANITIZED_XPATH, compare_extraction
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, Extractor, use_config
from trafilatura.utils import line_processing

from mediawatch.lifetime import exit_when_gone
from schemas.records import Article, Failure, Page
from transforms.boilerplate import boilerplate_kind
from transforms.charset import decode_html
from transforms.metadata import (
    INLINE,
    choose_authors,
    choose_published,
    choose_title,
    page_body,
    parse_stamp,
    read_page,
)
from transforms.plaintext import TextArticle, url_date
from transforms.urls import InvalidURL, article_id, canonicalize

_CONFIG = use_config()
# trafilatura's timeout uses SIGALRM, which only works in a main thread; the
# pool's workers and Prefect's task threads are not that.
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%d %H:%M"}
_LANG = re.compile(r"^[A-Za-z]{2,3}")
_WS = re.compile(r"\s+")
# A `<title>` whose end tag is missing (a truncated or damaged page): the parser reads
# the rest of the page as the title, leaving no body. Its text ends at the line's end.
_OPEN_TITLE = re.compile(r"(<title[^>]*>[^<\n]*)", re.I)
_TITLE_END = re.compile(r"</title", re.I)
# Block elements that make a text a web page whatever it opens with (see `_load`).
_MARKUP = re.compile(r"<(?:body|div|p|table|td|article|h[1-6])\b", re.I)
# What trafilatura's JSON-LD reader raises on data it does not expect; its own
# `extract_metadata` then keeps the metadata read before it, and so does `_page_metadata`.
_JSON_LD_BUGS = (AttributeError, IndexError, KeyError, TypeError, ValueError)
# trafilatura settings tried in turn until one finds text (see `_main_text`).
_FOCUS_LADDER: tuple[dict[str, bool], ...] = ({"favor_precision": True}, {}, {"favor_recall": True})
# Precision's text is suspect when it is shorter than this share of the page's visible
# text (trafilatura's own under-extraction gate, ESCALATION_PAGE_SHARE): only then is the
# recall setting run too (see `_recall_text`).
_INCOMPLETE_SHARE = 0.2
# Recall's text replaces precision's when it is at most this many times as long (more is
# the page's furniture swept in), or when precision kept a scrap shorter than
# `_SCRAP_CHARS` and recall found at least `_STORY_SHARE` of the page's visible text.
_RECALL_GROWTH = 2.0
_SCRAP_CHARS = 1000
_STORY_SHARE = 0.3
# trafilatura's category and tag searches (`extract_catstags`: ten queries of the whole
# page) keep only links whose address has such a folder ("/category/", "/tags/"); on a
# page with none, categories come from its section meta tags alone.
_CATSTAG_FOLDER = {
    kind: re.compile(f"/{kind.rstrip('y')}(?:y|ies|s)?/") for kind in ("category", "tag")
}
_LINK_TARGETS = XPath("//a/@href", smart_strings=False)
_SECTION_META = XPath(
    './/head//meta[@property="article:section" or contains(@name, "subject")][@content]'
)
# Elements whose text a browser does not show.
_HIDDEN = ("script", "style", "noscript", "template")
# What readability (trafilatura's first fallback) drops before it reads a page, and the word
# it writes into each video iframe it keeps.
_UNREAD = ("script", "style")
_VIDEO_WORD = len("VIDEO")
_NORMALIZED_LENGTH = XPath("string-length(normalize-space())")
# The queries of trafilatura's `compare_extraction` that send a result to its fallbacks.
_FALLBACK_MARKUP = XPath(SANITIZED_XPATH)
_PARAGRAPH_TEXT = XPath(".//p//text()")
# Subheadings of the story (see `_with_subheadings`).
_SUBHEADINGS = ("h2", "h3", "h4", "h5", "h6")
_MAX_SUBHEADING = 150
_LINE_KEY = 40
# Batches smaller than this are extracted in-process: starting workers costs more.
_POOL_MIN_BATCH = 4
# A pool worker's young-generation garbage collection threshold (Python's default: 700).
_WORKER_GC_THRESHOLD = 10_000


def content_hash(title: str | None, body: str) -> str:
    """Hash of the normalised title and body: equal for the same text however it was spaced."""
    normalised = _WS.sub(" ", f"{title or ''}\n{body}").strip().casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def text_article(
    *,
    article_id: str,
    url: str,
    canonical_url: str,
    source: str,
    title: str | None,
    body: str,
    fetched_at: datetime,
    **metadata: Any,
) -> Article:
    """An article whose content hash and word count are derived from its title and body.

    Every way of making an article (extracted page, plain-text file, feed
    fallback) goes through here, so the change-detection hash is computed one way.
    """
    return Article(
        article_id=article_id,
        url=url,
        canonical_url=canonical_url,
        source=source,
        title=title,
        body=body,
        content_hash=content_hash(title, body),
        word_count=len(body.split()),
        fetched_at=fetched_at,
        **metadata,
    )


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None


def _language(tree_lang: str | None, found: str | None) -> str | None:
    for candidate in (found, tree_lang):
        if candidate and (match := _LANG.match(candidate.strip())):
            return match.group(0).lower()[:2]
    return None


def _identity(page: Page, declared: str | None) -> tuple[str, str]:
    """Pick the URL the article is known by and its canonical form.

    The feed link (or the saved file's URL) is authoritative: the id must be
    known before fetching so that known articles are not fetched again. A
    page's own canonical link is used only when nothing else identifies it.
    """
    for candidate in (page.url, page.final_url, declared):
        if not candidate:
            continue
        try:
            return candidate, canonicalize(candidate)
        except InvalidURL:
            continue
    return page.url, page.url


def _close_title(html: str) -> str:
    """The page with an unclosed `<title>` closed where its line ends, so its body parses."""
    opened = _OPEN_TITLE.search(html)
    if opened is None or _TITLE_END.search(html, opened.end()):
        return html
    return f"{html[: opened.end()]}</title>{html[opened.end() :]}"


def _load(html: str) -> HtmlElement | None:
    """The page's tree; a page whose start names no `html` but holds markup is read too.

    trafilatura rejects a page that opens without "html" in its first characters
    and parses to a lone body: a crawl that cut the page's start ("<!DOCTYPE htm"
    then the layout) or a corpus wrapper ("<text id=...>" around the page). Such a
    page still holds its story, so it is read again inside an `<html>` element.
    """
    tree = load_html(html)
    if tree is None and _MARKUP.search(html):
        tree = load_html(f"<html>{html}")
    return tree


def _strip_title(text: str, title: str | None) -> str:
    """Drop the headline when trafilatura repeats it as the first line of the body."""
    if title:
        first, _, rest = text.partition("\n")
        if first.strip().casefold() == title.strip().casefold():
            return rest
    return text


def _drop_furniture(text: str) -> str:
    """The text without the lines the boilerplate rules name (newsletter prompts, share bars).

    Only whole furniture lines go: trafilatura has already cut the page's
    furniture blocks, and dropping every repeated short line as well (what the
    plain-text path needs) cost table rows and list items on real pages.
    """
    return "\n".join(line for line in text.splitlines() if not boilerplate_kind(line)).strip()


def _line_key(text: str) -> str:
    """A line's start, whitespace collapsed: how `_with_subheadings` finds a block's line."""
    return " ".join(text.split())[:_LINE_KEY]


def _beside(heading: HtmlElement, *, after: bool) -> HtmlElement | None:
    """The nearest element after (or before) a heading that shows text; beside its
    wrapper when the heading is the wrapper's only element (`<header><h2>`)."""
    node = heading
    while (parent := node.getparent()) is not None and len(parent) == 1:
        node = parent
    return next(
        (
            el
            for el in node.itersiblings(preceding=not after)
            if isinstance(el.tag, str) and el.tag not in _HIDDEN and el.text_content().strip()
        ),
        None,
    )


def _first_line(element: HtmlElement) -> str:
    """The start of the first line an element shows: its first text's non-inline owner."""
    for found in element.iter():
        if isinstance(found.tag, str) and found.tag not in _HIDDEN and (found.text or "").strip():
            owner = found
            while owner is not element and owner.tag in INLINE:
                owner = owner.getparent()
            return _line_key(owner.text_content())
    return _line_key(element.text_content())


def _with_subheadings(body: HtmlElement | None, text: str) -> str:
    """The text with the story's subheadings that trafilatura's precision setting dropped.

    Precision deletes a heading that is all link (a list's "“Game” ($30)"), one
    inside a `<header>` element, or one above a list of links, while keeping
    the paragraphs around it; the reader sees the heading between them. A
    heading (h2-h6) goes back in, before the line of the element after it, only
    when the text keeps that line and, right before it, a line of the element
    before the heading (a furniture heading then goes with the body's other
    furniture lines).
    """
    headings = list(body.iter(*_SUBHEADINGS)) if body is not None else []
    if not headings:
        return text
    lines = text.splitlines()
    where: dict[str, int] = {}
    for at, line in enumerate(lines):
        where.setdefault(_line_key(line), at)
    inserts: dict[int, str] = {}
    for heading in headings:
        title = " ".join(heading.text_content().split())
        if not title or len(title) > _MAX_SUBHEADING or _line_key(title) in where:
            continue
        after = _beside(heading, after=True)
        at = where.get(_first_line(after)) if after is not None else None
        if not at or at in inserts:
            continue
        before = _beside(heading, after=False)
        shown = " ".join(before.text_content().split()) if before is not None else ""
        if (previous := _line_key(lines[at - 1])) and previous in shown:
            inserts[at] = title
    if not inserts:
        return text
    return "\n".join(
        part
        for at, line in enumerate(lines)
        for part in ((inserts[at], line) if at in inserts else (line,))
    )


def _page_metadata(tree: HtmlElement, url: str | None) -> Document:
    """trafilatura's metadata of a page: the steps of its `extract_metadata`, in its order.

    Two steps are left out, whose results nothing here uses: the licence
    search, which copies every footer link to read its text (about 1.7 ms of
    a real page's 30 ms of CPU), and the host name. Read once, before the
    extraction ladder: each setting tried used to read it again.
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    with contextlib.suppress(*_JSON_LD_BUGS):
        metadata = extract_meta_json(tree, metadata)
    metadata.title = metadata.title or extract_title(tree)
    metadata.author = metadata.author or extract_author(tree)
    metadata.url = metadata.url or extract_url(tree, url)
    metadata.date = find_date(tree, **_DATE_PARAMS, url=metadata.url)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        site = metadata.sitename.lstrip("@")
        metadata.sitename = (
            site.title() if site and "." not in site and not site[0].isupper() else site
        )
    elif metadata.url and (found := META_URL.match(metadata.url)):
        metadata.sitename = found[1]
    if not (metadata.categories and metadata.tags):
        targets = _LINK_TARGETS(tree)
        metadata.categories = metadata.categories or _catstags("category", tree, targets)
        metadata.tags = metadata.tags or _catstags("tag", tree, targets)
    metadata.clean_and_trim()
    return metadata


def _catstags(kind: str, tree: HtmlElement, targets: list[str]) -> list[str]:
    """trafilatura's categories or tags of the page (`extract_catstags`), its link searches
    run only when a link's address (of `targets`) has a folder of that kind (2 ms a page)."""
    if any(_CATSTAG_FOLDER[kind].search(target) for target in targets):
        return extract_catstags(kind, tree)
    found = (el.get("content") for el in _SECTION_META(tree)) if kind == "category" else ()
    return [r for r in dict.fromkeys(line_processing(x) for x in found if x) if r]


class _Options(Extractor):
    """trafilatura's options for an extraction of ours: by this class
    `_compare_where_it_can_matter` tells our calls from any other of the process."""

    __slots__ = ()


def _extraction(tree: HtmlElement, url: str, **focus: bool) -> Document | None:
    """trafilatura's main text of the tree at one setting (its metadata: `_page_metadata`)."""
    options = _Options(
        config=_CONFIG,
        output_format="python",
        precision=focus.get("favor_precision", False),
        recall=focus.get("favor_recall", False),
        comments=False,
        tables=True,
        url=url,
    )
    return bare_extraction(tree, options=options)


def _readable_chars(tree: HtmlElement) -> int:
    """At least as many characters as readability's text of the tree can have.

    Readability keeps a part of the page's text, in the page's order, without
    scripts and styles, and writes one word into each video iframe it keeps;
    trafilatura's `trim` then counts a whitespace run as one. The page's text is
    measured by libxml2 (`normalize-space`, which counts no more runs), each script
    and style taken off (their text is most of a page's): collapsing the text in
    Python cost three times as much.
    """
    unread = sum(int(_NORMALIZED_LENGTH(el)) for el in tree.iter(*_UNREAD))
    video_words = sum(1 for _ in tree.iter("iframe"))
    return int(_NORMALIZED_LENGTH(tree)) - unread + (_VIDEO_WORD + 1) * video_words


def _fallback_cannot_win(
    raw_tree: HtmlElement, body: _Element, text: str, options: Extractor
) -> bool:
    """Whether trafilatura's `compare_extraction` must keep precision's own result.

    It hands the result to jusText when the text is short or keeps page furniture,
    and to readability's when readability's text is over twice as long, or when the
    result has no paragraph text or more tables than paragraphs. Where none of that
    can happen, running readability (about 5 ms a page) changes nothing.
    """
    return (
        options.focus == "precision"
        and len(text) >= options.min_extracted_size
        and bool(_PARAGRAPH_TEXT(body))
        and len(body.findall(".//table")) <= len(body.findall(".//p"))
        and not _FALLBACK_MARKUP(body)
        and 2 * len(text) >= _readable_chars(raw_tree)
    )


def _compare_where_it_can_matter(
    cleaned_tree: HtmlElement, raw_tree: HtmlElement, body: _Element, text: str, options: Extractor
) -> tuple[_Element, str]:
    """trafilatura's comparison of its result with its fallback extractors, left out of our
    precision extractions where `_fallback_cannot_win`: the same result, at less cost."""
    if isinstance(options, _Options) and _fallback_cannot_win(raw_tree, body, text, options):
        return body, text
    return compare_extraction(cleaned_tree, raw_tree, body, text, options)


# trafilatura's extraction looks this name up in its module at every call.
trafilatura.core.compare_extraction = _compare_where_it_can_matter


def _visible_chars(tree: HtmlElement) -> int:
    """How many characters of text the page's body shows, whitespace runs counted as one.

    A cheap measure of the page (about 0.5 ms), against which precision's
    text is judged: trafilatura's own `html2txt` costs ten times as much.
    """
    root = page_body(tree)
    shown = len(" ".join(root.text_content().split()))
    return shown - sum(len(" ".join(el.text_content().split())) for el in root.iter(*_HIDDEN))


def _recall_text(tree: HtmlElement, url: str, precise: str) -> str:
    """The recall setting's text where precision's looks incomplete, else precision's.

    Precision sometimes keeps a scrap of the story (a caption, a teaser) or
    drops most of its paragraphs. Recall is run only when precision's text
    is under `_INCOMPLETE_SHARE` of the page's visible text (a tenth of the
    pages, so the second pass costs little), and its text is taken only when
    it is the same order of length, or when precision's was a scrap and
    recall's a fair share of the page: longer than that, recall has swept in
    link lists and teasers.
    """
    visible = _visible_chars(tree)
    if len(precise) >= _INCOMPLETE_SHARE * visible:
        return precise
    wide = _extraction(tree, url, favor_recall=True)
    text = wide.text if wide is not None and wide.text else ""
    if len(text) <= _RECALL_GROWTH * len(precise) or (
        len(precise) < _SCRAP_CHARS and len(text) >= _STORY_SHARE * visible
    ):
        return text or precise
    return precise


def _main_text(tree: HtmlElement, url: str) -> tuple[Document, str] | None:
    """trafilatura's result at the first setting of `_FOCUS_LADDER` that finds text, and the
    body text to keep, or None.

    Precision keeps furniture out. Where its text covers little of the page,
    `_recall_text` may take recall's instead (for the body only: the headline
    is chosen from precision's result). Where precision finds nothing (a
    short story, an unusual layout), the balanced setting adds trafilatura's
    baseline fallback and recall its widest pass, so a page with a story is
    not left empty.
    """
    for focus in _FOCUS_LADDER:
        doc = _extraction(tree, url, **focus)
        if doc is not None and doc.text:
            if focus is _FOCUS_LADDER[0]:
                return doc, _recall_text(tree, url, doc.text)
            return doc, doc.text
    return None


def extract(page: Page) -> Article | Failure:
    """Extract one page. Never raises for bad content: returns a `Failure` with a reason."""

    def failed(reason: str, message: str) -> Failure:
        return Failure(page.source, page.url, "extract", reason, message)

    if not page.content.strip():
        return failed("empty", f"{page.url}: empty document")
    try:
        html = decode_html(page.content, _charset(page.content_type))
        tree = _load(_close_title(html))
    except (ValueError, LxmlError) as exc:
        return failed("undecodable", f"{page.url}: cannot parse HTML: {exc}")
    if tree is None:
        return failed("not_html", f"{page.url}: not an HTML document")
    tree_lang = tree.get("lang")
    where = page.final_url or page.url
    meta = read_page(tree, where, html)
    found = _page_metadata(tree, where)
    extracted = _main_text(tree, where or found.url or "")
    if extracted is None:
        return failed("no_text", f"{page.url}: no article text found by any setting")
    doc, text = extracted
    item = page.item
    # The story's first paragraph: a layout table's row ("| ... |") only when nothing else is.
    long_lines = [line for line in doc.text.splitlines() if len(line.split()) >= 12]
    lead = next((ln for ln in long_lines if not ln.startswith("|")), next(iter(long_lines), None))
    title = choose_title(meta, found.title, item.title if item else None, lead, doc.text)
    body = _drop_furniture(_strip_title(_with_subheadings(meta.page, text), title))
    url, canonical = _identity(page, found.url)
    return text_article(
        article_id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source=page.source,
        title=title,
        body=body,
        fetched_at=page.fetched_at,
        author=choose_authors(meta, found.author, item.author if item else None),
        published_at=page.published_at
        or choose_published(meta, parse_stamp(found.date), item.published_at if item else None),
        language=_language(tree_lang, doc.language),
        sitename=found.sitename,
        description=found.description or (item.summary if item else None),
        categories=list(found.categories or []),
        tags=list(found.tags or []),
        guid=item.guid if item else None,
        raw_file=page.raw_file,
        raw_offset=page.raw_offset,
    )


def default_workers(configured: int = 0) -> int:
    """Worker processes to use: the configured number, or one per available core."""
    if configured > 0:
        return configured
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def start_forkserver() -> BaseContext:
    """Start the forkserver the pool's workers come from, with trafilatura and datasketch imported.

    Idempotent. Called ahead of a run (`mediawatch.prefect_api`), the server
    imports trafilatura on a free core while Prefect's API starts, instead of
    when the first batch waits for its workers.
    """
    context = get_context("forkserver")
    # The workers' `work` is `transforms.prepare.Preparer`; its MinHash needs datasketch.
    context.set_forkserver_preload(["transforms.extract", "transforms.prepare", "datasketch"])
    forkserver.ensure_running()
    return context


def _start_worker(parent: int) -> None:
    """Set up a pool worker: it ends with `parent`, and spends less time collecting garbage.

    Collection took about 1.1 ms of a page's 26 ms of CPU (gc.callbacks, 200
    bench pages): hundreds of young-generation passes over a page's
    short-lived objects, and full passes over every module imported at start.
    `gc.freeze` keeps those modules out of the full passes and a higher
    threshold makes passes rarer: 0.1 ms a page. Results do not change.
    """
    exit_when_gone(parent)
    gc.freeze()
    gc.set_threshold(_WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


class ExtractorPool:
    """A process pool for extraction, created once per run and reused for every batch.

    Workers start with the forkserver method: forking a process that runs
    Prefect's threads can deadlock, and spawn would re-import everything per
    worker each time. `work` is what the workers run on each page: `extract`,
    or a picklable callable doing more per article beside it
    (`transforms.prepare.Preparer`).
    """

    CHUNK_PAGES = 8  # pages sent to a worker at once, at most

    def __init__(self, workers: int = 0, work: Callable[[Page], Any] = extract) -> None:
        self.workers = default_workers(workers)
        self.work = work
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> ExtractorPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None

    def start(self, pages: int) -> None:
        """Start the workers now, in a background thread, if `pages` pages will use them.

        A forkserver pool starts its workers at its first task, and the
        thread submitting it waits for the forkserver to have imported
        trafilatura: started while the run reads its first files, that wait
        no longer holds up the first batch. A pool that cannot start is
        reported by the first batch's own `map`.
        """
        if self.workers > 1 and pages >= _POOL_MIN_BATCH:
            threading.Thread(target=_first_task, args=(self._pool(),), daemon=True).start()

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # A worker ends within a second of this process, even if it is killed outright.
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=start_forkserver(),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return self._executor

    def map(self, pages: Sequence[Page]) -> Iterator[Any]:
        """Run `work` on pages in order, in the pool when the batch is big enough to pay for it.

        Pages go to the workers a few at a time (`CHUNK_PAGES`): when the
        last pages of a run are extracted, a worker with a long chunk left
        would keep the other waiting.
        """
        if self.workers == 1 or len(pages) < _POOL_MIN_BATCH:
            return map(self.work, pages)
        chunk = max(1, min(self.CHUNK_PAGES, len(pages) // (self.workers * 4)))
        return self._pool().map(self.work, pages, chunksize=chunk)


def _first_task(executor: ProcessPoolExecutor) -> None:
    """Submit a no-op task, which starts the pool's workers (see `ExtractorPool.start`)."""
    with contextlib.suppress(BrokenProcessPool, RuntimeError):
        executor.submit(int)


def from_plain_text(text: TextArticle, *, url: str, source: str, fetched_at: datetime) -> Article:
    """Build an article from a parsed plain-text page; its URL may be a `file:` identity."""
    try:
        canonical = canonicalize(url)
    except InvalidURL:
        canonical = url
    return text_article(
        article_id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source=source,
        title=text.title,
        body=text.body,
        fetched_at=fetched_at,
        author=text.author,
        published_at=text.published_at or url_date(canonical),
        description=text.standfirst,
    )
