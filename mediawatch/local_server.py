"""A local Prefect server with its UI, in the background: `mediawatch server start | stop | status`.

The server is Prefect's own (`prefect server start`: API, UI and the
background services, the scheduler among them), run detached from the
command that starts it. Its pid, log, state and SQLite database live in
`<data_dir>/prefect/`; `server.database_url` points it at PostgreSQL instead.
`server.json` there records where it listens, so every later command finds
it (`running_api_url`) and reports its runs to it instead of starting a
temporary API of its own. Nothing here imports Prefect: finding the server
costs a file read and one connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mediawatch.errors import MediawatchError
from mediawatch.lifetime import runs
from mediawatch.settings import Settings

_POLL_SECONDS = 0.2
_STOP_SECONDS = 15.0
_SERVER_COMMAND = (sys.executable, "-m", "prefect", "server", "start")


class ServerError(MediawatchError):
    """The local Prefect server could not be started or stopped."""


@dataclass(frozen=True)
class ServerState:
    """What `server.json` records about a started server."""

    pid: int
    host: str
    port: int
    database: str

    @property
    def ui_url(self) -> str:
        """The address of the Prefect UI."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The address of the Prefect API, as PREFECT_API_URL wants it."""
        return f"{self.ui_url}/api"


def server_folder(settings: Settings) -> Path:
    """Where the server's pid, log, state and SQLite database are kept."""
    return Path(settings.data_dir).resolve() / "prefect"


def _database_url(settings: Settings) -> str:
    if settings.server.database_url:
        return settings.server.database_url
    return f"sqlite+aiosqlite:///{server_folder(settings) / 'prefect.db'}"


def _state_file(settings: Settings) -> Path:
    return server_folder(settings) / "server.json"


def _answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts connections there (uvicorn listens once the app has started)."""
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError:
        return False
    return True


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def read_state(settings: Settings) -> ServerState | None:
    """The recorded server if its process still runs; a stale record is removed."""
    path = _state_file(settings)
    try:
        state = ServerState(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:  # a half-written or foreign file
        raise ServerError(f"{path} is not a server record ({exc}): delete it") from exc
    if runs(state.pid, b"prefect"):
        return state
    path.unlink(missing_ok=True)
    return None


def running_api_url(settings: Settings) -> str | None:
    """The API of the local server when one runs and answers, else None."""
    state = read_state(settings)
    if state is not None and _answers(state.host, state.port):
        return state.api_url
    return None


def start(settings: Settings, port: int | None = None, timeout: float = 180.0) -> ServerState:
    """Start the server in the background (or return the running one) and wait until it answers.

    It listens on `port`, else `server.port`, else (that one taken) on a free port.
    """
    state = read_state(settings)
    if state is not None:
        _wait_until_answering(state, settings, timeout)
        return state
    host = settings.server.host
    if port is not None and _answers(host, port):
        raise ServerError(f"port {port} on {host} is taken by another program: choose another")
    port = port or settings.server.port
    if _answers(host, port):  # the configured port is taken: any free one will do
        port = _free_port(host)
    folder = server_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment.update(
        PREFECT_HOME=str(folder / "home"),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=_database_url(settings),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="true",
        # The UI's pages call this API; without it they call port 4200, whatever the port.
        PREFECT_UI_API_URL=f"http://{host}:{port}/api",
    )
    with (folder / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [*_SERVER_COMMAND, "--host", host, "--port", str(port), "--analytics-off"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,  # outlives this command, and stops as one group
        )
    database = "postgresql" if settings.server.database_url else "sqlite"
    state = ServerState(pid=process.pid, host=host, port=port, database=database)
    _state_file(settings).write_text(json.dumps(state.__dict__), encoding="utf-8")
    _wait_until_answering(state, settings, timeout)
    return state


def _wait_until_answering(state: ServerState, settings: Settings, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(state.host, state.port):
        if not runs(state.pid, b"prefect") or _exited(state.pid):
            _state_file(settings).unlink(missing_ok=True)
            raise ServerError(
                f"the Prefect server exited while starting; see {server_folder(settings)}"
                f"/server.log:\n{_log_tail(settings)}"
            )
        if time.monotonic() > deadline:
            raise ServerError(
                f"the Prefect server did not answer on {state.ui_url} within {timeout:.0f} s "
                f"(it may still be starting on a busy machine): see "
                f"{server_folder(settings)}/server.log, or `mediawatch server status` later"
            )
        time.sleep(_POLL_SECONDS)


def _exited(pid: int) -> bool:
    """Reap our own child if it has exited (a zombie still answers `kill -0`)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: `_alive` decides
        return False
    return done == pid


def _log_tail(settings: Settings, lines: int = 15) -> str:
    try:
        text = (server_folder(settings) / "server.log").read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def stop(settings: Settings) -> ServerState | None:
    """Stop the recorded server and its children; None when none ran."""
    state = read_state(settings)
    if state is None:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_SECONDS
    while runs(state.pid, b"prefect") and not _exited(state.pid) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    if runs(state.pid, b"prefect") and not _exited(state.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(state.pid, signal.SIGKILL)
    _state_file(settings).unlink(missing_ok=True)
    return state
