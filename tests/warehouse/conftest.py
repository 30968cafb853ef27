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
from typing import Any

import pytest

from mediawatch import pg_local
from mediawatch.lake_target import DuckLakeTarget, S3Settings
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
        shutil.copytree(self.data, data)
        return DuckLakeTarget(self._catalog_at(f"{data}/"), str(data))

    def copy_to_s3(self, s3: Any) -> DuckLakeTarget:
        """A new lake like the template whose data path is a fresh bucket of `s3` (`loopback_s3`).

        The template's data files are uploaded there, so that the copy is whole.
        """
        bucket = s3.bucket()
        for file in self.data.rglob("*"):
            if file.is_file():
                s3.client.upload_file(str(file), bucket, f"news/{file.relative_to(self.data)}")
        data = f"s3://{bucket}/news/"
        return DuckLakeTarget(self._catalog_at(data), data, S3Settings(**s3.settings))

    def _catalog_at(self, data_path: str) -> str:
        """A copy of the template's catalog whose data path is `data_path`; its `postgres:` DSN."""
        dsn = self.server.create_database(f"lake_{next(_CATALOGS)}", template=self.database)
        # DuckLake keeps its data path in the catalog and refuses to attach with another one.
        moved = f"UPDATE ducklake_metadata SET value = '{data_path}' WHERE key = 'data_path'"
        subprocess.run(
            [str(self.server.bindir / "psql"), dsn, "-qAtc", moved],
            check=True,
            capture_output=True,
        )
        return f"postgres:{dsn}"


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
