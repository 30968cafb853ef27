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

    .venv/bin/python bench/cpu_budget.py --pages DIR [--runs 2] [--batch-size N]
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


def _stat(path: Path) -> tuple[int, str, float] | None:
    """(parent pid, command name, user + system CPU seconds) from a /proc stat file."""
    try:
        text = path.read_text()
    except OSError:
        return None  # the process ended while we looked
    fields = text.rsplit(")", 1)[1].split()  # the name (field 2) may hold spaces
    name = text[text.index("(") + 1 : text.rindex(")")]
    return int(fields[1]), name, (int(fields[11]) + int(fields[12])) / _TICK


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
            for path in Path(f"/proc/{pid}/task").glob("*/stat"):
                thread = _stat(path)
                if thread is not None:
                    process.threads[int(path.parent.name)] = thread[1:]

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, required=True, help="a folder of saved pages")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, help="limits.batch_size for the runs")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mediawatch-cpu-budget"))
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
            sampler = CpuSampler([server, daemon, os.getpid()]).start()
            started = time.perf_counter()
            done = subprocess.run(command, env=bench.env, cwd=ROOT, capture_output=True, check=True)
            wall = time.perf_counter() - started
            time.sleep(1.0)  # the server's handling of the run's last calls
            sampler.stop()
            print(f"run {number + 1}: {wall:.1f} s, {_describe(json.loads(done.stdout))}")
            report(sampler, server, daemon)


if __name__ == "__main__":
    main()
