"""bench/cpu_budget.py adds up the CPU of a process tree by what each process is to the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import cpu_budget


def test_a_child_process_cpu_is_counted_and_reported(capsys: pytest.CaptureFixture) -> None:
    sampler = cpu_budget.CpuSampler([os.getpid()], interval=0.05).start()
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.5\n"
            "while time.process_time() < end: pass\ntime.sleep(0.3)",
        ]
    )
    busy.wait()
    sampler.stop()
    assert sampler.spent(busy.pid) >= 0.4
    cpu_budget.report(sampler, server=-1, daemon=-2)
    printed = capsys.readouterr().out
    assert "this sampler" in printed
    assert "all but this sampler" in printed
