"""The deployments declared in prefect.yaml, as runner deployments for `mediawatch serve`.

prefect.yaml is the one list of deployments, schedules and parameters:
`prefect deploy --all` reads it for workers, and `mediawatch serve` reads it
here, so the two ways of running on a schedule cannot drift apart.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule

from mediawatch.errors import ConfigError

PREFECT_FILE = Path(__file__).resolve().parent.parent / "prefect.yaml"


def read_deployments(path: Path = PREFECT_FILE) -> list[dict[str, Any]]:
    """The `deployments` entries of a prefect.yaml file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    deployments = data.get("deployments") if isinstance(data, dict) else None
    if not isinstance(deployments, list) or not deployments:
        raise ConfigError(f"{path}: no `deployments:` list")
    return deployments


def load_flow(entrypoint: str) -> Flow:
    """The flow an entrypoint such as `flows/ingest.py:ingest` names, imported as a module."""
    file, _, name = entrypoint.partition(":")
    module_name = file.removesuffix(".py").replace("/", ".")
    try:
        found = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"entrypoint {entrypoint}: {exc}") from exc
    if not isinstance(found, Flow):
        raise ConfigError(f"entrypoint {entrypoint} is not a Prefect flow")
    return found


def schedules_of(deployment: dict[str, Any]) -> list[Schedule]:
    """The cron schedules of a prefect.yaml deployment entry (none for a manual one)."""
    schedules = []
    for entry in deployment.get("schedules") or []:
        if "cron" not in entry:
            raise ConfigError(
                f"deployment {deployment['name']}: only cron schedules are supported, got {entry}"
            )
        schedules.append(
            Cron(entry["cron"], timezone=entry.get("timezone"), active=entry.get("active", True))
        )
    return schedules


def runner_deployments(path: Path = PREFECT_FILE) -> list[RunnerDeployment]:
    """Every deployment of the file, ready for `prefect.serve`."""
    return [
        load_flow(entry["entrypoint"]).to_deployment(
            name=entry["name"],
            schedules=schedules_of(entry),
            parameters=entry.get("parameters") or {},
            description=entry.get("description"),
            tags=entry.get("tags"),
        )
        for entry in read_deployments(path)
    ]


def worker_deployments(path: Path = PREFECT_FILE) -> list[str]:
    """Those of the file's deployments the API already has in a work pool (`prefect deploy`).

    `prefect.serve` would overwrite them (dropping their pull steps) and pause
    them when it stops, so `mediawatch serve` refuses while they exist.
    """
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    found = []
    with get_client(sync_client=True) as client:
        for entry in read_deployments(path):
            name = f"{load_flow(entry['entrypoint']).name}/{entry['name']}"
            try:
                deployment = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            if deployment.work_pool_name:
                found.append(name)
    return found


def show_deployments(api_url: str, path: Path = PREFECT_FILE) -> list[str]:
    """Register, paused, those of the file's deployments the API at `api_url` does not have.

    So the UI lists them with their schedules without anything running them
    (the scheduler skips a paused deployment). `mediawatch serve` registers
    them again, unpaused; deployments already there (served or a worker's)
    are left as they are. Returns the names registered.
    """
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    registered = []
    with temporary_settings({PREFECT_API_URL: api_url}):
        for deployment in runner_deployments(path):
            name = f"{deployment.flow_name}/{deployment.name}"
            with get_client(sync_client=True) as client:
                try:
                    client.read_deployment_by_name(name)
                    continue
                except ObjectNotFound:
                    pass
            deployment.paused = True
            deployment.apply()
            registered.append(name)
    return registered


INGEST_ENTRYPOINT = "flows/ingest.py:ingest"


def shard_entries(entries: list[dict[str, Any]], shards: int) -> list[dict[str, Any]]:
    """The entries with each feed-polling one split into `shards`, `NAME-i-of-N` with `shard: i/N`.

    Every other entry is kept as it is; with one shard nothing changes.
    """
    if shards == 1:
        return entries
    out: list[dict[str, Any]] = []
    for entry in entries:
        if entry["entrypoint"] != INGEST_ENTRYPOINT:
            out.append(entry)
            continue
        out.extend(
            {
                **entry,
                "name": f"{entry['name']}-{index}-of-{shards}",
                "parameters": {**(entry.get("parameters") or {}), "shard": f"{index}/{shards}"},
            }
            for index in range(1, shards + 1)
        )
    return out


def deploy(
    entries: list[dict[str, Any]],
    pool: str,
    *,
    source: Path = PREFECT_FILE.parent,
    parameters: dict[str, Any] | None = None,
) -> list[str]:
    """Register the entries as deployments of the process work pool `pool`; return their names.

    The pool is created if missing, and each run starts in `source` (this
    checkout). Each deployment may run once at a time (concurrency limit 1,
    later runs queue), so a slow run of a shard is never overlapped by its
    next one. Feed-polling deployments of another sharding (`poll-feeds`, or
    `poll-feeds-i-of-M` for another M) are deleted, so that no feed is
    polled by two deployments of the pool. `parameters` override the entries' own.
    """
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName
    from prefect.exceptions import ObjectNotFound

    names: list[str] = []
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        for entry in entries:
            flow = Flow.from_source(source=str(source), entrypoint=entry["entrypoint"])
            flow.deploy(
                name=entry["name"],
                work_pool_name=pool,
                build=False,
                push=False,
                schedules=schedules_of(entry),
                parameters={**(entry.get("parameters") or {}), **(parameters or {})},
                description=entry.get("description"),
                tags=entry.get("tags"),
                concurrency_limit=1,
                print_next_steps=False,
                ignore_warnings=True,
            )
            names.append(f"{flow.name}/{entry['name']}")
        deployed = {entry["name"] for entry in entries}
        in_pool = WorkPoolFilter(name=WorkPoolFilterName(any_=[pool]))
        for old in client.read_deployments(work_pool_filter=in_pool):
            if old.entrypoint == INGEST_ENTRYPOINT and old.name not in deployed:
                client.delete_deployment(old.id)
    return names
