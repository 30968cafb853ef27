"""The CLI's Prefect session: the temporary API starts while this process warms up."""

from __future__ import annotations

import threading

import pytest
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_SERVER_EPHEMERAL_ENABLED,
    get_current_settings,
    temporary_settings,
)

import mediawatch.prefect_api
from mediawatch.prefect_api import cli_session, uses_temporary_server


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record (step, thread) for the server start and the warm-up instead of doing them."""
    done: list[tuple[str, str]] = []

    def start(self: SubprocessASGIServer, timeout: int | None = None) -> None:
        done.append(("server", threading.current_thread().name))

    monkeypatch.setattr(SubprocessASGIServer, "start", start)
    monkeypatch.setattr(
        mediawatch.prefect_api,
        "warm_up",
        lambda: done.append(("warm-up", threading.current_thread().name)),
    )
    return done


def test_a_temporary_api_starts_beside_the_warm_up_and_runs_skip_heartbeats(
    steps: list[tuple[str, str]],
) -> None:
    updates = {PREFECT_API_URL: None, PREFECT_SERVER_EPHEMERAL_ENABLED: True}
    with temporary_settings(updates=updates):
        assert uses_temporary_server()
        with cli_session():
            assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().flows.heartbeat_frequency is not None
    threads = dict(steps)
    assert len(steps) == 2 and set(threads) == {"server", "warm-up"}
    assert threads["warm-up"] == threading.current_thread().name
    assert threads["server"].startswith("prefect-api-start")


def test_a_server_that_cannot_start_stops_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: SubprocessASGIServer, timeout: int | None = None) -> None:
        raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")

    monkeypatch.setattr(SubprocessASGIServer, "start", fail)
    monkeypatch.setattr(mediawatch.prefect_api, "warm_up", lambda: None)
    updates = {PREFECT_API_URL: None, PREFECT_SERVER_EPHEMERAL_ENABLED: True}
    refused = pytest.raises(RuntimeError, match="Timed out")
    with temporary_settings(updates=updates), refused, cli_session():
        pytest.fail("the block ran without an API")


def test_a_configured_api_is_used_as_it_is(steps: list[tuple[str, str]]) -> None:
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        assert not uses_temporary_server()
        heartbeat = get_current_settings().flows.heartbeat_frequency
        with cli_session():
            assert get_current_settings().flows.heartbeat_frequency == heartbeat
    assert steps == []
    assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == heartbeat
