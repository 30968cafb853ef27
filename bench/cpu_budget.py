"""The CPU budget of (c): who spends the CPU of `mediawatch pages` through a running server.

On two cores, (c) can match trafilatura's `--parallel 2` only if all the CPU it
spends fits in twice (b)'s wall time, so the figure that counts is CPU seconds
per process, not wall time (which other jobs on the machine inflate). This
starts `mediawatch server start` (the Prefect server and the command daemon),
runs `mediawatch pages` on the corpus `--runs` times, each into a fresh
warehouse, and samples /proc meanwhile: every process under the server, the
daemon and this script, with user + system CPU per process and per thread of
the run's own process. Each process's CPU is sampled while it lives, so a
process ending between two samples loses at most one interval of its CPU.

It also prints a timeline: the CPU of all those processes every `--interval`
seconds, and the core-seconds left idle (cores x wall - CPU used) before the
first page reaches a worker (start-up), while the workers extract (batch
boundaries, stragglers) and after their last page (the serial tail). Other
jobs on the machine take cores too, so compare the idle share, not seconds.

    .venv/bin/python bench/cpu_budget.py --pages DIR [--runs 2] [--batch-size N] [--interval S]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from run_bench import ROOT, Bench, _config, _describe, _mediawatch, local_prefect_server

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(path: Path) -> tuple[int, str, float, str] | None:
    """(parent pid, command name, user + system CPU seconds, state) from a /proc stat file."""
    try:
        text = path.read_text()
    except OSError:
        return None  # the process ended while we looked
    fields = text.rsplit(")", 1)[1].split()  # the name (field 2) may hold spaces
    name = text[text.index("(") + 1 : text.rindex(")")]
    return int(fields[1]), name, (int(fields[11]) + int(fields[12])) / _TICK, fields[0]


@dataclass(slots=True)
class _Process:
    parent: int
    command: str
    cpu: float = 0.0
    threads: dict[int, tuple[str, float]] = field(default_factory=dict)


class CpuSampler:
    """Sample the CPU of every process under `roots` until `stop()`, keeping each one's last."""

    def __init__(self, roots: list[int], interval: float = 0.5) -> None:
        self.roots = roots
        self.interval = interval
        self.processes: dict[int, _Process] = {}
        self.before: dict[int, _Process] = {}
        # Per sample: its time, and each process's CPU and how many of its threads could run.
        self.history: list[tuple[float, dict[int, tuple[float, int]]]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for path in Path("/proc").glob("[0-9]*/stat"):
            found = _stat(path)
            if found is not None:
                children.setdefault(found[0], []).append(int(path.parent.name))
        pids, todo = [], list(self.roots)
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(children.get(pid, []))
        return pids

    def _sample(self) -> None:
        now = time.perf_counter()
        runnable: dict[int, int] = {}
        for pid in self._tree():
            found = _stat(Path(f"/proc/{pid}/stat"))
            if found is None:
                continue
            process = self.processes.get(pid)
            if process is None:
                try:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                except OSError:
                    continue
                process = self.processes[pid] = _Process(found[0], command.decode(errors="replace"))
            process.cpu = found[2]
            runnable[pid] = 0
            for path in Path(f"/proc/{pid}/task").glob("*/stat"):
                thread = _stat(path)
                if thread is not None:
                    process.threads[int(path.parent.name)] = thread[1:3]
                    runnable[pid] += thread[3] == "R"
        self.history.append(
            (now, {pid: (p.cpu, runnable.get(pid, 0)) for pid, p in self.processes.items()})
        )

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            self._sample()

    def start(self) -> CpuSampler:
        self._sample()
        self.before = {
            pid: _Process(p.parent, p.command, p.cpu, dict(p.threads))
            for pid, p in self.processes.items()
        }
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
        self._sample()

    def spent(self, pid: int) -> float:
        """CPU seconds `pid` spent since `start`."""
        before = self.before.get(pid)
        return self.processes[pid].cpu - (before.cpu if before else 0.0)


def _role(sampler: CpuSampler, pid: int, server: int, daemon: int) -> str:
    """What a process is to the run: server, its sub-process, the run, a pool worker, ..."""
    processes = sampler.processes
    if pid in (server, daemon):
        return "Prefect server" if pid == server else "command daemon (waiting)"
    ancestors, parent = [], processes[pid].parent
    while parent in processes:
        ancestors.append(parent)
        parent = processes[parent].parent
    command = processes[pid].command
    if server in ancestors:
        return "Prefect server's sub-processes"
    if "multiprocessing.forkserver" in command:
        parent_command = processes.get(processes[pid].parent, _Process(0, "")).command
        forked = "multiprocessing.forkserver" in parent_command
        return "extraction workers" if forked else "forkserver"
    if "multiprocessing.resource_tracker" in command:
        return "resource tracker"
    if daemon in ancestors:
        return "the run (daemon's child)"
    if pid == os.getpid():
        return "this sampler"
    return "CLI client" if "mediawatch" in command else command[:60]


def report(sampler: CpuSampler, server: int, daemon: int) -> None:
    """Print CPU seconds by role, and the run's threads."""
    totals: dict[str, float] = {}
    for pid in sampler.processes:
        spent = sampler.spent(pid)
        if spent <= 0:
            continue
        role = _role(sampler, pid, server, daemon)
        totals[role] = totals.get(role, 0.0) + spent
        if role == "the run (daemon's child)":
            before = sampler.before.get(pid)
            threads = sorted(
                (cpu - (before.threads.get(tid, ("", 0.0))[1] if before else 0.0), tid)
                for tid, (_, cpu) in sampler.processes[pid].threads.items()
            )[::-1]
            named = [f"{'main' if tid == pid else tid} {cpu:.2f}" for cpu, tid in threads[:6]]
            print(f"    the run's threads (CPU-s): {', '.join(named)}")
    for role, spent in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"    {role:34s} {spent:7.2f} CPU-s")
    counted = sum(spent for role, spent in totals.items() if role != "this sampler")
    workers = totals.get("extraction workers", 0.0)
    outside = counted - workers
    print(
        f"    {'all but this sampler':34s} {counted:7.2f} CPU-s ({outside:.2f} outside the workers)"
    )


