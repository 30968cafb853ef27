"""Serve a generated corpus on loopback the way a news site would, conditional GETs included.

Files are served from the corpus folder over HTTP/1.1 with keep-alive, an
ETag and a Last-Modified date; a request whose If-None-Match or
If-Modified-Since matches gets `304 Not Modified` with no body, which is what
makes a second poll of unchanged feeds cheap. Feeds have their `{{base}}`
placeholders replaced with this server's address, as the demo site does.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from mediawatch.demo import LocalHTTPServer

_TYPES = {".html": "text/html", ".xml": "application/rss+xml", ".txt": "text/plain"}
_PLACEHOLDER = b"{{base}}"


def _handler(root: Path, base_url: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            target = (root / self.path.split("?", 1)[0].lstrip("/")).resolve()
            if not target.is_file() or root not in target.parents:
                self.send_error(404, "Not Found")
                return
            stat = target.stat()
            version = f"{stat.st_mtime_ns}:{stat.st_size}".encode()
            etag = f'"{hashlib.md5(version).hexdigest()}"'
            modified = formatdate(int(stat.st_mtime), usegmt=True)
            if self._not_modified(etag, int(stat.st_mtime)):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = target.read_bytes()
            if target.suffix == ".xml":
                body = body.replace(_PLACEHOLDER, base_url.encode("ascii"))
            self.send_response(200)
            self.send_header("Content-Type", _TYPES.get(target.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.end_headers()
            self.wfile.write(body)

        def _not_modified(self, etag: str, mtime: int) -> bool:
            if (match := self.headers.get("If-None-Match")) is not None:
                return etag in [tag.strip() for tag in match.split(",")]
            if (since := self.headers.get("If-Modified-Since")) is not None:
                try:
                    return int(parsedate_to_datetime(since).timestamp()) >= mtime
                except (TypeError, ValueError):
                    return False
            return False

        def log_message(self, format: str, *args: object) -> None:
            """The pipeline logs every exchange in fetch_log; stay quiet here."""

    return Handler


@contextmanager
def serve(root: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `root` on a free loopback port for the `with` block; yield the base URL."""
    root = root.resolve()
    server = LocalHTTPServer((host, 0), _handler(root, ""))
    base_url = f"http://{host}:{server.server_address[1]}"
    server.RequestHandlerClass = _handler(root, base_url)
    thread = threading.Thread(target=server.serve_forever, name="bench-site", daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
