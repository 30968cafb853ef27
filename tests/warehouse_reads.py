"""Reading a warehouse file as a user's own DuckDB client would, for the tests' checks.

A plain read-only connection, opened and closed per query, so a test sees
what another process committed and never holds the file between checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """All rows of `sql` on the warehouse file at `path`."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
