"""The raw archive: WARC records written per exchange, rolled by size, read back by offset."""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from mediawatch.archive import RawUnavailable, WarcArchive, is_archive_file, read_exchange
from mediawatch.http import FetchRequest, FetchResult, HttpStatusError
from schemas.records import FeedItem

FETCHED = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)
PAGE = "<html><head><title>Ferry</title></head><body><p>Ferries resume.</p></body></html>"


def result(url: str, body: bytes | None, status: int | None = 200, **headers: str) -> FetchResult:
    return FetchResult(
        request=FetchRequest(url, etag='"v1"'),
        url=url,
        status=status,
        headers={"content-type": "text/html; charset=utf-8", **headers},
        content=body,
        fetched_at=FETCHED,
        attempts=[],
        error=None if status is None or status < 400 else HttpStatusError(f"{url}: {status}"),
    )


ITEM = FeedItem(
    source="courier",
    feed_url="https://courier.example/feed.xml",
    url="https://courier.example/ferry",
    canonical_url="https://courier.example/ferry",
    article_id="0123456789abcdef",
    guid="ferry-1",
    title="Ferries resume",
    published_at=datetime(2026, 11, 19, 18, 0, tzinfo=UTC),
)


@pytest.fixture
def archive(tmp_path: Path) -> WarcArchive:
    return WarcArchive(tmp_path / "archive", roll_bytes=1_000_000, user_agent="mediawatch-test")


def test_round_trip_keeps_body_headers_and_feed_item(archive: WarcArchive) -> None:
    page = result(
        "https://courier.example/ferry?x=1",
        PAGE.encode(),
        **{"content-encoding": "gzip", "etag": '"v2"'},
    )
    feed = result("https://courier.example/feed.xml", b"<rss/>", **{"content-type": "text/xml"})
    archive.write([page], [ITEM])
    archive.write([feed])
    assert page.raw_file == feed.raw_file and is_archive_file(page.raw_file or "")
    assert page.raw_offset is not None and feed.raw_offset is not None
    assert 0 < page.raw_offset < feed.raw_offset
    back = read_exchange(page.raw_file or "", page.raw_offset)
    assert back.content == PAGE.encode()
    assert (back.url, back.status, back.content_type) == (
        "https://courier.example/ferry?x=1",
        200,
        "text/html; charset=utf-8",
    )
    assert back.fetched_at == FETCHED
    assert back.item == ITEM
    assert read_exchange(feed.raw_file or "", feed.raw_offset).item is None


def test_records_carry_standard_warc_headers(archive: WarcArchive) -> None:
    page = result("https://courier.example/ferry", PAGE.encode(), **{"content-encoding": "br"})
    archive.write([page], [ITEM])
    with open(page.raw_file or "", "rb") as stream:
        records = list(ArchiveIterator(stream))
    kinds = [r.rec_type for r in records]
    assert kinds == ["warcinfo", "response", "request", "metadata"]
    warcinfo, response, request, metadata = records
    assert warcinfo.rec_headers.get_header("WARC-Filename") == Path(page.raw_file or "").name
    for record in records:
        assert record.rec_headers.protocol == "WARC/1.1"
        assert record.rec_headers.get_header("WARC-Record-ID").startswith("<urn:uuid:")
    assert response.rec_headers.get_header("WARC-Date") == "2026-11-20T09:30:15.123456Z"
    assert response.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert response.rec_headers.get_header("Content-Type") == "application/http; msgtype=response"
    http = response.http_headers
    assert http.get_header("Content-Length") == str(len(PAGE.encode()))
    assert http.get_header("Content-Encoding") is None
    assert http.get_header("X-Archive-Orig-content-encoding") == "br"
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    for linked in (request, metadata):
        assert linked.rec_headers.get_header("WARC-Concurrent-To") == response_id
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.get_header("User-Agent") == "mediawatch-test"
    assert request.http_headers.get_header("If-None-Match") == '"v1"'
    assert request.http_headers.get_header("Host") == "courier.example"


def test_every_answer_is_archived_but_no_answer_is_not(archive: WarcArchive) -> None:
    missing = result("https://courier.example/gone", b"not found", status=404)
    unreachable = result("https://nowhere.example/", None, status=None)
    not_modified = result("https://courier.example/feed.xml", None, status=304)
    archive.write([missing, unreachable, not_modified])
    assert missing.raw_file is not None and not_modified.raw_file is not None
    assert unreachable.raw_file is None
    assert read_exchange(missing.raw_file, missing.raw_offset or 0).status == 404
    assert read_exchange(not_modified.raw_file, not_modified.raw_offset or 0).content == b""


def test_files_roll_by_size_and_each_is_valid_gzip(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, roll_bytes=2048, user_agent="mediawatch-test")
    results = [result(f"https://c.example/{n}", random.Random(n).randbytes(3000)) for n in range(5)]
    for one in results:
        archive.write([one])
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) == 5
    assert [f.name[-14:] for f in files] == [f"-{n:05d}.warc.gz" for n in range(1, 6)]
    for one in results:
        assert read_exchange(one.raw_file or "", one.raw_offset or 0).content == one.content
    for path in files:
        assert gzip.decompress(path.read_bytes()).startswith(b"WARC/1.1\r\n")


def test_appends_go_to_the_current_file_until_it_is_full(archive: WarcArchive) -> None:
    first = result("https://c.example/1", PAGE.encode())
    second = result("https://c.example/2", PAGE.encode())
    archive.write([first])
    WarcArchive(archive.folder, roll_bytes=1_000_000, user_agent="other").write([second])
    assert first.raw_file == second.raw_file


def test_missing_or_wrong_records_are_named(archive: WarcArchive, tmp_path: Path) -> None:
    with pytest.raises(RawUnavailable) as gone:
        read_exchange(str(tmp_path / "mediawatch-20261120T000000Z-00001.warc.gz"), 0)
    assert gone.value.reason == "raw_missing"
    page = result("https://c.example/1", PAGE.encode())
    archive.write([page])
    with pytest.raises(RawUnavailable) as info:
        read_exchange(page.raw_file or "", 0)  # the warcinfo record, not a response
    assert info.value.reason == "raw_unreadable"
    with pytest.raises(RawUnavailable) as info:
        read_exchange(page.raw_file or "", (page.raw_offset or 0) + 7)
    assert info.value.reason == "raw_unreadable"
