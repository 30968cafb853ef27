"""Every warehouse connection opens with the configured DuckDB memory limit and threads."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from mediawatch.lake_target import DuckLakeTarget
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse, connect, connect_for_queries

# DuckDB shows 300MB (1000^2 bytes) as MiB; 1 thread is never the default on a 2+ core machine.
CONFIG = {"memory_limit": "300MB", "threads": 1}
SHOWN = ("286.1 MiB", 1)


def engine(con: duckdb.DuckDBPyConnection) -> tuple[str, int]:
    """The connection's memory limit and thread count, as DuckDB reports them."""
    row = con.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_the_settings_give_every_file_connection_its_limit(tmp_path: Path) -> None:
    config = tmp_path / "mediawatch.yaml"
    config.write_text("warehouse_memory_limit: 300MB\nwarehouse_threads: 1\n", encoding="utf-8")
    settings = load_settings(config)
    assert settings.duckdb_config == CONFIG
    warehouse = Warehouse(settings.warehouse, config=settings.duckdb_config)
    with warehouse.connection() as con:
        assert engine(con) == SHOWN
    with warehouse.reader() as con:
        assert engine(con) == SHOWN
    queries = connect_for_queries(settings.warehouse, config=settings.duckdb_config)
    try:
        assert engine(queries) == SHOWN
    finally:
        queries.close()
    # Without the settings DuckDB's own default (a share of RAM) applies: the test can fail.
    plain = connect(settings.warehouse, read_only=True)
    try:
        assert engine(plain) != SHOWN
    finally:
        plain.close()


def test_a_ducklake_connection_has_the_limit_too_and_spills_into_the_data_folder(
    tmp_path: Path,
) -> None:
    config = tmp_path / "mediawatch.yaml"
    config.write_text(
        "warehouse: ducklake:catalog.ducklake\nwarehouse_memory_limit: 300MB\n"
        "warehouse_threads: 1\ndata_dir: data\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert isinstance(settings.warehouse, DuckLakeTarget)
    warehouse = Warehouse(settings.warehouse, config=settings.duckdb_config)
    for opened in (warehouse.connection(), warehouse.reader()):
        with opened as con:
            assert engine(con) == SHOWN
            (spill,) = con.execute("SELECT current_setting('temp_directory')").fetchone() or ()
            assert Path(spill) == tmp_path / "data" / "duckdb.tmp"


@pytest.mark.parametrize("limit", ["512MB", "1.5GiB", "64 mb"])
def test_sizes_duckdb_takes_are_accepted(tmp_path: Path, limit: str) -> None:
    config = tmp_path / "mediawatch.yaml"
    config.write_text(f"warehouse_memory_limit: {limit}\n", encoding="utf-8")
    con = duckdb.connect(config=load_settings(config).duckdb_config)
    try:
        assert engine(con)[0].endswith("iB")
    finally:
        con.close()
