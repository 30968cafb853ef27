"""Hostile inputs for tests and the benchmark: compression bombs, a too-deep feed, a bad inbox.

Everything is generated, nothing is downloaded: bombs are streams of zeros
compressed in 1 MB steps (so making one never holds its inflated size), and
the inbox is the set of files a shared drop folder meets in practice (odd
names, links leaving it, a FIFO, garbage, oversized pages and archives).
"""

from __future__ import annotations

import gzip
import io
import os
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import brotli
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_STEP = 1 << 20
GOOD_NAMES = ["good-1.html", "good-2.html", "good-3.html", "new\nline.html", "tab\tname.html"]
ODD_NAME = os.fsdecode(b"odd\xff\xfe name.html")
DAMAGED_UTF8 = "damaged-utf8.html"  # UTF-8 with three bad bytes: must stay UTF-8
# What each bad file of the inbox must be reported as when read: name -> reason.
# no-text.html reads fine and fails extraction instead (reason no_text).
BAD_FILES = {
    "empty.html": "empty",
    "garbage.html": "binary",
    "big.html": "too_large",
    "bomb.warc.gz": "too_large",
    "truncated.warc.gz": "truncated_archive",
    "fifo.html": "not_a_file",
    "symlink-out.html": "symlink_outside",
    "symlink-dir": "symlink_outside",
    "passwd.html": "symlink_outside",
}


def _zeros(size: int, compress: Callable[[bytes], bytes]) -> list[bytes]:
    block = bytes(_STEP)
    out = [compress(block) for _ in range(size // _STEP)]
    return [*out, compress(bytes(size % _STEP))]


def gzip_bomb(size: int, layers: int = 2) -> bytes:
    """`size` zero bytes gzipped `layers` times (`Content-Encoding: gzip, gzip` for 2)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    data = b"".join([*_zeros(size, packer.compress), packer.flush()])
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def deflate_bomb(size: int) -> bytes:
    """`size` zero bytes as zlib-wrapped deflate, the RFC's `Content-Encoding: deflate`."""
    packer = zlib.compressobj(9)
    return b"".join([*_zeros(size, packer.compress), packer.flush()])


def brotli_bomb(size: int) -> bytes:
    """`size` zero bytes as one brotli stream."""
    packer = brotli.Compressor(quality=5)
    return b"".join([*_zeros(size, packer.process), packer.finish()])


def deep_json_feed(depth: int = 100_000) -> bytes:
    """A JSON Feed whose items nest `depth` arrays deep: json.loads hits its recursion limit."""
    return (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": '
        + b"[" * depth
        + b"]" * depth
        + b"}"
    )


def dripping(interval: float) -> Callable[[Any], None]:
    """A loopback response body writing one byte per `interval` s until the client hangs up."""

    def drip(handler: Any) -> None:
        try:
            while True:
                handler.wfile.write(b"<")
                handler.wfile.flush()
                time.sleep(interval)
        except OSError:
            return

    return drip


def article(title: str) -> bytes:
    """A small news page with a headline and three paragraphs of prose about `title`."""
    prose = "".join(
        f"<p>{title}: {sentence}</p>"
        for sentence in (
            "The harbour council of Eskvik met on Tuesday evening to vote on the long-delayed "
            "plan for new sea defences along the northern quay of the old town.",
            "Councillors approved the plan by thirty-one votes to twelve after a debate that "
            "lasted more than four hours and drew a crowd of residents to the hall.",
            "Work on the first section of the wall is expected to begin in the spring, the "
            "harbour master said, once the contracts have been signed and the permits issued.",
        )
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1>{prose}</article></body></html>"
    ).encode()


def _warc_record(payload: bytes | io.BufferedIOBase, length: int) -> bytes:
    """One gzipped WARC response record of an HTML page whose payload is `payload`."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    http = StatusAndHeaders(
        "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(length))], "HTTP/1.1"
    )
    stream = payload if isinstance(payload, io.BufferedIOBase) else io.BytesIO(payload)
    record = writer.create_warc_record(
        "http://example.test/bomb", "response", payload=stream, http_headers=http, length=length
    )
    writer.write_record(record)
    return out.getvalue()


class _ZeroStream(io.RawIOBase):
    """`size` zero bytes, read without holding them: the payload of a WARC bomb."""

    def __init__(self, size: int) -> None:
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self._left)
        buffer[:count] = bytes(count)
        self._left -= count
        return count


def write_inbox(folder: Path, outside: Path, *, big: int, warc_inflated: int) -> None:
    """Write the hostile inbox into `folder`; links point into `outside`, another folder.

    Good pages (some with a newline, a tab or non-UTF-8 bytes in the name, one
    saved twice) and every bad file of `BAD_FILES`; `big` is the plain page's
    size and `warc_inflated` the size of the bomb record's payload.
    """
    folder.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(GOOD_NAMES, 1):
        (folder / name).write_bytes(article(f"Harbour vote number {number}"))
    (folder / "good-1 copy.html").write_bytes((folder / GOOD_NAMES[0]).read_bytes())
    (folder / ODD_NAME).write_bytes(article("Harbour vote from an old disk"))
    cafe = article("Harbour vote at the café")
    (folder / DAMAGED_UTF8).write_bytes(cafe.replace(b"</h1>", b"</h1>\xff\xfe\x81", 1))
    (folder / "empty.html").write_bytes(b"")
    (folder / "garbage.html").write_bytes(bytes(range(256)) * 64)
    (folder / "no-text.html").write_bytes(b"<html><body><div>  </div></body></html>")
    with (folder / "big.html").open("wb") as out:
        out.write(b"<html><body><p>")
        for _ in range(big // _STEP + 1):
            out.write(b"a" * _STEP)
    bomb = io.BufferedReader(_ZeroStream(warc_inflated), _STEP)
    (folder / "bomb.warc.gz").write_bytes(_warc_record(bomb, warc_inflated))
    record = _warc_record(article("Cut short"), len(article("Cut short")))
    (folder / "truncated.warc.gz").write_bytes(record[: len(record) // 2])
    os.mkfifo(folder / "fifo.html")
    (outside / "page.html").write_bytes(article("A page outside the inbox"))
    os.symlink(outside / "page.html", folder / "symlink-out.html")
    os.symlink(outside, folder / "symlink-dir")
    os.symlink("/etc/passwd", folder / "passwd.html")
