"""Scale-out demo: 1, 2 and 3 Prefect workers polling one news site into one warehouse.

Starts, all on this machine and all torn down at the end:

- a throwaway PostgreSQL cluster (`mediawatch/pg_local.py`);
- a Prefect server whose database is on it (`mediawatch server start` with
  `server.database_url: postgresql+asyncpg://...`);
- a loopback news site (`bench/loopback_site.py`) with FEEDS RSS feeds of
  ITEMS articles each, the pages made by the benchmark's generator
  (`bench/corpus.py`, 20-300 KB pages with real-looking boilerplate);

then, for each worker count N: a fresh warehouse (DuckLake with its catalog
in that PostgreSQL and its Parquet files in the work folder, or a DuckDB file
with `--warehouse duckdb`), a process work pool with N shard deployments of
the ingest flow (`mediawatch deploy`'s `shard_entries`), N `prefect worker
start --limit 1` processes, and one run of every shard. It checks that every
article is loaded exactly once and every feed polled exactly once, and
prints articles/s per worker count: over the wall time from triggering the
runs to the last one finishing, and over the flow runs' own span (first
start to last end, without the workers' pick-up and process start).

Stopped early (Ctrl-C, SIGTERM, or an error), it still stops everything it
started: workers and their flow runs, the Prefect server, PostgreSQL.

    .venv/bin/python bench/scale_demo.py                      # 500 feeds x 20 articles
    .venv/bin/python bench/scale_demo.py --feeds 60 --items 10 --workers 1,2,3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from corpus import render_feed, render_page
from loopback_site import serve
from run_bench import local_prefect_server

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
GENERATOR = 1
SEED = 11


@dataclass
class Result:
    """One worker count's run: what was loaded and how long it took."""

    workers: int
    articles: int
    distinct: int
    feeds_fetched: int
    distinct_feeds: int
    wall_s: float
    span_s: float
    states: list[str]


def write_site(folder: Path, feeds: int, items: int) -> list[str]:
    """Pages and feeds of the site (reused when already written); return the feeds' paths."""
    manifest = folder / "site.json"
    wanted = {"generator": GENERATOR, "feeds": feeds, "items": items, "seed": SEED}
    if manifest.exists() and json.loads(manifest.read_text("utf-8")) == wanted:
        return [f"feeds/feed-{n:04d}.xml" for n in range(feeds)]
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "feeds").mkdir(parents=True)
    started = time.perf_counter()
    for n in range(feeds):
        specs = []
        for index in range(n * items, (n + 1) * items):
            spec, content = render_page(SEED, index)
            (folder / spec.path).parent.mkdir(parents=True, exist_ok=True)
            (folder / spec.path).write_bytes(content)
            specs.append(spec)
        feed = render_feed(specs[0].publication, n, specs)
        (folder / f"feeds/feed-{n:04d}.xml").write_bytes(feed)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="ascii")
    manifest.write_text(json.dumps(wanted), encoding="utf-8")
    print(f"site written: {feeds * items} pages in {time.perf_counter() - started:.0f} s")
    return [f"feeds/feed-{n:04d}.xml" for n in range(feeds)]


@contextmanager
def postgres() -> Iterator[object]:
    """A throwaway PostgreSQL cluster, stopped and deleted after."""
    from mediawatch import pg_local

    server = pg_local.start()
    try:
        yield server
    finally:
        server.stop()


def warehouse_config(kind: str, pg: object, workdir: Path, name: str) -> dict[str, str]:
    """The warehouse keys of a fresh warehouse: DuckLake on the PostgreSQL server, or a file."""
    folder = workdir / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if kind == "duckdb":
        return {"warehouse": str(folder / "warehouse.duckdb")}
    dsn = pg.create_database(name.replace("-", "_"))  # type: ignore[attr-defined]
    return {"warehouse": f"ducklake:postgres:{dsn}", "warehouse_data_path": str(folder / "lake")}


