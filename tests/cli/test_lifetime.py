"""`mediawatch.lifetime.runs`: the one check that a recorded pid is still the program it was."""

from __future__ import annotations

import subprocess
import sys

from mediawatch.lifetime import runs


def test_a_pid_runs_only_while_alive_and_named_by_its_command_line() -> None:
    script = "import time; print('up', flush=True); time.sleep(60)"
    command = [sys.executable, "-c", script, "marker-7f3a"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as sleeper:
        try:
            # Right after the fork the child is still mid-exec, with an empty command line that
            # `runs` counts as running whatever the name: wait until its own code has printed.
            assert sleeper.stdout is not None and sleeper.stdout.readline() == "up\n"
            assert runs(sleeper.pid, b"marker-7f3a")
            assert not runs(sleeper.pid, b"prefect")
        finally:
            sleeper.kill()
    assert not runs(sleeper.pid, b"marker-7f3a")
