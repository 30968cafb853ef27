"""The bundled demo news site, served on loopback so a new user can watch a real run.

Three invented publications with feeds and about thirty article pages live in
`demo_site/`. Absolute links in them are written as `{{base}}`, replaced at
serve time with this server's address. The port is fixed by default so that
article URLs, and therefore article ids, are the same on every run: running
the demo twice is the idempotency check a user can see.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from mediawatch.errors import MediawatchError
from mediawatch.settings import Source

SITE = Path(__file__).parent / "demo_site"
DEFAULT_PORT = 8765
_PLACEHOLDER = b"{{base}}"
_TYPES = {".xml": "application/xml", ".atom": "application/atom+xml", ".html": "text/html"}


@dataclass(frozen=True, slots=True)
class DemoSite:
    """A running demo site: its base URL and the feeds to configure as sources."""

    base_url: str
    sources: list[Source]


def render(relative_path: str, base_url: str) -> bytes:
    """A demo-site file as served from `base_url`; FileNotFoundError outside the site."""
    root = SITE.resolve()
    target = (root / relative_path).resolve()
    if not target.is_file() or root not in target.parents:
        raise FileNotFoundError(relative_path)
    return target.read_bytes().replace(_PLACEHOLDER, base_url.encode("ascii"))


def _handler(base_url: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].lstrip("/") or "index.html"
            try:
                body = render(path, base_url)
            except FileNotFoundError:
                self.send_error(404, "Not Found")
                return
            target = Path(path)
            content_type = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
            self.send_response(200)
            self.send_header("Content-Type", content_type or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Requests are visible in the pipeline's own logs; stay quiet here."""

    return Handler


class LocalHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server for loopback sites (demo, tests, benchmarks).

    socketserver listens with a backlog of 5: a client opening more
    connections at once (the fetcher opens up to `http.max_per_host`) has the
    rest dropped, and each dropped connection costs it a 1 s TCP retransmit.
    """

    daemon_threads = True
    request_queue_size = 128


def demo_sources(base_url: str) -> list[Source]:
    """The demo feeds as configured sources, read from `demo_site/sources.yaml`."""
    listed = yaml.safe_load((SITE / "sources.yaml").read_text(encoding="utf-8"))
    return [Source(name=s["name"], url=f"{base_url}/{s['path']}") for s in listed]


@contextmanager
def serve_demo_site(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> Iterator[DemoSite]:
    """Serve the demo site on loopback for the duration of the `with` block."""
    try:
        server = LocalHTTPServer((host, port), _handler(""))
    except OSError as exc:
        raise MediawatchError(
            f"cannot serve the demo site on {host}:{port} ({exc.strerror}); "
            "choose another port with --port"
        ) from exc
    base_url = f"http://{host}:{server.server_address[1]}"
    server.RequestHandlerClass = _handler(base_url)
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    try:
        yield DemoSite(base_url=base_url, sources=demo_sources(base_url))
    finally:
        server.shutdown()
        server.server_close()
