"""`mediawatch.lifetime.runs`: the one check that a recorded pid is still the program it was."""

from __future__ import annotations

import subprocess
import sys

from mediawatch.lifetime import runs


def test_a_pid_runs_only_while_alive_and_named_by_its_command_line() -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "marker-7f3a"])
    try:
        assert runs(sleeper.pid, b"marker-7f3a")
        assert not runs(sleeper.pid, b"prefect")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not runs(sleeper.pid, b"marker-7f3a")
