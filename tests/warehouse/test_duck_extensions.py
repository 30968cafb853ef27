"""DuckDB extensions load from their pip packages with every network route closed."""

import duckdb
import pytest

from mediawatch import duck_extensions
from mediawatch.errors import WarehouseError


def test_extensions_load_from_package_files_without_install(tmp_path):
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "extension_directory": str(tmp_path / "empty"),
        }
    )
    duck_extensions.load(con, "ducklake", "postgres_scanner")
    loaded = con.execute(
        "SELECT extension_name, extension_version FROM duckdb_extensions() "
        "WHERE loaded AND extension_name IN ('ducklake', 'postgres_scanner') ORDER BY 1"
    ).fetchall()
    assert [name for name, _ in loaded] == ["ducklake", "postgres_scanner"]
    assert not (tmp_path / "empty").exists()


def test_unknown_extension_is_a_named_error():
    with pytest.raises(WarehouseError, match="no pip package known"):
        duck_extensions.extension_file("spatial")
