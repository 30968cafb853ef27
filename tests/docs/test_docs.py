"""The docs and deployments stay in step with the code."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import yaml
from prefect import Flow

from mediawatch.cli import app
from mediawatch.schema_doc import README, render

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
README_TEXT = README.read_text(encoding="utf-8")
# Deployments a user runs by hand; every other one has a schedule.
MANUAL = {"reclassify", "reprocess"}


def all_flows() -> dict[str, Flow]:
    found = {}
    for path in sorted((ROOT / "flows").glob("*.py")):
        module = importlib.import_module(f"flows.{path.stem}")
        for value in vars(module).values():
            if isinstance(value, Flow) and value.__module__ == module.__name__:
                found[f"flows/{path.name}:{value.fn.__name__}"] = value
    return found


def test_readme_table_reference_is_generated_from_the_schema() -> None:
    assert render() in README_TEXT, "run: python -m mediawatch.schema_doc"


def test_every_flow_has_a_deployment_with_valid_parameters() -> None:
    flows = all_flows()
    assert flows, "no flows found"
    by_entrypoint = {d["entrypoint"]: d for d in DEPLOYMENTS}
    assert set(flows) == set(by_entrypoint)
    for entrypoint, flow in flows.items():
        params = inspect.signature(flow.fn).parameters
        deployment = by_entrypoint[entrypoint]
        assert set(deployment.get("parameters", {})) <= set(params), entrypoint
        required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
        assert required <= set(deployment.get("parameters", {})), entrypoint
        assert bool(deployment.get("schedules")) != (deployment["name"] in MANUAL), entrypoint


def test_every_flow_and_deployment_is_in_the_readme() -> None:
    for entrypoint in all_flows():
        assert entrypoint.split(":")[0] in README_TEXT, entrypoint
    for deployment in DEPLOYMENTS:
        assert f"`{deployment['name']}`" in README_TEXT, deployment["name"]


def test_every_cli_command_is_in_the_readme() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert re.search(rf"`mediawatch {name}\b", README_TEXT), name


def test_readme_starts_with_the_two_commands() -> None:
    head = README_TEXT[: README_TEXT.index("## Commands")]
    assert "make run" in head and "make test" in head
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("make test")
