"""A consistent copy of the warehouse, taken while scheduled runs go on.

DuckDB lets one process hold a file for writing, so the copy is made through
a read-only connection opened like any reader's (a file a run is writing is
retried with backoff): DuckDB's `COPY FROM DATABASE` writes every table,
view, constraint and comment into a new DuckDB file, which is a working
warehouse as it is. While the copy runs, a run's loads wait and retry, and
a load that still finds the file busy is spooled and loaded by the next run,
so nothing is lost. The copy is written under a `.partial` name and renamed
when complete: a backup file that exists is a whole one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb

from mediawatch.duck_extensions import sql_literal
from mediawatch.errors import WarehouseError
from mediawatch.warehouse import connect


def backup(
    warehouse: Path,
    target: Path,
    *,
    attempts: int,
    backoff: float,
    config: Mapping[str, object] | None = None,
) -> Path:
    """Copy the warehouse into the new DuckDB file `target`; refuse to overwrite one.

    `config`: the DuckDB settings to open the warehouse with (memory limit, threads).
    """
    if target.exists():
        raise WarehouseError(f"{target} exists: give a new file name for the backup")
    if target.resolve() == Path(warehouse).resolve():
        raise WarehouseError("the backup must be another file than the warehouse")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)  # left by a backup that was killed
    con = connect(warehouse, read_only=True, attempts=attempts, backoff=backoff, config=config)
    try:
        (name,) = con.execute("SELECT current_database()").fetchone()
        # DuckDB 1.5 takes no parameter in ATTACH: the path is quoted into the statement.
        con.execute(f"ATTACH {sql_literal(str(partial))} AS mediawatch_backup (READ_ONLY false)")
        quoted = '"' + name.replace('"', '""') + '"'
        con.execute(f"COPY FROM DATABASE {quoted} TO mediawatch_backup")
        con.execute("DETACH mediawatch_backup")
    except duckdb.Error as exc:
        partial.unlink(missing_ok=True)
        raise WarehouseError(f"backup of {warehouse} failed: {exc}") from exc
    finally:
        con.close()
    partial.rename(target)
    return target
