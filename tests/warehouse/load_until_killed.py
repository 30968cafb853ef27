"""Child process of the crash tests: loads batch after batch into a warehouse until killed.

Usage: python load_until_killed.py. It imports the loader once, prints `ready`,
then for each line `WAREHOUSE<TAB>FIRST_BATCH[<TAB>DATA_PATH]` read from stdin forks a
loader (WAREHOUSE may be a `ducklake:` target, DATA_PATH its Parquet folder).
The loader prints `pid N`, then `begin K` before each batch K, so the parent
knows whom to kill and which batches may have been cut short; once the loader
is dead this process prints `ended`. Forking saves each trial the seconds of
importing DuckDB, Arrow and the loader, and the loader still dies by SIGKILL.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).parent)]

from crash_batches import make_batch  # noqa: E402

from mediawatch.lake_target import as_target  # noqa: E402
from mediawatch.spool import load_validated  # noqa: E402
from mediawatch.warehouse import Warehouse  # noqa: E402


def load_until_killed(target: str, first: int, data_path: str | None) -> None:
    """Load batch `first`, then the next, and so on: only a signal ends this."""
    warehouse = Warehouse(as_target(target, data_path))
    number = first
    while True:
        print(f"begin {number}", flush=True)
        load_validated(warehouse, make_batch(number))
        number += 1


def main() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        target, first, *data_path = line.rstrip("\n").split("\t")
        pid = os.fork()
        if pid == 0:
            print(f"pid {os.getpid()}", flush=True)
            try:
                load_until_killed(target, int(first), (data_path or [None])[0])
            finally:  # the loader failed: say why, and never go back to the loop
                traceback.print_exc()
                os._exit(1)
        os.waitpid(pid, 0)
        print("ended", flush=True)


if __name__ == "__main__":
    main()
