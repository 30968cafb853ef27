"""Saved pages: turn the bytes of a file someone (or a crawler) saved into documents.

Formats by extension: `.html`/`.htm`, `.mhtml`/`.mht` (a browser's "web page,
single file"), `.txt` (an article copied from a browser) and `.warc`/`.warc.gz`.
An optional JSON sidecar (`sidecar_name(name)`) overrides `url`, `published`
and `source`. The flow reads the files; this module only sees bytes.

Failures are `UnreadableFile` with a stable `reason`. A file that yields nothing
raises it; a WARC that yields some documents but also has broken parts
(truncated, a binary payload) returns them in `ReadResult.errors` instead, so
nothing readable is lost and nothing broken goes unreported.
"""

from __future__ import annotations

import email
import hashlib
import io
import json
import re
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import policy
from html.parser import HTMLParser
from typing import BinaryIO, Literal
from urllib.parse import urljoin, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord

from transforms.charset import NotText, Undecodable, decode_html
from transforms.plaintext import TextArticle, parse_plain_text

HTML_SUFFIXES = (".html", ".htm")
MHTML_SUFFIXES = (".mhtml", ".mht")
WARC_SUFFIXES = (".warc", ".warc.gz")
TEXT_SUFFIXES = (".txt",)
# What `read_saved` accepts; the flow uses it to pick files out of a folder.
SUPPORTED_SUFFIXES = HTML_SUFFIXES + MHTML_SUFFIXES + WARC_SUFFIXES + TEXT_SUFFIXES
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SIDECAR_KEYS = frozenset({"url", "published", "source"})
# Only the head is searched for <link rel=canonical> / og:url.
HEAD_SCAN_CHARS = 100_000
_CHUNK = 1 << 20  # how much of an archive is read at a time
# Compressed bytes warcio inflates in one call: gzip inflates at most ~1000x,
# so a record of zeros costs at most ~4 MB at a time (warcio's default: 16 MB).
_GZIP_BLOCK = 4096

Kind = Literal["html", "text"]


class UnreadableFile(Exception):
    """A saved file (or part of one) that cannot be read; `reason` is a stable name.

    Reasons: empty, binary, too_large, undecodable, bad_sidecar,
    truncated_archive, no_html_records, unsupported_type.
    """

    def __init__(self, name: str, reason: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[UnreadableFile], tuple[str, str, str]]:
        """Rebuild from all three fields, so the error survives a worker-process boundary."""
        return (type(self), (self.name, self.reason, self.detail))


@dataclass(frozen=True, slots=True)
class SavedDocument:
    """One readable document from a saved file, with the bytes' hash for dedup."""

    name: str  # file name; for WARC "file.warc.gz#<offset>"
    kind: Kind
    url: str | None  # sidecar > canonical > og:url > MHTML location / WARC target URI
    html: str | None  # decoded HTML (kind == "html")
    text: TextArticle | None  # parsed plain text (kind == "text")
    content_hash: str  # sha256 hex of the file's bytes (a WARC record's payload)
    source: str | None = None  # sidecar override
    published_at: datetime | None = None  # sidecar override
    offset: int = 0  # byte offset of the WARC record in the file (0 for other formats)


@dataclass(frozen=True, slots=True)
class ReadResult:
    """The documents a file yielded, and the named problems met on the way."""

    documents: list[SavedDocument]
    errors: list[UnreadableFile] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Sidecar:
    url: str | None = None
    published: datetime | None = None
    source: str | None = None


def sidecar_name(name: str) -> str:
    """The sidecar file that goes with a saved file: `story.html` -> `story.html.json`."""
    return f"{name}.json"


def sidecar_names(name: str) -> tuple[str, ...]:
    """Names a saved file's sidecar may have, the first that exists wins.

    `story.html.json`, then `story.json` as users name it (any supported
    extension: `feed.warc.gz` -> `feed.json`).
    """
    lowered = name.lower()
    suffix = next((s for s in SUPPORTED_SUFFIXES if lowered.endswith(s)), None)
    if suffix is None:
        return (sidecar_name(name),)
    return (sidecar_name(name), f"{name[: -len(suffix)]}.json")


