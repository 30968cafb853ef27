"""What Prefect costs a mediawatch command before and around any real work; prints JSON.

Run as its own process (as the CLI is): imports what the CLI imports, enters
the CLI's Prefect session (`mediawatch.prefect_api.cli_session`: the
temporary API server starting while the process warms up), runs an empty
flow (the first flow run), an empty flow again (per-run overhead), then a
flow of `--tasks` empty tasks (per-task overhead). The caller times the
whole process: its wall time minus the later flows is the fixed start-up
cost every CLI run pays.
"""

from __future__ import annotations

import argparse
import json
import time

START = time.perf_counter()

# What the CLI imports; `flows` first: it sets the project's Prefect defaults.
import flows.ingest  # noqa: E402
import flows.pages  # noqa: E402, F401
import mediawatch.cli  # noqa: E402, F401
from mediawatch.prefect_api import cli_session  # noqa: E402

# isort: split
from prefect import flow, task  # noqa: E402


@task
def empty_task() -> None:
    """Nothing: what is left is Prefect's own work for one task run."""


@flow
def empty_flow() -> None:
    """Nothing: what is left is Prefect's own work for one flow run."""


@flow
def task_flow(tasks: int) -> float:
    """Run `tasks` empty tasks one after the other, as a flow runs its stages; return seconds."""
    start = time.perf_counter()
    for _ in range(tasks):
        empty_task()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=50)
    args = parser.parse_args()
    imported = time.perf_counter()
    with cli_session():
        session = time.perf_counter()
        empty_flow()
        first = time.perf_counter()
        empty_flow()
        second = time.perf_counter()
        in_tasks = task_flow(args.tasks)
        tasks_done = time.perf_counter()
    print(
        json.dumps(
            {
                "imports_s": imported - START,
                "session_s": session - imported,
                "first_flow_s": first - session,
                "flow_run_s": second - first,
                "task_run_s": in_tasks / args.tasks,
                "later_flows_s": tasks_done - first,
            }
        )
    )


if __name__ == "__main__":
    main()
