"""Fixtures for the HTTP client tests: fast settings, an offline resolver, a closed port."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from mediawatch.http import Resolver
from mediawatch.settings import HttpSettings

FAST = {
    "user_agent": "mediawatch-test/1.0",
    "max_connections": 8,
    "max_per_host": 4,
    "min_host_delay": 0.0,
    "connect_timeout": 2.0,
    "read_timeout": 2.0,
    "total_timeout": 3.0,
    "max_bytes": 64 * 1024,
    "max_redirects": 3,
    "retries": 2,
    "backoff_base": 0.01,
    "backoff_max": 2.0,
    "respect_robots": False,
    "allow_private": ["127.0.0.1"],
}

SettingsFactory = Callable[..., HttpSettings]


@pytest.fixture
def make_settings() -> SettingsFactory:
    """Build `HttpSettings` with small timeouts and backoffs; keywords override fields."""

    def make(**changes: Any) -> HttpSettings:
        return HttpSettings(**{**FAST, **changes})

    return make


@pytest.fixture
def fake_resolver() -> Callable[[dict[str, list[str]]], Resolver]:
    """Make an offline resolver answering from a table, failing like the OS for other names."""

    def make(table: dict[str, list[str]]) -> Resolver:
        def resolve(host: str) -> list[str]:
            if host not in table:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return table[host]

        return resolve

    return make


@pytest.fixture
def reply(loopback: Any) -> type:
    """The loopback server's scripted `Response` class, for building routes.

    tests/ is not a package and both conftest files are modules named `conftest`, so the
    class is taken from the server's own module namespace rather than imported by name.
    """
    return type(loopback).__init__.__globals__["Response"]


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
