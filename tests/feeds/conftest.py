"""Fixtures for feed tests: the loopback server's response class and fast HTTP settings."""

from __future__ import annotations

from typing import Any

import pytest

from mediawatch.settings import HttpSettings, load_settings


@pytest.fixture(scope="session")
def http_settings() -> HttpSettings:
    """The shipped HTTP settings with loopback allowed and no waiting between requests."""
    return load_settings().http.model_copy(
        update={"allow_private": ["127.0.0.1"], "min_host_delay": 0.0, "backoff_base": 0.01}
    )


@pytest.fixture(scope="session")
def loopback_classes(pytestconfig: pytest.Config) -> dict[str, Any]:
    """`LoopbackServer` and `Response` from tests/conftest.py.

    tests/ is not a package and several conftest modules share the name, so the
    classes are taken from the registered root conftest plugin, not imported.
    """
    for plugin in pytestconfig.pluginmanager.get_plugins():
        if hasattr(plugin, "LoopbackServer") and hasattr(plugin, "Response"):
            return {"LoopbackServer": plugin.LoopbackServer, "Response": plugin.Response}
    raise LookupError("tests/conftest.py is not loaded")


@pytest.fixture
def reply(loopback_classes: dict[str, Any]) -> type:
    """The loopback server's scripted `Response` class, for building routes."""
    return loopback_classes["Response"]
