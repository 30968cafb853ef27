"""Peak memory of a process and all its descendants, sampled from /proc (Linux).

psutil is not a dependency, and `getrusage(RUSAGE_CHILDREN).ru_maxrss` gives
only the largest single child ever waited for, not the sum of a process and
its pool workers running at the same time. So a thread samples the tree
every `interval` seconds and keeps the peak of two sums: RSS (what `top`
shows; counts pages shared by forked workers once per process) and PSS
(shared pages divided among their sharers: the tree's real footprint).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process visible now."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces; the fields after ')' do not.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree = _children()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; zeros if it is gone."""
    try:
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
        pss = 0
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
                break
    except (OSError, IndexError, ValueError):
        return 0, 0
    return rss, pss


@dataclass(slots=True)
class TreePeak:
    """Peak summed RSS and PSS of a process tree, in bytes, and the most processes seen."""

    rss: int = 0
    pss: int = 0
    processes: int = 0


class TreeSampler:
    """Sample a process tree's memory in a thread until `stop()`; read `peak` afterwards."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = TreePeak()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> TreePeak:
        self._done.set()
        self._thread.join()
        return self.peak

    def _run(self) -> None:
        while not self._done.is_set():
            pids = _descendants(self.pid)
            sizes = [_memory(pid) for pid in pids]
            self.peak.rss = max(self.peak.rss, sum(rss for rss, _ in sizes))
            self.peak.pss = max(self.peak.pss, sum(pss for _, pss in sizes))
            self.peak.processes = max(self.peak.processes, len(pids))
            self._done.wait(self.interval)
