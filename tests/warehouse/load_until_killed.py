"""Child process of the crash tests: load batch after batch into a warehouse until killed.

Usage: python load_until_killed.py WAREHOUSE FIRST_BATCH [DATA_PATH]; WAREHOUSE
may be a `ducklake:` target, DATA_PATH its Parquet folder. Prints `ready` once
imported, then `begin K` before each batch K, so the parent knows which
batches may have been cut short.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).parent)]

from crash_batches import make_batch  # noqa: E402

from mediawatch.lake_target import as_target  # noqa: E402
from mediawatch.spool import load_validated  # noqa: E402
from mediawatch.warehouse import Warehouse  # noqa: E402


def main() -> None:
    warehouse = Warehouse(as_target(sys.argv[1], (sys.argv[3:] or [None])[0]))
    number = int(sys.argv[2])
    print("ready", flush=True)
    while True:
        print(f"begin {number}", flush=True)
        load_validated(warehouse, make_batch(number))
        number += 1


if __name__ == "__main__":
    main()