@dataclass(frozen=True, slots=True)
class _Interval:
    """One interval between samples: its start (from the run's), length, CPU-s, runnable threads."""

    start: float
    seconds: float
    cpu: float  # all but this sampler
    workers: float  # the extraction workers' part of it
    runnable: int  # threads of all but this sampler ready to run at the interval's end


def _intervals(
    sampler: CpuSampler, roles: dict[int, str], started: float, ended: float
) -> list[_Interval]:
    """The sample intervals within the run, with their CPU and runnable threads."""
    rows = []
    previous = {pid: p.cpu for pid, p in sampler.before.items()}
    last = sampler.history[0][0]
    for now, sampled in sampler.history[1:]:
        ours = {pid: v for pid, v in sampled.items() if roles.get(pid) != "this sampler"}
        spent = {pid: cpu - previous.get(pid, 0.0) for pid, (cpu, _) in ours.items()}
        previous = {pid: cpu for pid, (cpu, _) in sampled.items()}
        if last >= started and now <= ended + sampler.interval:
            workers = sum(v for pid, v in spent.items() if roles[pid] == "extraction workers")
            runnable = sum(count for _, count in ours.values())
            used = sum(spent.values())
            rows.append(_Interval(last - started, now - last, used, workers, runnable))
        last = now
    return rows


