"""Shared fixtures: a loopback HTTP server the tests script, and a schema-ready DuckDB.

No test touches the internet. `loopback` serves whatever routes a test
registers, on 127.0.0.1 and a free port, and records every request so tests
can assert on headers and timing.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import flows  # noqa: F401 - applies the project's Prefect defaults before Prefect loads
from mediawatch import pg_local
from mediawatch.demo import LocalHTTPServer
from mediawatch.settings import CONFIG_ENV
from mediawatch.warehouse import Warehouse
from schemas.records import Article

FIXTURES = Path(__file__).parent / "fixtures"
BENCH = Path(__file__).resolve().parent.parent / "bench"


@dataclass
class Response:
    """A scripted HTTP response. `body` may be bytes or a callable writing to the socket."""

    status: int = 200
    body: bytes | Callable[[BaseHTTPRequestHandler], None] = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    at: float
    method: str = "GET"
    body: bytes = b""


Route = Response | Callable[[BaseHTTPRequestHandler], Response]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (or another loopback `host`) whose routes the test sets.

    A second server on 127.0.0.2 is a second host for per-host limits.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                """Record the body, then answer from the same routes as GET."""
                self.request_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.do_GET()

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(
                        RecordedRequest(
                            self.path,
                            dict(self.headers.items()),
                            time.monotonic(),
                            self.command,
                            self.request_body if self.command == "POST" else b"",
                        )
                    )
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                if route is None:
                    response = Response(404, b"not found", {"Content-Type": "text/plain"})
                elif callable(route):
                    response = route(self)
                else:
                    response = route
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if callable(response.body):
                    self.send_header("Connection", "close")
                    self.end_headers()
                    response.body(self)
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            def log_message(self, format: str, *args: object) -> None:
                """Keep test output clean; requests are recorded instead."""

        self.httpd = LocalHTTPServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, route: Route) -> str:
        """Register a route and return its full URL."""
        self.routes[path] = route
        return self.url(path)

    def hits(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _serving(host: str = "127.0.0.1") -> Iterator[LoopbackServer]:
    server = LoopbackServer(host)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files marked `slow` run first: `make test` hands whole files to its processes in
    this order, and a long file handed out last would keep one process busy while the other idles.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A fresh scripted HTTP server on loopback for one test."""
    yield from _serving()


@pytest.fixture(scope="module")
def module_loopback() -> Iterator[LoopbackServer]:
    """A scripted loopback server shared by a module's tests, for module-scoped flow runs."""
    yield from _serving()


@pytest.fixture(scope="module")
def module_loopback_2() -> Iterator[LoopbackServer]:
    """A second module-scoped server, on 127.0.0.2: another host for per-host limits."""
    yield from _serving("127.0.0.2")


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def story_body() -> str:
    """Two paragraphs of an invented news story: enough text for extraction to keep."""
    return (
        "<p>The harbour office of Norholm published its new winter timetable on Monday, after "
        "months of talks with the ferry company, the council and the commuters' association.</p>"
        "<p>Two extra crossings run every weekday, and the last evening boat leaves later so that "
        "travellers on the late train from the capital no longer miss it, the office said.</p>"
    )


@pytest.fixture(scope="session")
def reply() -> type[Response]:
    """The scripted `Response` class, for tests that build loopback routes."""
    return Response


@pytest.fixture
def memory_warehouse() -> Warehouse:
    """An in-memory warehouse with the schema applied (shared connection)."""
    return Warehouse(":memory:")


def _make_article(**changes: object) -> Article:
    values: dict[str, object] = {
        "article_id": "0123456789abcdef",
        "url": "https://news.example.org/2026/11/story.html",
        "canonical_url": "https://news.example.org/2026/11/story.html",
        "source": "example",
        "title": "Council approves the new harbour plan",
        "body": "The city council approved the harbour plan on Tuesday. " * 10,
        "content_hash": "c" * 64,
        "word_count": 90,
        "fetched_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        "published_at": datetime(2026, 11, 19, 18, 0, tzinfo=UTC),
        "language": "en",
    }
    values.update(changes)
    return Article(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def make_article() -> Callable[..., Article]:
    """A factory of valid article records; tests override the fields they are about.

    Session-wide (it holds no state) so that module fixtures can load articles too.
    """
    return _make_article


@pytest.fixture(autouse=True, scope="session")
def _no_user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests see the built-in settings, not a mediawatch.yaml (or $MEDIAWATCH_CONFIG) of the user.

    MEDIAWATCH_CONFIG names an empty file in a temporary folder, so a test
    that forgets to set the warehouse writes there, not into the checkout.
    """
    empty = tmp_path_factory.mktemp("config") / "mediawatch.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CONFIG_ENV, str(empty))
        yield


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session: it takes seconds to start."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def local_postgres() -> Iterator[pg_local.LocalPostgres]:
    """One throwaway PostgreSQL server for the session (DuckLake catalogs); skipped without one.

    Only missing server binaries skip: a server that is installed but fails to
    start is an error, not a skip.
    """
    if pg_local.find_bindir() is None:
        pytest.skip("no PostgreSQL server binaries (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    server = pg_local.start(settings={"fsync": "off"})
    try:
        yield server
    finally:
        server.stop()


@dataclass
class LoopbackS3:
    """An S3 server (moto) on 127.0.0.1: the `warehouse_s3` settings that reach it, and a client.

    moto accepts any credentials; the invented ones here let tests check that
    the secret never shows in a message.
    """

    client: Any  # a boto3 S3 client of this server
    settings: dict[str, object]
    _buckets: Iterator[int] = field(default_factory=itertools.count)

    def bucket(self) -> str:
        """A new, empty bucket's name (one per test or module: no test sees another's files)."""
        name = f"lake-{next(self._buckets)}"
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """The keys of every object in `bucket`."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.fixture(scope="session")
def loopback_s3() -> Iterator[LoopbackS3]:
    """One moto S3 server for the session, on a free loopback port; no internet involved."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = {
        "endpoint": f"{host}:{port}",
        "region": "us-east-1",
        "url_style": "path",
        "use_ssl": False,
        "key_id": "test-key-id",
        "secret": "test-secret-never-shown",
    }
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test-key-id",
        aws_secret_access_key="test-secret-never-shown",
    )
    try:
        yield LoopbackS3(client, settings)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def hostile_inputs() -> ModuleType:
    """bench/hostile_inputs.py: the bombs, deep feed and bad inbox the benchmark also uses.

    bench/ is scripts, not a package, so the file is loaded by path.
    """
    spec = importlib.util.spec_from_file_location("bench_hostile", BENCH / "hostile_inputs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
