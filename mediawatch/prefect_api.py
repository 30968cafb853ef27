"""Getting a command-line run to its first batch quickly: the Prefect API and a warm process.

With no `PREFECT_API_URL`, Prefect starts a temporary API server the first
time a flow needs one: it imports the whole server into this process first
(about 2 s), then starts it in a subprocess and waits (3-4 s). `cli_session`
starts the same server itself, first thing, without that import, and points
this process at it; while the server boots on one core, this process imports
the flows and does what the run would otherwise do first (import Great
Expectations and build its context, import datasketch, start the extraction
workers' forkserver) on the other. The server is stopped when the process
exits, after Prefect has sent its last logs and events.

Runs on that temporary server also send no heartbeats. Heartbeats let a
long-running server mark a crashed run; the temporary one stops with the
process, and Prefect waits up to a second at the end of every run for its
heartbeat thread. Runs reporting to a real server (`PREFECT_API_URL`, as
deployments do) keep them, and get no temporary server.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import prefect
from prefect.context import refresh_global_settings_context
from prefect.logging import get_logger
from prefect.settings import (
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_UI_URL,
    get_current_settings,
)
from prefect.settings import temporary_settings as prefect_settings

from mediawatch.errors import MediawatchError
from mediawatch.lifetime import alive, runs

_POLL_SECONDS = 0.05
_SERVER_APP = "prefect.server.api.server:create_app"
# `python -m uvicorn ARGS` in a server that ends with this process, even when it is
# killed outright (SIGKILL): argv[1] is the pid to follow (`die_with_parent`).
_DIE_WITH_PARENT_THEN_UVICORN = (
    "import runpy, sys; from mediawatch.lifetime import die_with_parent; "
    "die_with_parent(parent=int(sys.argv.pop(1))); sys.argv[0] = 'uvicorn'; "
    "runpy.run_module('uvicorn', run_name='__main__', alter_sys=True)"
)


class PrefectAPIUnavailable(MediawatchError):
    """The temporary Prefect API server did not start."""


def uses_temporary_server() -> bool:
    """Whether flows here have no API to report to but may start a temporary one."""
    settings = get_current_settings()
    return not settings.api.url and settings.server.ephemeral.enabled


def use_api(url: str) -> None:
    """Point this process's flows and clients at the API at `url`."""
    os.environ["PREFECT_API_URL"] = url
    refresh_global_settings_context()


def warm_up() -> None:
    """Do the run's slow first steps now: GX context and suites, datasketch, the forkserver."""
    from transforms.extract import start_forkserver

    start_forkserver()
    _prepare_stages()


@functools.cache
def warm_up_in_background() -> None:
    """Build the GX context and import datasketch in a thread of their own, once per process.

    For a process that did not `warm_up` (one reporting to a running server or
    a deployment's): called as a run's first extraction starts, so these
    seconds overlap it instead of delaying the first batch's validation and
    grouping, which wait for them. A process already warm finishes at once.
    """
    threading.Thread(target=_prepare_stages, name="mediawatch-warm-up", daemon=True).start()


def _prepare_stages() -> None:
    from transforms import stories, validate

    try:
        validate.prepare()
    except ValueError:
        return  # a broken suite file: the first batch raises it again, naming the file
    stories.prepare()


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TemporaryServer:
    """Prefect's API server for this process, started as Prefect starts its ephemeral one.

    The command line is Prefect's own (`SubprocessASGIServer`): uvicorn with
    the server's app factory, no UI and no background services beyond those
    an ephemeral server runs; uvicorn is started through a line that first
    ties the server's life to this process (`mediawatch.lifetime`). Each
    server is noted under Prefect's home folder until stopped, so a later
    command can stop one a dead process left (`stop_leftover_servers`).
    """

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        environment = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            **get_current_settings().to_environment_variables(exclude_unset=True),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _DIE_WITH_PARENT_THEN_UVICORN,
                str(os.getpid()),
                "--app-dir",
                str(Path(prefect.__file__).parent.parent),
                "--factory",
                _SERVER_APP,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=environment,
        )
        self.record = _record_server(self.process.pid)
        # Registered before any Prefect worker starts, so it runs after they flush.
        atexit.register(self.stop)

    def wait(self) -> None:
        """Block until the server accepts connections (uvicorn listens once it has started)."""
        # Prefect's 20 s default is too short on a busy machine: wait as long as it takes.
        timeout = max(get_current_settings().server.ephemeral.startup_timeout_seconds, 180)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PrefectAPIUnavailable(
                    f"the temporary Prefect API server exited with code {self.process.returncode}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=_POLL_SECONDS).close()
            except OSError:
                time.sleep(_POLL_SECONDS)
                continue
            return
        self.stop()
        raise PrefectAPIUnavailable(
            f"the temporary Prefect API server did not answer on port {self.port} within "
            f"{timeout} s (is the machine overloaded?); start a lasting one first with "
            "`mediawatch server start`"
        )

    def stop(self) -> None:
        """Stop the server (at exit); kill it if it does not stop within 5 s."""
        self.record.unlink(missing_ok=True)
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _servers_folder() -> Path:
    return Path(get_current_settings().home) / "mediawatch-temporary-servers"


def _record_server(pid: int) -> Path:
    """Note a started server (its pid and this process's) so a later run can stop a leftover."""
    folder = _servers_folder()
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"{pid}.json"
    record.write_text(json.dumps({"server": pid, "parent": os.getpid()}), "utf-8")
    return record


def stop_leftover_servers() -> list[int]:
    """Stop temporary servers whose process died without stopping them; return their pids.

    A leftover can only come from a system without the parent-death signal,
    or a server started by an older version; its record names its parent.
    """
    folder = _servers_folder()
    stopped = []
    for record in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            noted = json.loads(record.read_text("utf-8"))
            server, parent = int(noted["server"]), int(noted["parent"])
        except (OSError, ValueError, KeyError, TypeError):
            record.unlink(missing_ok=True)
            continue
        if alive(parent):
            continue
        if runs(server, _SERVER_APP.encode()):
            os.kill(server, signal.SIGTERM)
            stopped.append(server)
        record.unlink(missing_ok=True)
    if stopped:
        get_logger("mediawatch").warning(
            "stopped %d temporary Prefect API servers left by ended processes: pids %s",
            len(stopped),
            ", ".join(map(str, stopped)),
        )
    return stopped


@contextmanager
def cli_session(local_api_url: str | None = None) -> Iterator[None]:
    """Choose the API the block's flows report to, then run them.

    In order: the configured `PREFECT_API_URL`; else `local_api_url`, the
    running `mediawatch server` (runs show in its UI); else a temporary API,
    started here while this process warms up (import the flows inside the
    block: their imports overlap the server's start).
    """
    if not uses_temporary_server():
        yield
        return
    stop_leftover_servers()
    if local_api_url is not None:
        use_api(local_api_url)
        yield
        return
    server = TemporaryServer()
    use_api(server.url)
    warm_up()
    server.wait()
    # No UI serves the temporary server, so no run logs a "View at" link to one.
    with prefect_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_UI_URL: ""}):
        yield
