"""Saved files: every format, URL precedence, sidecars, and every named failure."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from transforms.saved_pages import (
    UnreadableFile,
    file_identity,
    read_saved,
    sidecar_name,
)

PARAGRAPH = "Ferry crossings between Varnholm and the mainland will resume on Friday."


def html_page(*, canonical: str | None = None, og_url: str | None = None, body: str = "") -> str:
    head = ""
    if og_url:
        head += f'<meta property="og:url" content="{og_url}">'
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">'
    return (
        f"<html><head>{head}<title>Ferry</title></head><body><p>{PARAGRAPH}{body}</p></body></html>"
    )


def reason_of(name: str, data: bytes, **kwargs: object) -> str:
    with pytest.raises(UnreadableFile) as info:
        read_saved(name, data, **kwargs)  # type: ignore[arg-type]
    assert info.value.name.startswith(name.split("#", maxsplit=1)[0])
    assert name in str(info.value)
    return info.value.reason


# --- HTML and sidecars -----------------------------------------------------


def test_html_fixture_decodes_and_prefers_canonical(fixtures_dir: Path) -> None:
    data = (fixtures_dir / "saved" / "ferry.html").read_bytes()
    [doc] = read_saved("ferry.html", data).documents
    assert doc.kind == "html"
    assert doc.url == "https://courier.example/news/ferry-reopens"
    assert doc.html is not None and "reopen – Varnholm Courier" in doc.html
    assert doc.text is None
    assert doc.content_hash == hashlib.sha256(data).hexdigest()
    assert (doc.source, doc.published_at) == (None, None)


def test_sidecar_overrides_url_source_and_date(fixtures_dir: Path) -> None:
    saved = fixtures_dir / "saved"
    sidecar = (saved / sidecar_name("ferry.html")).read_bytes()
    result = read_saved("ferry.html", (saved / "ferry.html").read_bytes(), sidecar)
    [doc] = result.documents
    assert doc.url == "https://courier.example/news/ferry-sidecar"
    assert doc.source == "Varnholm Courier"
    assert doc.published_at == datetime(2022, 8, 3, tzinfo=UTC)
    assert result.errors == []


def test_og_url_when_no_canonical() -> None:
    data = html_page(og_url="https://courier.example/og").encode()
    assert read_saved("a.htm", data).documents[0].url == "https://courier.example/og"


def test_relative_canonical_without_base_is_skipped() -> None:
    data = html_page(canonical="/news/ferry", og_url="https://courier.example/og").encode()
    assert read_saved("a.html", data).documents[0].url == "https://courier.example/og"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # The head is parsed up to its last link or meta tag, then on if the parser is
        # inside something there: the cut must never make or lose a tag.
        ('<!-- x > <link rel=canonical href="https://a.example/hidden"> -->', None),
        ("<!-- <link rel=canonical href=https://a.example/open-comment>", None),
        ('<script>s = "<link rel=canonical href=https://a.example/js>";</script>', None),
        ('<link rel="canonical" href="https://a.example/q?x=>y"><style>b{}</style>', "q?x=>y"),
        ("<LINK REL=CANONICAL HREF=https://a.example/upper><BODY>", "upper"),
        ('<link a"b rel=canonical href="https://a.example/odd>y">', "odd>y"),
        ('<meta property="og:url" content="https://a.example/og"><!-- <link rel=x> -->', "og"),
        ("<meta property=og:url content=https://a.example/late><script>x</script>", "late"),
    ],
)
def test_head_links_are_read_as_a_parser_reads_them(head: str, expected: str | None) -> None:
    data = f"<html><head>{head}</head><body><p>{PARAGRAPH}</p></body></html>".encode()
    url = read_saved("a.html", data).documents[0].url
    assert url == (f"https://a.example/{expected}" if expected else None)


def test_no_url_and_file_identity() -> None:
    data = html_page().encode()
    [doc] = read_saved("a.html", data).documents
    assert doc.url is None
    assert file_identity(doc.content_hash) == f"file:{hashlib.sha256(data).hexdigest()}"


def test_sidecar_published_with_offset_is_utc() -> None:
    sidecar = json.dumps({"published": "2022-08-03T10:56:00+02:00"}).encode()
    [doc] = read_saved("a.html", html_page().encode(), sidecar).documents
    assert doc.published_at == datetime(2022, 8, 3, 8, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sidecar", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"url": "https://x.example/", "pubished": "2022-08-03"}', "unknown keys"),
        (b'{"source": 3}', "source must be strings"),
        (b'{"url": "/relative/path"}', "absolute http"),
        (b'{"published": "3rd of August"}', "ISO date"),
        (b"\xff\xfe{}", "not valid JSON"),
    ],
)
def test_bad_sidecar_is_named(sidecar: bytes, fragment: str) -> None:
    with pytest.raises(UnreadableFile, match=fragment) as info:
        read_saved("story.html", html_page().encode(), sidecar)
    assert info.value.reason == "bad_sidecar"
    assert "story.html.json" in str(info.value)


# --- plain text --------------------------------------------------------------


def test_text_file(fixtures_dir: Path) -> None:
    data = (fixtures_dir / "saved" / "copied_article.txt").read_bytes()
    sidecar = b'{"url": "https://courier.example/news/ferry"}'
    [doc] = read_saved("copied_article.txt", data, sidecar).documents
    assert doc.kind == "text"
    assert doc.html is None
    assert doc.url == "https://courier.example/news/ferry"
    assert doc.text is not None
    assert doc.text.title == "Varnholm ferry link to reopen after storm repairs"
    assert doc.text.author == "Lena Ostrova"


def test_text_file_in_legacy_charset() -> None:
    text = "Café reopens on Varnholm quay\nBy Jane Doe\n\nThe café by the pier reopened on Friday."
    [doc] = read_saved("cafe.txt", text.encode("cp1252")).documents
    assert doc.text is not None
    assert doc.text.title == "Café reopens on Varnholm quay"
    assert doc.text.body == "The café by the pier reopened on Friday."


# --- MHTML ---------------------------------------------------------------------


def mhtml(
    html: str, *, charset: str, cte: str, snapshot: str | None, location: str | None
) -> bytes:
    message = EmailMessage()
    if snapshot:
        message["Snapshot-Content-Location"] = snapshot
    message["Subject"] = "Ferry"
    message.make_related()
    message.add_related(html.encode(charset), "text", "html", cte=cte)
    part = message.get_payload()[0]
    part.set_param("charset", charset)
    if location:
        part["Content-Location"] = location
    message.add_related(b"\x89PNG\r\n\x1a\n\x00", "image", "png", cte="base64")
    return message.as_bytes()


@pytest.mark.parametrize(
    ("charset", "cte"),
    [("utf-8", "quoted-printable"), ("windows-1251", "base64"), ("iso-8859-1", "quoted-printable")],
)
def test_mhtml_html_part_is_decoded(charset: str, cte: str) -> None:
    extra = " Паром." if charset == "windows-1251" else " Café."
    data = mhtml(html_page(body=extra), charset=charset, cte=cte, snapshot=None, location=None)
    [doc] = read_saved("page.mhtml", data).documents
    assert doc.kind == "html"
    assert doc.html is not None and PARAGRAPH + extra in doc.html
    assert doc.content_hash == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("canonical", "og_url", "snapshot", "location", "expected"),
    [
        (
            "https://c.example/canon",
            "https://c.example/og",
            "https://c.example/snap",
            None,
            "https://c.example/canon",
        ),
        (None, "https://c.example/og", "https://c.example/snap", None, "https://c.example/og"),
        (None, None, "https://c.example/snap", "https://c.example/loc", "https://c.example/snap"),
        (None, None, None, "https://c.example/loc", "https://c.example/loc"),
        ("/canon", None, "https://c.example/dir/snap", None, "https://c.example/canon"),
        (None, None, None, None, None),
    ],
)
def test_mhtml_url_precedence(
    canonical: str | None,
    og_url: str | None,
    snapshot: str | None,
    location: str | None,
    expected: str | None,
) -> None:
    page = html_page(canonical=canonical, og_url=og_url)
    data = mhtml(
        page, charset="utf-8", cte="quoted-printable", snapshot=snapshot, location=location
    )
    assert read_saved("page.mht", data).documents[0].url == expected


def test_mhtml_without_html_part() -> None:
    message = EmailMessage()
    message.set_content("just text")
    assert reason_of("page.mhtml", message.as_bytes()) == "no_html_records"


# --- WARC ------------------------------------------------------------------------


def warc(records: list[tuple[str, str, str, bytes]], *, gzip: bool = True) -> bytes:
    """A WARC with one response record per (uri, status, content type, payload)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip)
    for uri, status, content_type, payload in records:
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                uri, "response", payload=io.BytesIO(payload), http_headers=headers
            )
        )
    return buffer.getvalue()


