"""End-to-end benchmark: mediawatch against trafilatura alone, on one generated corpus.

Generates (or reuses) a seeded corpus (`bench/corpus.py`), then measures and
prints a table:

  (a) a bare loop calling trafilatura.extract(html, with_metadata=True, output_format="json")
  (b) the trafilatura command line over the folder, --parallel <cores> --json --with-metadata
  (c) `mediawatch pages DIR` end to end, through the command daemon beside the local server
  (d) `mediawatch run --all` over HTTP from a loopback server serving the corpus and its feeds
  (e) the same run again, nothing new (conditional GETs)
  (f) `mediawatch pages DIR` in-process (--no-daemon) at each of --memory-sizes pages: the peak
      memory of its process tree and the CPU time of its main process

with pages per second, the ratios the targets are about, Prefect start-up and
per-run overhead (`bench/prefect_overhead.py`), and where (c) and (d) spend
their time per stage (the `timings` of the run summary). Every mediawatch
command runs as a subprocess with its own warehouse and its own Prefect home
under the work folder, so runs do not share state with each other or with
the user's; they report to one local Prefect server (`mediawatch server
start`, its database in the work folder) started first and stopped at the
end, as a user's commands do (`--temporary-api`: each starts its own).
Corpora and runs take up to 250 KB of disk per page, checked before
anything is written; corpora are kept in the work folder and reused.

    .venv/bin/python bench/run_bench.py [--pages 1000] [--memory-sizes 250,1000]
    .venv/bin/python bench/run_bench.py --memory-sizes 1000,20000    # (f) in full: ~3-5 GB
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura
import yaml
from corpus import write_corpus
from loopback_site import serve
from proctree import TreePeak, TreeSampler

from transforms.extract import default_workers

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
# Disk per page: the page (about 110 KB on average), its copy in the raw archive and the warehouse.
BYTES_PER_PAGE = 250_000
STAGES = ["poll", "fetch", "read", "extract", "classify", "validate", "stories", "load"]
# Prefect's console log: "06:22:12.454 | INFO    | Flow run 'pages ...' - Beginning flow run ..."
_FLOW_LOG = re.compile(
    r"^(\d\d):(\d\d):(\d\d\.\d+) \| \w+ +\| Flow run '[^']*' - "
    r"(Beginning flow run|Finished in state)",
    re.M,
)


@dataclass(slots=True)
class Measured:
    """One measured case: wall seconds, pages it handled, and what the run reported."""

    name: str
    pages: int
    seconds: float
    note: str = ""
    summary: dict = field(default_factory=dict)
    peak: TreePeak | None = None
    flow_seconds: float | None = None  # the flow run alone, from its log; None if not a flow
    cpu_seconds: float = 0.0  # user + system CPU of the command's own process (not its pool's)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0


def flow_run_seconds(log: str) -> float | None:
    """Time from a flow run's first log line to its last, from Prefect's console log.

    What the command took beyond it is the process's fixed cost: interpreter,
    imports, starting and stopping Prefect's ephemeral API.
    """
    stamps = [int(h) * 3600 + int(m) * 60 + float(s) for h, m, s, _ in _FLOW_LOG.findall(log)]
    if len(stamps) < 2:
        return None
    return (stamps[-1] - stamps[0]) % 86400  # a run may cross midnight


@dataclass(slots=True)
class Bench:
    """The work folder and the environment every subprocess gets."""

    workdir: Path
    env: dict[str, str]

    def log(self, name: str) -> Path:
        path = self.workdir / "logs" / f"{name}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def run(self, name: str, command: list[str], *, sample: bool = False) -> Measured:
        """Run a command to completion, timing it (and sampling its memory); raise if it fails."""
        with self.log(name).open("wb") as log:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, env=self.env, cwd=ROOT
            )
            sampler = TreeSampler(process.pid).start() if sample else None
            stdout, _ = process.communicate()
            seconds = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = sampler.stop() if sampler else None
        if process.returncode != 0:
            raise SystemExit(f"{name} failed (exit {process.returncode}); see {self.log(name)}")
        return Measured(
            name,
            0,
            seconds,
            summary=_json_or_empty(stdout),
            peak=peak,
            # Only the command's process is waited for here: its pool's workers are the
            # children of its forkserver, which it does not wait for.
            cpu_seconds=after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            flow_seconds=flow_run_seconds(
                self.log(name).read_text(encoding="utf-8", errors="replace")
            ),
        )


def _json_or_empty(stdout: bytes) -> dict:
    text = stdout.decode("utf-8", "replace").strip()
    return json.loads(text) if text.startswith("{") else {}


def _html_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def bare_loop(pages: Path) -> Measured:
    """(a): trafilatura.extract on every page, one after the other, in this process."""
    files = _html_files(pages)
    start = time.perf_counter()
    extracted = sum(
        trafilatura.extract(path.read_bytes(), with_metadata=True, output_format="json") is not None
        for path in files
    )
    seconds = time.perf_counter() - start
    name = "(a) trafilatura.extract loop, 1 process"
    return Measured(name, len(files), seconds, f"{extracted} ok")


def trafilatura_cli(bench: Bench, pages: Path, cores: int) -> Measured:
    """(b): the trafilatura command line over the folder, one worker per core."""
    out = bench.workdir / "trafilatura-out"
    shutil.rmtree(out, ignore_errors=True)
    measured = bench.run(
        "trafilatura-cli",
        [
            str(BIN / "trafilatura"),
            "--input-dir",
            str(pages),
            "--output-dir",
            str(out),
            "--parallel",
            str(cores),
            "--json",
            "--with-metadata",
        ],
    )
    measured.name = f"(b) trafilatura CLI, --parallel {cores}"
    measured.pages = len(_html_files(pages))
    written = sum(1 for path in out.rglob("*") if path.is_file()) if out.exists() else 0
    measured.note = f"{written} ok"
    return measured


def prefect_overhead(bench: Bench) -> tuple[float, dict[str, float]]:
    """Prefect's fixed cost per CLI process (seconds) and its breakdown."""
    measured = bench.run("prefect-overhead", [str(BIN / "python"), "bench/prefect_overhead.py"])
    details = measured.summary
    return measured.seconds - details["later_flows_s"], details


