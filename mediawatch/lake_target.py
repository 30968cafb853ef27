"""What the `warehouse` setting names: a DuckDB file, or a DuckLake (`ducklake:` prefix).

Kept apart from `mediawatch.warehouse` so that reading the settings does not
import DuckDB and Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DUCKLAKE_PREFIX = "ducklake:"


@dataclass(frozen=True)
class DuckLakeTarget:
    """A DuckLake warehouse: its catalog and where its Parquet files go.

    `catalog` is what follows `ducklake:` in the setting: `postgres:<libpq
    string>` for a catalog in PostgreSQL, or the path of a local catalog file.
    `data_path` is a folder or an `s3://` prefix (None: DuckLake's default,
    `<catalog file>.files/`, which only a catalog file has).
    """

    catalog: str
    data_path: str | None = None

    def __str__(self) -> str:
        return DUCKLAKE_PREFIX + self.catalog


Target = Path | str | DuckLakeTarget


def as_target(value: Target, data_path: str | None = None) -> Path | DuckLakeTarget:
    """A warehouse setting as a file path or a `DuckLakeTarget` (`ducklake:` prefix)."""
    if isinstance(value, DuckLakeTarget):
        return value
    text = str(value)
    if text.startswith(DUCKLAKE_PREFIX):
        return DuckLakeTarget(text.removeprefix(DUCKLAKE_PREFIX), data_path)
    return Path(text)
