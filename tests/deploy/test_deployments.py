"""prefect.yaml: every deployment resolves to a flow, the schedules are the promised ones,
and `mediawatch serve` builds and registers exactly those deployments."""

from __future__ import annotations

import inspect
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prefect import get_client

from mediawatch.deployments import (
    PREFECT_FILE,
    deploy,
    load_flow,
    read_deployments,
    runner_deployments,
    schedules_of,
    shard_entries,
)
from mediawatch.errors import ConfigError

DEPLOYMENTS = {d["name"]: d for d in read_deployments()}
SCHEDULED = {
    "poll-feeds": ("flows/ingest.py:ingest", "*/15 * * * *"),
    "ingest-saved-pages": ("flows/pages.py:ingest_pages", "*/10 * * * *"),
    "daily-digest": ("flows/digest.py:digest", "0 8 * * *"),
}
MANUAL = {"reclassify", "reprocess"}


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_entrypoint_resolves_to_a_flow_with_matching_parameters(name: str) -> None:
    entry = DEPLOYMENTS[name]
    flow = load_flow(entry["entrypoint"])
    params = inspect.signature(flow.fn).parameters
    given = entry.get("parameters") or {}
    assert set(given) <= set(params)
    required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
    assert required <= set(given)
    validated = flow.validate_parameters(given)  # raises if a value has the wrong type
    assert {k: validated[k] for k in given} == given
    assert entry["work_pool"]["name"] == "mediawatch"
    assert "mediawatch" in entry["tags"]


def test_scheduled_deployments_have_the_promised_cron_and_a_real_time_zone() -> None:
    for name, (entrypoint, cron) in SCHEDULED.items():
        entry = DEPLOYMENTS[name]
        assert entry["entrypoint"] == entrypoint
        ((schedule),) = entry["schedules"]
        assert schedule["cron"] == cron
        ZoneInfo(schedule["timezone"])  # raises for an unknown zone
    for name in set(DEPLOYMENTS) - set(SCHEDULED):
        assert name in MANUAL, f"{name} has no expected schedule"
        assert not DEPLOYMENTS[name].get("schedules"), name


def test_pull_step_is_left_to_prefect_deploy() -> None:
    """`prefect deploy` then records the folder it ran in as every run's working directory."""
    import yaml

    assert yaml.safe_load(PREFECT_FILE.read_text(encoding="utf-8"))["pull"] is None


def test_serve_builds_the_same_deployments_as_the_file() -> None:
    built = {d.name: d for d in runner_deployments()}
    assert set(built) == set(DEPLOYMENTS)
    for name, deployment in built.items():
        entry = DEPLOYMENTS[name]
        assert deployment.parameters == (entry.get("parameters") or {})
        assert deployment.tags == entry["tags"]
        crons = [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules or []]
        assert crons == [(s["cron"], s["timezone"]) for s in entry.get("schedules") or []]


def test_unsupported_schedule_and_bad_entrypoint_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only cron schedules"):
        schedules_of({"name": "x", "schedules": [{"interval": 60}]})
    with pytest.raises(ConfigError, match=r"flows/nothing\.py:nope"):
        load_flow("flows/nothing.py:nope")
    empty = tmp_path / "prefect.yaml"
    empty.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no `deployments:` list"):
        read_deployments(empty)


@pytest.mark.usefixtures("prefect_harness")
def test_serve_deployments_register_with_their_schedules() -> None:
    """What `prefect.serve` does first: register each deployment with the API."""
    ids = {d.name: d.apply() for d in runner_deployments()}
    with get_client(sync_client=True) as client:
        for name, deployment_id in ids.items():
            stored = client.read_deployment(deployment_id)
            assert stored.name == name
            assert stored.parameters == (DEPLOYMENTS[name].get("parameters") or {})
            crons = sorted(s.schedule.cron for s in stored.schedules)
            expected = [SCHEDULED[name][1]] if name in SCHEDULED else []
            assert crons == expected
            assert all(s.active for s in stored.schedules)


def test_shard_entries_split_only_the_feed_polling() -> None:
    entries = read_deployments()
    sharded = shard_entries(entries, 3)
    polls = [e for e in sharded if e["entrypoint"] == "flows/ingest.py:ingest"]
    assert [(e["name"], e["parameters"]["shard"]) for e in polls] == [
        (f"poll-feeds-{i}-of-3", f"{i}/3") for i in (1, 2, 3)
    ]
    assert all(e["parameters"]["config"] == "mediawatch.yaml" for e in polls)
    others = [e for e in entries if e["entrypoint"] != "flows/ingest.py:ingest"]
    assert [e for e in sharded if e not in polls] == others
    assert shard_entries(entries, 1) == entries


@pytest.mark.usefixtures("prefect_harness")
def test_deploy_in_shards_replaces_the_deployments_of_another_sharding() -> None:
    polling = [e for e in read_deployments() if e["name"] == "poll-feeds"]
    deploy(shard_entries(polling, 3), "shard-test", parameters={"config": "/etc/mw.yaml"})
    names = deploy(shard_entries(polling, 2), "shard-test", parameters={"config": "/etc/mw.yaml"})
    assert names == ["ingest/poll-feeds-1-of-2", "ingest/poll-feeds-2-of-2"]
    with get_client(sync_client=True) as client:
        found = {
            d.name: (d.parameters, d.work_pool_name, d.global_concurrency_limit.limit)
            for d in client.read_deployments()
            if d.entrypoint == "flows/ingest.py:ingest" and d.work_pool_name == "shard-test"
        }
    assert found == {
        f"poll-feeds-{i}-of-2": ({"config": "/etc/mw.yaml", "shard": f"{i}/2"}, "shard-test", 1)
        for i in (1, 2)
    }
