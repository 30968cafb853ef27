"""Load DuckDB extensions from their pip packages, never from the network.

DuckDB's `INSTALL` downloads an extension at run time; the pip packages
`duckdb-extension-<name>` ship the same file, built for one DuckDB version,
inside the package (`extensions/v<duckdb version>/<name>.duckdb_extension`).
Loading that file by path works offline and in the sandbox of `mediawatch sql`
as long as it is loaded before the configuration is locked.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

from mediawatch.errors import WarehouseError

# Extension name -> the pip package that ships it.
PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "httpfs": "duckdb_extension_httpfs",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}


def extension_file(name: str) -> Path:
    """The extension file of `name` for the installed DuckDB version, from its pip package."""
    package = PACKAGES.get(name)
    if package is None:
        raise WarehouseError(f"no pip package known for the DuckDB extension {name!r}")
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        pip_name = package.replace("_", "-")
        raise WarehouseError(
            f"the DuckDB extension {name!r} needs the package {pip_name}: pip install {pip_name}"
        ) from exc
    found = Path(str(root)) / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not found.is_file():
        raise WarehouseError(
            f"{package} has no {name} extension for DuckDB {duckdb.__version__} "
            f"(looked for {found}): install the package version matching DuckDB"
        )
    return found


def sql_literal(text: str) -> str:
    """`text` as a quoted SQL string, for statements that take no parameters (LOAD, ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


def load(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Load these extensions into a connection from their package files."""
    for name in names:
        con.execute(f"LOAD {sql_literal(str(extension_file(name)))}")