def _config(bench: Bench, name: str, sources: list[dict[str, str]] | None = None) -> Path:
    """A settings file whose data folder and warehouse are fresh, under the work folder."""
    data = bench.workdir / "runs" / name
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    config: dict = {"data_dir": str(data), "warehouse": str(data / "warehouse.duckdb")}
    if sources is not None:
        config["sources"] = sources
        config["http"] = {
            "allow_private": ["127.0.0.1"],
            "min_host_delay": 0,
            "max_per_host": 16,
            "max_connections": 16,
        }
    path = data / "mediawatch.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _mediawatch(config: Path, *args: str) -> list[str]:
    warehouse = yaml.safe_load(config.read_text(encoding="utf-8"))["warehouse"]
    return [str(BIN / "mediawatch"), "--warehouse", warehouse, *args, "--config", str(config)]


def _counts(summary: dict) -> dict[str, int]:
    totals: dict[str, int] = {}
    for source in summary.get("sources", []):
        for key, value in source.items():
            if isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
    return totals


def _describe(summary: dict) -> str:
    counts = _counts(summary)
    keys = ["new", "unchanged", "quarantined", "failed"]
    return ", ".join(f"{key} {counts.get(key, 0)}" for key in keys)


def mediawatch_pages(
    bench: Bench, corpus: Path, pages: int, label: str, *, daemon: bool = False
) -> Measured:
    """`mediawatch pages` over the corpus' pages into a fresh warehouse.

    With `daemon`, (c): the command goes to the command daemon beside the
    local server, the path a user with a running server takes (in-process
    when none runs, as with --temporary-api). Without it, (f): in-process
    (`--no-daemon`), its memory sampled, as the sampler follows the
    command's own process tree and a run in the daemon is not in it.
    """
    config = _config(bench, f"pages-{pages}{'-daemon' if daemon else ''}")
    flags = [] if daemon else ["--no-daemon"]
    command = _mediawatch(config, *flags, "pages", str(corpus / "pages"), "--json")
    measured = bench.run(config.parent.name, command, sample=not daemon)
    measured.name, measured.pages = label, pages
    measured.note = _describe(measured.summary)
    return measured


