"""The micro-benchmarks that `make bench` runs still run against the current library.

They sit outside the suite's imports (scripts, not a package), so an API
change would otherwise break them unnoticed until someone benchmarks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_warehouse_benchmark_runs_every_step_on_a_small_batch() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_warehouse.py"), "--articles", "24", "--labels", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "stored_signatures" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("total")
