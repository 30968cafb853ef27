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