def fixed_costs(bench: Bench, corpus: Path, pages: int = 5) -> dict[str, float]:
    """A command's fixed cost (wall time outside its flow run) on a few pages, best of two.

    With the command daemon `mediawatch server start` started (when it runs)
    and without it (`--no-daemon`), each run on a fresh warehouse.
    """
    folder = bench.workdir / "fixed-cost-pages"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for path in _html_files(corpus / "pages")[:pages]:
        shutil.copy(path, folder / path.name)
    costs = {}
    for mode, flags in (("with the daemon", []), ("without it", ["--no-daemon"])):
        seen = []
        for attempt in range(2):
            config = _config(bench, f"fixed-{len(flags)}-{attempt}")
            command = _mediawatch(config, *flags, "pages", str(folder), "--json")
            measured = bench.run(f"fixed-{len(flags)}-{attempt}", command)
            if measured.flow_seconds is not None:
                seen.append(measured.seconds - measured.flow_seconds)
        costs[mode] = min(seen)
    return costs


def mediawatch_runs(bench: Bench, corpus: Path, pages: int) -> tuple[Measured, Measured]:
    """(d) and (e): `mediawatch run --all` twice over HTTP against the corpus on loopback."""
    feeds = json.loads((corpus / "corpus.json").read_text(encoding="utf-8"))["feeds"]
    with serve(corpus) as base:
        sources = [{"name": feed["name"], "url": f"{base}/{feed['path']}"} for feed in feeds]
        config = _config(bench, "ingest", sources)
        command = _mediawatch(config, "run", "--all", "--json")
        first = bench.run("ingest-first", command)
        again = bench.run("ingest-again", command)
    first.name, first.pages = f"(d) mediawatch run over HTTP, {len(feeds)} feeds", pages
    again.name, again.pages = "(e) the same run again, nothing new", pages
    first.note, again.note = _describe(first.summary), _describe(again.summary)
    return first, again


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for row in [headers, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print()


def _rate(pages: int, seconds: float | None) -> str:
    return f"{pages / seconds:.1f}" if seconds else ""


def report(
    cases: list[Measured], startup: float, prefect: dict[str, float], memory: list[Measured]
) -> None:
    """Print the throughput table, the target ratios, the stage breakdown and memory."""
    by_key = {case.name[:3]: case for case in cases}
    rows = []
    for case in cases:
        rows.append([case.name, case.pages, f"{case.seconds:.1f}", f"{case.rate:.1f}", case.note])
        if case.flow_seconds is not None:
            flow_s = case.flow_seconds
            rows.append(
                ["  the flow run alone", case.pages, f"{flow_s:.1f}", _rate(case.pages, flow_s), ""]
            )
    _print_table(["case", "pages", "seconds", "pages/s", "outcome"], rows)

    print(
        f"Prefect start-up per CLI process, empty flow: {startup:.1f} s (imports "
        f"{prefect['imports_s']:.1f} s, temporary API start beside the warm-up "
        f"{prefect['session_s']:.1f} s, first flow run {prefect['first_flow_s']:.1f} s, "
        "the rest interpreter start and shutdown); "
        f"each further flow run {prefect['flow_run_s'] * 1000:.0f} ms, "
        f"each task run {prefect['task_run_s'] * 1000:.0f} ms.\n"
    )
    lines = []
    if "(c)" in by_key and by_key["(c)"].flow_seconds:
        c = by_key["(c)"]
        lines.append(
            f"(c) fixed cost, the command outside its flow run: "
            f"{c.seconds - c.flow_seconds:.1f} s (target <= 1.5 s)"
        )
    if {"(b)", "(c)"} <= by_key.keys():
        b, c = by_key["(b)"], by_key["(c)"]
        alone = f", flow run alone {c.flow_seconds / b.seconds:.2f}" if c.flow_seconds else ""
        lines.append(f"(c)/(b) time: {c.seconds / b.seconds:.2f}{alone} (target <= 1)")
    if {"(d)", "(e)"} <= by_key.keys():
        d, e = by_key["(d)"], by_key["(e)"]
        alone = (
            f", flow runs alone {e.flow_seconds / d.flow_seconds:.1%}"
            if d.flow_seconds and e.flow_seconds
            else ""
        )
        lines.append(f"(e)/(d) time: {e.seconds / d.seconds:.1%}{alone} (target < 5%)")
    print("\n".join(lines) + "\n")

    staged = [c for c in cases if c.flow_seconds is not None and "timings" in c.summary]
    if staged:
        other = "other in the flow run: set-up, finish, task overhead"
        outside = "outside the flow run: imports, Prefect start and stop"
        rows = []
        for stage in [*STAGES, other, outside]:
            row = [stage]
            for case in staged:
                timings = case.summary["timings"]
                flow_seconds = case.flow_seconds or 0.0
                seconds = {
                    other: flow_seconds - sum(timings.values()),
                    outside: case.seconds - flow_seconds,
                }.get(stage, timings.get(stage, 0.0))
                row.append(f"{seconds:6.1f} s {seconds / case.seconds:4.0%}")
            rows.append(row)
        _print_table(["where the time goes", *[case.name[:3] for case in staged]], rows)

    if memory:
        base = memory[0].peak
        rows = [
            [
                case.pages,
                f"{case.peak.pss / 2**20:.0f} MB",
                f"{case.peak.rss / 2**20:.0f} MB",
                case.peak.processes,
                f"{case.peak.pss / base.pss:.2f}x" if base and base.pss else "",
                f"{case.seconds:.1f}",
                f"{case.cpu_seconds:.1f}",
            ]
            for case in memory
            if case.peak is not None
        ]
        print(
            "(f) `mediawatch pages` in-process (--no-daemon): peak memory of its process tree, "
            "sampled from /proc (target: PSS at the largest size <= 1.5x the first), and the "
            "CPU time of its main process (user + system; the pool's workers not counted)"
        )
        headers = ["pages", "peak PSS", "peak RSS sum", "processes", "PSS vs first", "seconds"]
        _print_table([*headers, "main CPU s"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="corpus size for (a)-(e)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument(
        "--memory-sizes",
        default="",
        help="comma-separated corpus sizes for (f) [default: a quarter of --pages, and --pages]",
    )
    parser.add_argument("--cores", type=int, default=default_workers())
    parser.add_argument(
        "--temporary-api",
        action="store_true",
        help="no local Prefect server: every command starts a temporary API of its own",
    )
    args = parser.parse_args()
    sizes = {int(size) for size in args.memory_sizes.split(",") if size}
    sizes = sorted(sizes or {args.pages // 4, args.pages})

    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    needed = (args.pages + sum(size for size in sizes if size != args.pages)) * BYTES_PER_PAGE
    if shutil.disk_usage(workdir).free < needed:
        raise SystemExit(f"{workdir}: needs about {needed / 1e9:.1f} GB free for these sizes")
    # Prefect's home under the work folder: its database is not shared with other runs.
    bench = Bench(workdir, {**os.environ, "PREFECT_HOME": str(workdir / "prefect-home")})
    with ExitStack() as stack:
        if not args.temporary_api:
            api_url = stack.enter_context(local_prefect_server(workdir))
            bench.env["PREFECT_API_URL"] = api_url
        measure(bench, args, sizes)


@contextmanager
def local_prefect_server(workdir: Path, database_url: str | None = None) -> Iterator[str]:
    """`mediawatch server start` on a free port, its data in the work folder; stopped after.

    Its database is SQLite there, or `database_url` (`server.database_url`).
    """
    config = workdir / "server.yaml"
    server = {"port": free_port(), "database_url": database_url}
    config.write_text(
        yaml.safe_dump({"data_dir": str(workdir / "server"), "server": server}), encoding="utf-8"
    )
    command = [str(BIN / "mediawatch"), "server"]
    started = time.perf_counter()
    try:  # stopped even when interrupted while starting: its state file is written first
        subprocess.run([*command, "start", "--config", str(config)], check=True, cwd=ROOT)
        print(f"local Prefect server started in {time.perf_counter() - started:.1f} s", flush=True)
        wait_for_daemon(workdir / "server" / "prefect" / "daemon.log")
        state = json.loads((workdir / "server" / "prefect" / "server.json").read_text("utf-8"))
        yield f"http://{state['host']}:{state['port']}/api"
    finally:
        subprocess.run([*command, "stop", "--config", str(config)], check=True, cwd=ROOT)


def wait_for_daemon(log: Path, timeout: float = 180.0) -> None:
    """Wait until the command daemon started beside the server listens (its log says ready)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if log.exists() and "ready" in log.read_text("utf-8", errors="replace"):
            print(f"command daemon ready after {time.perf_counter() - started:.1f} s", flush=True)
            return
        time.sleep(0.2)
    print(f"command daemon not ready after {timeout:.0f} s: commands run in-process", flush=True)


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure(bench: Bench, args: argparse.Namespace, sizes: list[int]) -> None:
    """Measure every case in order, printing each as it ends, then the report."""
    workdir = bench.workdir
    started = time.perf_counter()
    print(f"corpus: {args.pages} pages, seed {args.seed}, {args.cores} cores", flush=True)
    corpus = workdir / f"corpus-{args.seed}-{args.pages}"
    manifest = write_corpus(corpus, args.pages, args.seed)
    print(f"  {manifest['bytes'] / 1e6:.0f} MB, {len(manifest['feeds'])} feeds", flush=True)

    startup, prefect = prefect_overhead(bench)
    print(f"Prefect start-up measured: {startup:.1f} s", flush=True)
    fixed = fixed_costs(bench, corpus)
    cases = [bare_loop(corpus / "pages")]
    print(f"{cases[-1].name}: {cases[-1].seconds:.1f} s", flush=True)
    cases.append(trafilatura_cli(bench, corpus / "pages", args.cores))
    print(f"{cases[-1].name}: {cases[-1].seconds:.1f} s", flush=True)
    cases.append(mediawatch_pages(bench, corpus, args.pages, "(c) mediawatch pages", daemon=True))
    print(f"{cases[-1].name}: {cases[-1].seconds:.1f} s", flush=True)
    cases.extend(mediawatch_runs(bench, corpus, args.pages))
    for case in cases[-2:]:
        print(f"{case.name}: {case.seconds:.1f} s", flush=True)

    memory = []
    for size in sizes:
        folder = workdir / f"corpus-{args.seed}-{size}"
        write_corpus(folder, size, args.seed)
        memory.append(mediawatch_pages(bench, folder, size, f"(f) pages at {size}"))
        print(f"{memory[-1].name}: {memory[-1].seconds:.1f} s", flush=True)
    print()
    print(
        "fixed cost of a command, outside its flow run (5 pages, best of 2): "
        + ", ".join(f"{mode} {seconds:.1f} s" for mode, seconds in fixed.items())
        + " (target <= 1.5 s)\n"
    )
    report(cases, startup, prefect, memory)
    print(f"benchmark wall time {time.perf_counter() - started:.0f} s; logs in {workdir / 'logs'}")


if __name__ == "__main__":
    main()