def write_config(workdir: Path, name: str, warehouse: dict[str, str], sources: list) -> Path:
    """The mediawatch settings of one worker count's runs (loopback allowed, no host delay)."""
    config = {
        **warehouse,
        "data_dir": str(workdir / name),
        "sources": sources,
        "http": {
            "allow_private": ["127.0.0.1"],
            "min_host_delay": 0,
            "max_per_host": 16,
            "max_connections": 16,
            # One loopback host stands in for 500 sites: a per-host time budget would defer
            # the pages past its first 600 s (1,703 of 10,000 with one worker).
            "host_budget": None,
            "run_budget": None,
        },
    }
    path = workdir / name / "mediawatch.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def sql(config: Path, query: str) -> list[dict]:
    """Rows of a query on the warehouse, through `mediawatch sql` as a user would read it."""
    command = [str(BIN / "mediawatch"), "sql", query, "--format", "json"]
    done = subprocess.run(
        [*command, "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"mediawatch sql {query!r} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


@contextmanager
def workers(pool: str, count: int, env: dict[str, str], logs: Path) -> Iterator[None]:
    """`count` process workers of `pool`, one flow run at a time each; interrupted after.

    Each worker runs in its own session (a Ctrl-C reaches it only through this
    clean-up); the flow-run processes it started, which may run in sessions of
    their own, are killed after it if it left them behind.
    """
    processes = []
    try:
        for number in range(count):
            with (logs / f"{pool}-worker-{number + 1}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--limit", "1"],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        cwd=ROOT,
                        start_new_session=True,
                    )
                )
        print(f"{count} workers started", flush=True)
        yield
    finally:
        started = descendants({process.pid for process in processes})
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in started:  # flow runs a worker left behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def descendants(parents: set[int]) -> set[int]:
    """The live processes below `parents` (children, their children, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = list(parents)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def run_shards(count: int, config: Path, env: dict[str, str], timeout: float) -> tuple:
    """Deploy `count` shards in a fresh pool, run each once on `count` workers; wait for all."""
    from prefect import get_client
    from prefect.deployments import run_deployment

    from mediawatch.deployments import deploy, read_deployments, shard_entries

    (polling,) = [{**e, "schedules": []} for e in read_deployments() if e["name"] == "poll-feeds"]
    pool = f"scale-demo-{count}"
    names = deploy(
        shard_entries([polling], count),
        pool,
        parameters={"config": str(config), "poll_all": True},
    )
    with workers(pool, count, env, config.parent):
        started = time.perf_counter()
        runs = [run_deployment(name, timeout=0).id for name in names]
        with get_client(sync_client=True) as client:
            while True:
                states = [client.read_flow_run(run) for run in runs]
                if all(r.state is not None and r.state.is_final() for r in states):
                    break
                if time.perf_counter() - started > timeout:
                    raise SystemExit(f"{count} workers: runs not finished after {timeout:.0f} s")
                time.sleep(1)
        wall = time.perf_counter() - started
    span = (max(r.end_time for r in states) - min(r.start_time for r in states)).total_seconds()
    return wall, span, [r.state.name for r in states]


def measure(
    count: int, kind: str, pg: object, *, workdir: Path, sources: list, env: dict
) -> Result:
    """One worker count: fresh warehouse, runs, and the exactly-once checks."""
    name = f"workers-{count}"
    config = write_config(workdir, name, warehouse_config(kind, pg, workdir, name), sources)
    # Create the warehouse once before the workers: N runs creating a fresh DuckLake
    # catalog at the same moment collide in PostgreSQL (seen: duplicate pg_type key).
    subprocess.run([str(BIN / "mediawatch"), "migrate", "--config", str(config)], check=True)
    wall, span, states = run_shards(count, config, env, timeout=3600)
    (articles,) = sql(config, "SELECT count(*) AS n, count(DISTINCT article_id) AS d FROM articles")
    (feeds,) = sql(
        config,
        "SELECT count(*) AS n, count(DISTINCT url) AS d FROM fetch_log WHERE kind = 'feed'",
    )
    return Result(count, articles["n"], articles["d"], feeds["n"], feeds["d"], wall, span, states)


def report(results: list[Result], feeds: int, items: int) -> bool:
    """Print one line per worker count; return whether every run loaded everything once."""
    expected = feeds * items
    print(f"\n{feeds} feeds x {items} articles = {expected} articles per worker count")
    print("workers  articles  distinct  feed polls  exactly once  wall s  art/s  span s  art/s")
    ok = True
    for r in results:
        once = r.articles == r.distinct == expected and r.feeds_fetched == r.distinct_feeds == feeds
        ok = ok and once and all(state == "Completed" for state in r.states)
        print(
            f"{r.workers:>7}  {r.articles:>8}  {r.distinct:>8}  {r.feeds_fetched:>10}  "
            f"{'yes' if once else 'NO':>12}  {r.wall_s:>6.0f}  {expected / r.wall_s:>5.1f}  "
            f"{r.span_s:>6.0f}  {expected / r.span_s:>5.1f}   {', '.join(r.states)}"
        )
    return ok


def stop_on_signals() -> None:
    """Make SIGTERM, like SIGINT, unwind the `with` blocks that stop what the demo started.

    The first signal raises KeyboardInterrupt; later ones are ignored so that
    the clean-up itself is not cut short.
    """

    def interrupt(signum: int, _frame: object) -> None:
        for name in (signal.SIGINT, signal.SIGTERM):
            signal.signal(name, signal.SIG_IGN)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for name in (signal.SIGINT, signal.SIGTERM):
        signal.signal(name, interrupt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=20, help="articles per feed")
    parser.add_argument("--workers", default="1,2,3", help="worker counts, comma-separated")
    parser.add_argument("--warehouse", choices=["ducklake", "duckdb"], default="ducklake")
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "scale-demo")
    args = parser.parse_args()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    stop_on_signals()
    counts = [int(n) for n in args.workers.split(",")]
    workdir = args.workdir.resolve()
    paths = write_site(workdir / "site", args.feeds, args.items)
    started = time.perf_counter()
    with ExitStack() as stack:
        pg = stack.enter_context(postgres())
        prefect_db = pg.create_database("prefect").split()  # type: ignore[attr-defined]
        fields = dict(part.split("=", 1) for part in prefect_db)
        url = (
            f"postgresql+asyncpg://{fields['user']}@{fields['host']}:{fields['port']}/"
            f"{fields['dbname']}"
        )
        api = stack.enter_context(local_prefect_server(workdir, url))
        print(f"PostgreSQL on port {fields['port']}; Prefect server {api} on it")
        os.environ["PREFECT_API_URL"] = api
        stack.enter_context(temporary_settings(updates={PREFECT_API_URL: api}))
        env = {
            **os.environ,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
        }
        base = stack.enter_context(serve(workdir / "site"))
        sources = [{"name": Path(p).stem, "url": f"{base}/{p}"} for p in paths]
        results = []
        for count in counts:
            results.append(
                measure(count, args.warehouse, pg, workdir=workdir, sources=sources, env=env)
            )
            print(f"{count} workers done: {results[-1]}", flush=True)
    ok = report(results, args.feeds, args.items)
    print(f"total {time.perf_counter() - started:.0f} s (site written before)")
    if not ok:
        raise SystemExit("not every article was loaded exactly once: see above")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as stopped:
        raise SystemExit(
            f"scale demo stopped by {stopped}: everything it started is stopped"
        ) from None
