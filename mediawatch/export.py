"""Copy the warehouse's tables and views out as Parquet files, for downstream tools.

One file per relation, `<name>.parquet`, written by DuckDB's own `COPY ...
(FORMAT parquet)` from a read-only connection that is closed as soon as the
copy ends (while it is open, writers wait for it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb

from mediawatch.errors import WarehouseError
from mediawatch.lake_target import Target
from mediawatch.warehouse import connect


def relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The user-facing tables and views, without the migrations' bookkeeping table."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = 'main' "
        "AND table_name <> 'schema_version' AND database_name = current_database() "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal "
        "AND schema_name = 'main' AND database_name = current_database() ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def export_parquet(
    warehouse: Target, directory: Path, *, config: Mapping[str, object] | None = None
) -> list[Path]:
    """Write every table and view of the warehouse to `directory`; return the files.

    `config`: the DuckDB settings to open the warehouse with (memory limit, threads).
    """
    directory.mkdir(parents=True, exist_ok=True)
    con = connect(warehouse, read_only=True, config=config)
    written = []
    try:
        for name in relations(con):
            target = directory / f"{name}.parquet"
            quoted = str(target).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{quoted}' (FORMAT parquet)")
            written.append(target)
    except duckdb.Error as exc:
        raise WarehouseError(f"export to {directory} failed: {exc}") from exc
    finally:
        con.close()
    return written