def file_identity(content_hash: str) -> str:
    """A stable pseudo-URL for a page with no URL: `file:<sha256>`."""
    return f"file:{content_hash}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _absolute_http(url: str | None, base: str | None = None) -> str | None:
    """`url` made absolute against `base` if it is then an http(s) URL, else None."""
    if not url or not url.strip():
        return None
    joined = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(joined)
    return joined if parts.scheme in {"http", "https"} and parts.netloc else None


# --- sidecar ---------------------------------------------------------------


def _parse_published(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _read_sidecar(label: str, data: bytes) -> _Sidecar:

    def bad(detail: str) -> UnreadableFile:
        return UnreadableFile(label, "bad_sidecar", detail)

    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise bad("must be a JSON object")
    unknown = sorted(set(raw) - SIDECAR_KEYS)
    if unknown:
        raise bad(f"unknown keys {unknown}; allowed: {sorted(SIDECAR_KEYS)}")
    wrong = sorted(k for k, v in raw.items() if not isinstance(v, str))
    if wrong:
        raise bad(f"{', '.join(wrong)} must be strings")
    url = raw.get("url")
    if url is not None and _absolute_http(url) is None:
        raise bad(f"url is not an absolute http(s) URL: {url!r}")
    published = None
    if "published" in raw:
        try:
            published = _parse_published(raw["published"])
        except ValueError as exc:
            raise bad(f"published is not an ISO date: {raw['published']!r}") from exc
    return _Sidecar(url=url, published=published, source=raw.get("source"))


# --- HTML ------------------------------------------------------------------


# Where a document's head ends: its first `</head` or `<body`, in any case.
_HEAD_END = re.compile(r"</head|<body", re.IGNORECASE)
# A tag `_HeadLinks` reads, and the whole of one (a quoted value may hold a `>`).
_URL_TAG_START = re.compile(r"<(?:link|meta)", re.IGNORECASE)
_URL_TAG = re.compile(r"<(?:link|meta)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.IGNORECASE)


class _HeadLinks(HTMLParser):
    """Collects the first `<link rel=canonical>` and `og:url` of a document head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.canonical: str | None = None
        self.og_url: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = self.canonical or values.get("href")
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key == "og:url":
                self.og_url = self.og_url or values.get("content")


def _url_tags_end(head: str) -> int:
    """Where the last `<link>` or `<meta>` tag of `head` ends (0 if it has none).

    No tag `_HeadLinks` reads starts after it, so the parser need not read
    the rest (usually most of a head: inline scripts, styles, JSON-LD).
    Where that tag's end cannot be told, the whole head.
    """
    starts = [m.start() for m in _URL_TAG_START.finditer(head)]
    if not starts:
        return 0
    tag = _URL_TAG.match(head, starts[-1])
    return tag.end() if tag else len(head)


def _page_url(html: str, fallback: str | None) -> str | None:
    """canonical > og:url > `fallback` (an MHTML location or WARC target URI).

    The head is parsed up to the end of its last link or meta tag; if the
    parser then still holds an unfinished construct (that tag was really
    inside a comment or a script, or its end was misread), it reads the rest
    of the head too, so the result is what parsing the whole head gives.
    """
    head = html[:HEAD_SCAN_CHARS]
    found = _HEAD_END.search(head)
    head = head[: found.start()] if found else head
    cut = _url_tags_end(head)
    links = _HeadLinks()
    links.feed(head[:cut])
    if links.rawdata:  # the parser's unread input: something it has not finished
        links.feed(head[cut:])
    links.close()
    candidates = (_absolute_http(links.canonical, fallback), _absolute_http(links.og_url, fallback))
    return next((c for c in candidates if c), _absolute_http(fallback))


def _decode(name: str, data: bytes, declared: str | None = None) -> str:
    try:
        text = decode_html(data, declared)
    except (NotText, Undecodable) as exc:
        raise UnreadableFile(name, exc.reason, str(exc)) from exc
    if not text.strip():
        raise UnreadableFile(name, "empty", "no text after decoding")
    return text


def _html_document(
    name: str, data: bytes, declared: str | None = None, location: str | None = None
) -> SavedDocument:
    html = _decode(name, data, declared)
    return SavedDocument(
        name=name,
        kind="html",
        url=_page_url(html, location),
        html=html,
        text=None,
        content_hash=_sha256(data),
    )


# --- formats ---------------------------------------------------------------


def _read_text(name: str, data: bytes) -> list[SavedDocument]:
    article = parse_plain_text(_decode(name, data))
    if article.title is None and not article.body:
        raise UnreadableFile(name, "empty", "no headline or prose, only page furniture")
    return [
        SavedDocument(
            name=name, kind="text", url=None, html=None, text=article, content_hash=_sha256(data)
        )
    ]


def _read_mhtml(name: str, data: bytes) -> list[SavedDocument]:
    message = email.message_from_bytes(data, policy=policy.default)
    part = next((p for p in message.walk() if p.get_content_type() == "text/html"), None)
    if part is None:
        raise UnreadableFile(name, "no_html_records", "no text/html part in the MHTML file")
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.strip():
        raise UnreadableFile(name, "empty", "the text/html part is empty")
    location = message.get("Snapshot-Content-Location") or part.get("Content-Location")
    doc = _html_document(name, payload, part.get_content_charset(), location)
    return [replace(doc, content_hash=_sha256(data))]


def _is_html_response(record: ArcWarcRecord) -> bool:
    http = record.http_headers
    if record.rec_type != "response" or http is None:
        return False
    content_type = (http.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return content_type in HTML_TYPES and (http.get_statuscode() or "").startswith("2")


def _warc_record(
    name: str, records: ArchiveIterator, record: ArcWarcRecord, max_bytes: int
) -> SavedDocument | None:
    """The HTML document in the current WARC record, None if not a 2xx HTML response.

    Every record is read to its end to check it is complete. The offset is asked
    for only after that: warcio skips to the end of the record when asked earlier.
    """
    html = _is_html_response(record)
    payload = record.content_stream().read(max_bytes + 1) if html else b""
    for _ in iter(lambda: record.raw_stream.read(_CHUNK), b""):
        pass  # to the record's end, a chunk at a time: a payload may inflate to gigabytes
    offset = records.get_record_offset()
    doc_name = f"{name}#{offset}"
    cut = isinstance(record.raw_stream, LimitReader) and record.raw_stream.limit > 0
    length = record.rec_headers.get_header("Content-Length") or ""
    header_cut = not record.rec_type or not length.isdigit()
    if cut or header_cut:
        raise UnreadableFile(doc_name, "truncated_archive", "the archive ends inside this record")
    if not html:
        return None
    if len(payload) > max_bytes:
        raise UnreadableFile(doc_name, "too_large", f"record payload over {max_bytes} bytes")
    if not payload.strip():
        raise UnreadableFile(doc_name, "empty", "the record has no payload")
    content_type = record.http_headers.get_header("Content-Type")
    target = record.rec_headers.get_header("WARC-Target-URI")
    return replace(_html_document(doc_name, payload, content_type, target), offset=offset)


def _rest_is_blank(stream: BinaryIO, end: int) -> bool:
    """Whether the file holds nothing but padding after byte `end`, read a chunk at a time."""
    stream.seek(end)
    return all(not chunk.strip(b"\r\n\x00 ") for chunk in iter(lambda: stream.read(_CHUNK), b""))


def _read_warc(name: str, stream: BinaryIO, max_bytes: int) -> ReadResult:
    """Documents from every 2xx HTML response record; broken records become errors.

    The archive is streamed: each record's payload is read up to `max_bytes`
    and the rest of it skipped in chunks, so no record is ever held whole. A
    truncated archive keeps the records read before the cut and adds a
    `truncated_archive` error; it raises only when no document was read.
    """
    documents: list[SavedDocument] = []
    errors: list[UnreadableFile] = []
    records = ArchiveIterator(stream, block_size=_GZIP_BLOCK)
    end = 0  # where the last complete record ends
    try:
        for record in records:
            if record.format != "warc":
                # warcio reads any text as an old-style ARC record; we accept only WARC.
                raise ArchiveLoadFailed("not a WARC record")
            try:
                doc = _warc_record(name, records, record, max_bytes)
            except UnreadableFile as exc:
                errors.append(exc)
            else:
                documents.extend([doc] if doc else [])
            end = records.get_record_offset() + records.get_record_length()
    except ArchiveLoadFailed as exc:
        errors.append(UnreadableFile(name, "undecodable", f"not a readable WARC: {exc}"))
    except AttributeError as exc:
        # warcio fails this way (a None URI) when the archive ends inside a record header.
        errors.append(UnreadableFile(name, "truncated_archive", f"a record header is cut: {exc}"))
    except (zlib.error, EOFError) as exc:
        errors.append(UnreadableFile(name, "truncated_archive", f"a gzip member is cut: {exc}"))
    else:
        # warcio stops quietly at a partial gzip member or a cut header: bytes are left over.
        if not _rest_is_blank(stream, end):
            detail = f"the archive ends inside a record after byte {end}"
            errors.append(UnreadableFile(name, "truncated_archive", detail))
    if not documents:
        if errors:
            raise errors[0]
        raise UnreadableFile(name, "no_html_records", "no 2xx HTML response records")
    return ReadResult(documents, errors)


def _apply_sidecar(result: ReadResult, sidecar: _Sidecar, label: str) -> ReadResult:
    if len(result.documents) > 1 and (sidecar.url or sidecar.published):
        raise UnreadableFile(label, "bad_sidecar", "url/published cannot apply to many documents")
    documents = [
        replace(
            doc,
            url=sidecar.url or doc.url,
            source=sidecar.source,
            published_at=sidecar.published,
        )
        for doc in result.documents
    ]
    return ReadResult(documents, result.errors)


def read_saved(
    name: str,
    data: bytes | BinaryIO,
    sidecar: bytes | None = None,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    sidecar_file: str | None = None,
) -> ReadResult:
    """Read one saved file into documents; raise UnreadableFile if it yields none.

    `max_bytes` limits the file, or for a WARC each record's payload (archives
    are routinely larger than any one page). A WARC may come as a seekable
    binary stream, read record by record; other formats come as bytes.
    `sidecar_file` names the sidecar in errors (default `sidecar_name(name)`).
    """
    lowered = name.lower()
    is_warc = lowered.endswith(WARC_SUFFIXES)
    if not lowered.endswith(SUPPORTED_SUFFIXES):
        allowed = ", ".join(SUPPORTED_SUFFIXES)
        raise UnreadableFile(name, "unsupported_type", f"not one of {allowed}")
    if isinstance(data, bytes):
        stream = io.BytesIO(data) if is_warc else None
    elif is_warc:
        stream = data
    else:
        stream, data = None, data.read(max_bytes + 1)
    if stream is not None:
        head = stream.read(_CHUNK)
        stream.seek(0)
        if not head.strip():
            raise UnreadableFile(name, "empty", "the file is empty")
    elif not data.strip():
        raise UnreadableFile(name, "empty", "the file is empty")
    if not is_warc and len(data) > max_bytes:
        raise UnreadableFile(name, "too_large", f"{len(data)} bytes is over {max_bytes}")
    label = sidecar_file or sidecar_name(name)
    meta = _read_sidecar(label, sidecar) if sidecar is not None else _Sidecar()
    if stream is not None:
        result = _read_warc(name, stream, max_bytes)
    elif lowered.endswith(MHTML_SUFFIXES):
        result = ReadResult(_read_mhtml(name, data))
    elif lowered.endswith(TEXT_SUFFIXES):
        result = ReadResult(_read_text(name, data))
    else:
        result = ReadResult([_html_document(name, data)])
    return _apply_sidecar(result, meta, label)