def page_bytes(n: int, **kwargs: str) -> bytes:
    return html_page(body=f" Page {n}. " + "Filler text. " * 40, **kwargs).encode()


THREE = [
    ("https://c.example/1", "200 OK", "text/html; charset=utf-8", page_bytes(1)),
    ("https://c.example/img", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n\x00"),
    ("https://c.example/gone", "404 Not Found", "text/html", page_bytes(9)),
    ("https://c.example/2", "200 OK", "text/html", page_bytes(2, canonical="https://c.example/c2")),
    ("https://c.example/3", "200 OK", "application/xhtml+xml", page_bytes(3)),
]


@pytest.mark.parametrize(("name", "gzip"), [("crawl.warc.gz", True), ("crawl.warc", False)])
def test_warc_html_responses_become_documents(name: str, gzip: bool) -> None:
    result = read_saved(name, warc(THREE, gzip=gzip))
    assert result.errors == []
    urls = [d.url for d in result.documents]
    assert urls == ["https://c.example/1", "https://c.example/c2", "https://c.example/3"]
    offsets = [int(d.name.split("#")[1]) for d in result.documents]
    assert offsets[0] == 0 and offsets == sorted(set(offsets))
    assert all(d.name.startswith(f"{name}#") for d in result.documents)
    assert result.documents[0].content_hash == hashlib.sha256(page_bytes(1)).hexdigest()


def test_truncated_gzip_warc_keeps_records_read_and_reports() -> None:
    data = warc(THREE)
    full = read_saved("c.warc.gz", data).documents
    cut = data[: len(data) - 200]  # inside the last record's gzip member
    result = read_saved("c.warc.gz", cut)
    assert [d.url for d in result.documents] == [d.url for d in full[:2]]
    assert [e.reason for e in result.errors] == ["truncated_archive"]


def test_truncated_plain_warc_drops_the_partial_record_and_reports() -> None:
    data = warc(THREE, gzip=False)
    result = read_saved("c.warc", data[: len(data) - 500])
    assert [d.url for d in result.documents] == ["https://c.example/1", "https://c.example/c2"]
    assert [e.reason for e in result.errors] == ["truncated_archive"]
    assert "#" in result.errors[0].name


@pytest.mark.parametrize(("name", "gzip"), [("c.warc.gz", True), ("c.warc", False)])
def test_warc_truncated_before_any_record(name: str, gzip: bool) -> None:
    data = warc(THREE[:1], gzip=gzip)
    assert reason_of(name, data[:40]) == "truncated_archive"


def test_warc_without_html_records() -> None:
    assert reason_of("c.warc.gz", warc(THREE[1:3])) == "no_html_records"


def test_warc_record_errors_do_not_hide_good_records() -> None:
    records = [
        ("https://c.example/1", "200 OK", "text/html", page_bytes(1)),
        ("https://c.example/png", "200 OK", "text/html", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("https://c.example/big", "200 OK", "text/html", page_bytes(2) * 50),
    ]
    result = read_saved("c.warc.gz", warc(records), max_bytes=10_000)
    assert [d.url for d in result.documents] == ["https://c.example/1"]
    assert [e.reason for e in result.errors] == ["binary", "too_large"]


def test_warc_sidecar_source_applies_to_all_but_url_is_refused() -> None:
    data = warc(THREE)
    result = read_saved("c.warc.gz", data, b'{"source": "Crawl 7"}')
    assert {d.source for d in result.documents} == {"Crawl 7"}
    with pytest.raises(UnreadableFile) as info:
        read_saved("c.warc.gz", data, b'{"url": "https://c.example/x"}')
    assert info.value.reason == "bad_sidecar"


def test_not_a_warc() -> None:
    assert reason_of("c.warc", b"this is a shopping list, not an archive\n" * 3) == "undecodable"


# --- bad inputs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.html", b"", "empty"),
        ("blank.txt", b"  \n\t\n", "empty"),
        ("bom-only.html", b"\xef\xbb\xbf", "empty"),
        ("furniture.txt", b"Share\nAdvertisement\nSubscribe\n", "empty"),
        ("picture.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("nul.txt", b"Ferry\x00\x00news", "binary"),
        ("noise.htm", bytes((i * 37 + 11) % 254 + 1 for i in range(4000)), "undecodable"),
        ("paper.pdf", b"%PDF-1.7", "unsupported_type"),
        ("empty.warc.gz", b"", "empty"),
    ],
)
def test_bad_inputs_are_named(name: str, data: bytes, reason: str) -> None:
    assert reason_of(name, data) == reason


def test_too_large() -> None:
    data = html_page(body="x" * 2000).encode()
    assert reason_of("big.html", data, max_bytes=1000) == "too_large"
    assert read_saved("big.html", data, max_bytes=len(data)).documents


def test_unreadable_file_survives_pickling() -> None:
    error = UnreadableFile("c.warc.gz#380", "truncated_archive", "cut short")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.name, copy.reason, str(copy)) == (error.name, error.reason, str(error))
