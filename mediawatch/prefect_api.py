"""Getting a command-line run to its first batch quickly: the Prefect API and a warm process.

With no `PREFECT_API_URL`, Prefect starts a temporary API server in a
subprocess when a flow first needs it, and waits for it (3-4 s here) before
the run begins. `cli_session` starts that server at once from a background
thread, and while it boots on one core this process does on the other what
the run would otherwise do first: import Great Expectations and build its
context, import datasketch, and start the extraction workers' forkserver.

Runs on that temporary server also send no heartbeats. Heartbeats let a
long-running server mark a crashed run; the temporary one stops with the
process, and Prefect waits up to a second at the end of every run for its
heartbeat thread. Runs reporting to a real server (`PREFECT_API_URL`, as
deployments do) keep them.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings
from prefect.settings import temporary_settings as prefect_settings

from transforms import stories, validate
from transforms.extract import start_forkserver


def uses_temporary_server() -> bool:
    """Whether flows here report to a temporary API server Prefect starts for this process."""
    settings = get_current_settings()
    return not settings.api.url and settings.server.ephemeral.enabled


def warm_up() -> None:
    """Do the run's slow first steps now: GX context and suites, datasketch, the forkserver."""
    start_forkserver()
    validate.prepare()
    stories.prepare()


@contextmanager
def cli_session() -> Iterator[None]:
    """Start the API (if temporary) and warm this process up together; run flows in the block."""
    if not uses_temporary_server():
        yield
        return
    # Imported here, not in the thread: two threads importing the same modules can deadlock.
    from prefect.server.api.server import SubprocessASGIServer

    with ThreadPoolExecutor(1, thread_name_prefix="prefect-api-start") as starter:
        started = starter.submit(SubprocessASGIServer().start)
        warm_up()
        started.result()  # raises what stopped the server from starting
    with prefect_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
