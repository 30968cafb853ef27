"""`make scale-demo` stopped with SIGTERM stops everything it started.

The demo starts PostgreSQL, a Prefect server and workers, each in its own
session (they outlive a plain exit of the demo's process); before, a SIGTERM
left all of them running and their ports taken. Every process the demo starts
inherits a marker in its environment, so the test finds any leftover exactly,
whoever it runs as.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from mediawatch import pg_local

DEMO = Path(__file__).resolve().parents[2] / "bench" / "scale_demo.py"
pytestmark = pytest.mark.slow
_STARTUP_TIMEOUT = 240.0


def processes_with(marker: str) -> list[int]:
    """Ids of the live processes whose environment holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # gone meanwhile, or not ours to read (then not started by the demo)
    return found


def listening(port: int) -> bool:
    """Whether something accepts connections on the loopback port."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def test_sigterm_after_the_services_started_leaves_no_process_and_frees_the_ports(
    tmp_path: Path,
) -> None:
    if pg_local.find_bindir() is None:
        pytest.skip("no PostgreSQL server binaries (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    marker = f"MEDIAWATCH_SCALE_DEMO_TEST={uuid.uuid4().hex}"
    name, value = marker.split("=")
    demo = subprocess.Popen(
        [sys.executable, str(DEMO), "--feeds", "2", "--items", "2", "--workers", "1",
         "--workdir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, name: value, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(demo.stdout, lines), daemon=True).start()
    output, ports = [], []
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    try:
        while not any("workers started" in line for line in output):
            assert demo.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "".join(output)
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            found = re.search(
                r"PostgreSQL on port (\d+); Prefect server http://[^:]+:(\d+)/", output[-1]
            )
            ports += [int(port) for port in found.groups()] if found else []
        assert len(ports) == 2 and all(listening(port) for port in ports), "".join(output)
        assert len(processes_with(marker)) >= 3  # at least PostgreSQL, the server, the worker
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=120)
    finally:
        if demo.poll() is None:
            demo.kill()
    time.sleep(1)  # the last children of a stopped group are reaped by init
    assert demo.returncode == 1
    assert processes_with(marker) == []
    assert not any(listening(port) for port in ports)
