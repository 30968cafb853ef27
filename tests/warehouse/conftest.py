"""The warehouse tests run against both backends: a DuckDB file and a DuckLake.

`memory_warehouse` is overridden here with a parameter: the shared in-memory
DuckDB of tests/conftest.py, and a DuckLake whose catalog is a fresh database
on the session's throwaway PostgreSQL and whose Parquet files go to tmp_path.
"""

from __future__ import annotations

import itertools

import pytest

from mediawatch.lake_target import DuckLakeTarget
from mediawatch.warehouse import Warehouse

_CATALOGS = itertools.count()


@pytest.fixture
def ducklake_warehouse(request: pytest.FixtureRequest, tmp_path) -> Warehouse:
    """A new, empty DuckLake warehouse: catalog in PostgreSQL, data in tmp_path."""
    server = request.getfixturevalue("local_postgres")
    dsn = server.create_database(f"lake_{next(_CATALOGS)}")
    return Warehouse(DuckLakeTarget(f"postgres:{dsn}", str(tmp_path / "lake")))


@pytest.fixture(params=["duckdb", "ducklake"])
def memory_warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """A schema-ready warehouse of each backend (the DuckDB one in memory)."""
    if request.param == "duckdb":
        return Warehouse(":memory:")
    return request.getfixturevalue("ducklake_warehouse")
