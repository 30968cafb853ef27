"""The raw archive: every HTTP response the pipeline fetches, kept in rolling WARC files.

Each fetch task hands its results to `WarcArchive.write`, which appends, per
exchange, a `response` record (the body as received, decoded), a `request`
record and, for an article page, a `metadata` record with the feed item that
pointed at it (so reprocessing can fill the same gaps from the feed without
fetching it again). Records are gzip members, so a file can be appended to;
writers in several processes take turns with an exclusive lock on the folder,
and a file is closed for good once it is over `roll_bytes`. Each result gets
the file and byte offset of its response record, which `read_exchange` reads
back without any network.

Layout: `<archive folder>/mediawatch-<UTC start time>-<serial>.warc.gz`.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from mediawatch.http import FetchResult
from schemas.records import FeedItem

_NAME = re.compile(r"^mediawatch-\d{8}T\d{6}Z-(\d{5})\.warc\.gz$")
# Headers that describe the bytes on the wire, not the decoded body that is stored.
_TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_METADATA_TYPE = "application/vnd.mediawatch.feed-item+json"


class RawUnavailable(Exception):
    """The raw record behind an article cannot be read; `reason` is a stable name."""

    def __init__(self, path: str, reason: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ArchivedExchange:
    """One archived response read back: what the fetch saw, and the feed item if any."""

    url: str
    status: int
    content_type: str | None
    content: bytes
    fetched_at: datetime
    item: FeedItem | None


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _item_json(item: FeedItem) -> bytes:
    return json.dumps(asdict(item), default=str, ensure_ascii=False, sort_keys=True).encode()


def _item_from_json(data: bytes) -> FeedItem:
    values = json.loads(data)
    if values.get("published_at"):
        values["published_at"] = datetime.fromisoformat(values["published_at"])
    return FeedItem(**values)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the archive folder's exclusive lock: writers (and pruning) take turns with it."""
    with open(folder / ".lock", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


class WarcArchive:
    """Appends fetched exchanges to the current WARC file of `folder`, rolling by size."""

    def __init__(self, folder: Path, *, roll_bytes: int, user_agent: str) -> None:
        self.folder = folder
        self.roll_bytes = roll_bytes
        self.user_agent = user_agent
        self._thread_lock = threading.Lock()

    @contextmanager
    def _current(self) -> Iterator[tuple[Path, BinaryIO]]:
        """The file to append to, opened at its end, under the folder's exclusive lock."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, folder_lock(self.folder):
            serials = [
                (int(m.group(1)), p)
                for p in self.folder.iterdir()
                if (m := _NAME.match(p.name)) is not None
            ]
            serial, path = max(serials, default=(0, self.folder / "none"))
            fresh = serial == 0 or path.stat().st_size >= self.roll_bytes
            if fresh:
                stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
                path = self.folder / f"mediawatch-{stamp}-{serial + 1:05d}.warc.gz"
            with open(path, "ab") as out:
                out.seek(0, os.SEEK_END)
                if fresh:
                    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
                    writer.write_record(
                        writer.create_warcinfo_record(
                            path.name,
                            {"software": self.user_agent, "format": "WARC File Format 1.1"},
                        )
                    )
                yield path, out

    def write(
        self, results: Sequence[FetchResult], items: Sequence[FeedItem | None] | None = None
    ) -> None:
        """Archive every result that got an HTTP answer; set its `raw_file` and `raw_offset`.

        `items` (one per result, or None) are the feed items behind page fetches.
        """
        answered = [
            (result, items[i] if items else None)
            for i, result in enumerate(results)
            if result.status is not None
        ]
        if not answered:
            return
        with self._current() as (path, out):
            writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
            for result, item in answered:
                result.raw_file, result.raw_offset = str(path), out.tell()
                self._write_exchange(writer, result, item)

    def _write_exchange(
        self, writer: WARCWriter, result: FetchResult, item: FeedItem | None
    ) -> None:
        """Write the response, request and (for a page with a feed item) metadata records."""
        body = result.content or b""
        naive_utc = result.fetched_at.astimezone(UTC).replace(tzinfo=None)
        date = datetime_to_iso_date(naive_utc, use_micros=True)
        headers = [(k, v) for k, v in result.headers.items() if k.lower() not in _TRANSFER_HEADERS]
        headers += [
            (f"X-Archive-Orig-{k}", v)
            for k, v in result.headers.items()
            if k.lower() in _TRANSFER_HEADERS
        ]
        headers.append(("Content-Length", str(len(body))))
        response = writer.create_warc_record(
            result.url,
            "response",
            payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(
                _status_line(result.status or 0), headers, protocol="HTTP/1.1"
            ),
            warc_headers_dict={"WARC-Date": date},
        )
        writer.write_record(response)
        linked = {
            "WARC-Date": date,
            "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
        }
        parts = urlsplit(result.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = [("Host", parts.netloc), ("User-Agent", self.user_agent)]
        sent.append(("Accept-Encoding", "gzip, deflate, br"))
        if result.request.etag:
            sent.append(("If-None-Match", result.request.etag))
        if result.request.last_modified:
            sent.append(("If-Modified-Since", result.request.last_modified))
        writer.write_record(
            writer.create_warc_record(
                result.url,
                "request",
                http_headers=StatusAndHeaders(
                    f"GET {target} HTTP/1.1", sent, protocol="HTTP/1.1", is_http_request=True
                ),
                warc_headers_dict=linked,
            )
        )
        if item is not None:
            writer.write_record(
                writer.create_warc_record(
                    result.url,
                    "metadata",
                    payload=io.BytesIO(_item_json(item)),
                    warc_content_type=_METADATA_TYPE,
                    warc_headers_dict=linked,
                )
            )


def archive_files(folder: Path) -> list[Path]:
    """The archive's WARC files in `folder` (none if it does not exist), oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name) is not None)


def is_archive_file(path: str) -> bool:
    """Whether a raw_file is one of the archive's WARC files (else it is a saved file)."""
    return _NAME.match(Path(path).name) is not None


def read_exchange(path: str, offset: int) -> ArchivedExchange:
    """Read the response record at `offset` of an archive file, with its feed item.

    Raises `RawUnavailable` (`raw_missing`, `raw_unreadable`) when the file or
    the record is gone or damaged.
    """
    if not Path(path).is_file():
        raise RawUnavailable(path, "raw_missing", "the archive file is gone")
    with open(path, "rb") as stream:
        stream.seek(offset)
        try:
            records = iter(ArchiveIterator(stream))
            response = next(records, None)
            if response is None or response.rec_type != "response":
                raise RawUnavailable(path, "raw_unreadable", f"no response record at {offset}")
            record_id = response.rec_headers.get_header("WARC-Record-ID")
            http = response.http_headers
            if http is None:  # a read from a wrong offset can still look like a record
                raise RawUnavailable(path, "raw_unreadable", f"no HTTP response at {offset}")
            content = response.content_stream().read()
            item = None
            for record in records:
                if record.rec_headers.get_header("WARC-Concurrent-To") != record_id:
                    break
                if record.rec_type == "metadata":
                    item = _item_from_json(record.content_stream().read())
        except (ArchiveLoadFailed, OSError, EOFError) as exc:
            raise RawUnavailable(path, "raw_unreadable", f"record at {offset}: {exc}") from exc
    return ArchivedExchange(
        url=response.rec_headers.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode()),
        content_type=http.get_header("Content-Type"),
        content=content,
        fetched_at=datetime.fromisoformat(
            response.rec_headers.get_header("WARC-Date").replace("Z", "+00:00")
        ),
        item=item,
    )