def timeline(sampler: CpuSampler, server: int, daemon: int, started: float, ended: float) -> None:
    """Print idle core-seconds by phase (start-up, extraction, tail) and the CPU per second.

    Two idle figures: by CPU (cores x wall - CPU used: other jobs on the
    machine inflate it) and unwanted (no thread of ours ready to run on the
    core, whatever else the machine does: a figure load hardly changes). The
    extraction phase runs from the workers' first 2% of CPU to their 98%.
    """
    cores = os.cpu_count() or 1
    roles = {pid: _role(sampler, pid, server, daemon) for pid in sampler.processes}
    rows = _intervals(sampler, roles, started, ended)
    total, running, first, last = sum(r.workers for r in rows), 0.0, None, 0.0
    for row in rows:
        running += row.workers
        if first is None and running >= 0.02 * total:
            first = row.start
        if running <= 0.98 * total:
            last = row.start
    first = first or 0.0
    phases = {
        "start-up (before the first page)": lambda t: t < first,
        "extraction (boundaries, stragglers)": lambda t: first <= t <= last,
        "tail (after the last page)": lambda t: t > last,
        "whole run": lambda t: True,
    }
    print(f"    timeline ({cores} cores, sampled every {sampler.interval:.2f} s):")
    print(
        f"      {'phase':38s} {'wall s':>7s} {'CPU-s':>7s} {'idle core-s':>12s} {'idle %':>7s}"
        f" {'unwanted core-s':>16s} {'unwanted %':>11s}"
    )
    for phase, within in phases.items():
        chosen = [row for row in rows if within(row.start)]
        wall = sum(row.seconds for row in chosen)
        used = sum(row.cpu for row in chosen)
        idle = sum(max(0.0, cores * row.seconds - row.cpu) for row in chosen)
        unwanted = sum(max(0, cores - row.runnable) * row.seconds for row in chosen)
        capacity = cores * wall or 1.0
        print(
            f"      {phase:38s} {wall:7.2f} {used:7.2f} {idle:12.2f} {100 * idle / capacity:6.1f}%"
            f" {unwanted:16.2f} {100 * unwanted / capacity:10.1f}%"
        )
    print("      per second: cores used by all (by the workers) / mean threads ready to run")
    seconds: dict[int, list[float]] = {}
    for row in rows:
        bucket = seconds.setdefault(int(row.start), [0.0, 0.0, 0.0, 0.0])
        bucket[0] += row.cpu
        bucket[1] += row.workers
        bucket[2] += row.runnable * row.seconds
        bucket[3] += row.seconds
    cells = [
        f"{s:3d}s {a:.1f} ({w:.1f}) /{r / n:3.1f}" for s, (a, w, r, n) in sorted(seconds.items())
    ]
    for start in range(0, len(cells), 5):
        print("      " + "   ".join(cells[start : start + 5]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, required=True, help="a folder of saved pages")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, help="limits.batch_size for the runs")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mediawatch-cpu-budget"))
    parser.add_argument("--interval", type=float, default=0.15, help="seconds between samples")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(workdir, {**os.environ, "PREFECT_HOME": str(workdir / "prefect-home")})
    with local_prefect_server(workdir) as api_url:
        bench.env["PREFECT_API_URL"] = api_url
        folder = workdir / "server" / "prefect"
        server = json.loads((folder / "server.json").read_text("utf-8"))["pid"]
        daemon = json.loads((folder / "daemon.json").read_text("utf-8"))["pid"]
        for number in range(args.runs):
            config = _config(bench, f"cpu-budget-{number}")
            if args.batch_size:
                settings = yaml.safe_load(config.read_text("utf-8"))
                settings["limits"] = {"batch_size": args.batch_size}
                config.write_text(yaml.safe_dump(settings), "utf-8")
            command = _mediawatch(config, "pages", str(args.pages.resolve()), "--json")
            sampler = CpuSampler([server, daemon, os.getpid()], args.interval).start()
            started = time.perf_counter()
            done = subprocess.run(command, env=bench.env, cwd=ROOT, capture_output=True, check=True)
            ended = time.perf_counter()
            wall = ended - started
            time.sleep(1.0)  # the server's handling of the run's last calls
            sampler.stop()
            print(f"run {number + 1}: {wall:.1f} s, {_describe(json.loads(done.stdout))}")
            report(sampler, server, daemon)
            timeline(sampler, server, daemon, started, ended)


if __name__ == "__main__":
    main()
