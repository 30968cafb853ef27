"""The warehouse tests run against both backends: a DuckDB file and a DuckLake.

`memory_warehouse` is overridden here with a parameter: the shared in-memory
DuckDB of tests/conftest.py, and a DuckLake whose catalog is a fresh database
on the session's throwaway PostgreSQL and whose Parquet files go to tmp_path.
Each fresh catalog is a copy of one migrated once per session (`lake_template`):
migrating a DuckLake takes seconds, copying a database a fraction of one.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from mediawatch import pg_local
from mediawatch.lake_target import DuckLakeTarget
from mediawatch.warehouse import Warehouse, connect

_CATALOGS = itertools.count()


@dataclass(frozen=True)
class LakeTemplate:
    """A migrated DuckLake catalog database and its data folder, to copy for each test."""

    server: pg_local.LocalPostgres
    database: str
    data: Path

    def copy(self, data: Path) -> DuckLakeTarget:
        """A new lake like the template: its catalog copied, pointing at a copy of its data."""
        dsn = self.server.create_database(f"lake_{next(_CATALOGS)}", template=self.database)
        shutil.copytree(self.data, data)
        # DuckLake keeps its data path in the catalog and refuses to attach with another one.
        moved = f"UPDATE ducklake_metadata SET value = '{data}/' WHERE key = 'data_path'"
        subprocess.run(
            [str(self.server.bindir / "psql"), dsn, "-qAtc", moved],
            check=True,
            capture_output=True,
        )
        return DuckLakeTarget(f"postgres:{dsn}", str(data))


@pytest.fixture(scope="session")
def lake_template(local_postgres, tmp_path_factory: pytest.TempPathFactory) -> LakeTemplate:
    """A DuckLake migrated by `connect` as a fresh one is, once per session; no connection left."""
    data = tmp_path_factory.mktemp("lake-template") / "lake"
    dsn = local_postgres.create_database("lake_template")
    connect(DuckLakeTarget(f"postgres:{dsn}", str(data))).close()
    return LakeTemplate(local_postgres, "lake_template", data)


@pytest.fixture
def ducklake_warehouse(lake_template: LakeTemplate, tmp_path: Path) -> Warehouse:
    """A new, empty, migrated DuckLake warehouse: catalog in PostgreSQL, data in tmp_path."""
    return Warehouse(lake_template.copy(tmp_path / "lake"))


@pytest.fixture(params=["duckdb", "ducklake"])
def memory_warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """A schema-ready warehouse of each backend (the DuckDB one in memory)."""
    if request.param == "duckdb":
        return Warehouse(":memory:")
    return request.getfixturevalue("ducklake_warehouse")
