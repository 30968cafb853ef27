"""What the `warehouse` setting names: a DuckDB file, or a DuckLake (`ducklake:` prefix).

Kept apart from `mediawatch.warehouse` so that reading the settings does not
import DuckDB and Arrow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

DUCKLAKE_PREFIX = "ducklake:"
S3_PREFIX = "s3://"


def _host_port(endpoint: str) -> str:
    """An S3 endpoint as DuckDB takes it: `host` or `host:port`, without a scheme or path."""
    if not re.fullmatch(r"[A-Za-z0-9.\-]+(:\d{1,5})?", endpoint):
        raise ValueError(
            f"give host or host:port (e.g. minio.example:9000), not {endpoint!r}: "
            "no http:// (use_ssl chooses https or http) and no path"
        )
    return endpoint


class S3Settings(BaseModel):
    """How DuckDB reaches a DuckLake whose data path is `s3://` (the `warehouse_s3` settings).

    `endpoint` is the `host[:port]` of an S3-compatible store (MinIO, Ceph...),
    null for AWS itself; `url_style` is `path` for most such stores. `key_id`,
    `secret` and `session_token` default to the standard AWS environment
    variables (filled in by `mediawatch.settings`); the secrets are `SecretStr`,
    so a printed, logged or serialised settings object shows `**********`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: Annotated[str, AfterValidator(_host_port)] | None = None
    region: Annotated[str, Field(min_length=1)] | None = None
    url_style: Literal["vhost", "path"] = "vhost"
    use_ssl: bool = True
    key_id: Annotated[str, Field(min_length=1)] | None = None
    secret: SecretStr | None = None
    session_token: SecretStr | None = None


@dataclass(frozen=True)
class DuckLakeTarget:
    """A DuckLake warehouse: its catalog and where its Parquet files go.

    `catalog` is what follows `ducklake:` in the setting: `postgres:<libpq
    string>` for a catalog in PostgreSQL, or the path of a local catalog file.
    `data_path` is a folder or an `s3://` prefix (None: DuckLake's default,
    `<catalog file>.files/`, which only a catalog file has). `s3` says how to
    reach an `s3://` data path (None: AWS with DuckDB's defaults, no credentials).
    """

    catalog: str
    data_path: str | None = None
    s3: S3Settings | None = None

    @property
    def on_s3(self) -> bool:
        """Whether the Parquet files live in an S3 bucket (`s3://bucket/prefix`)."""
        return bool(self.data_path and self.data_path.startswith(S3_PREFIX))

    def __str__(self) -> str:
        return DUCKLAKE_PREFIX + self.catalog


# A password in a libpq keyword string (`password=x`, `password='a b'`) or URI (`//user:x@`).
_PASSWORDS = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)|(//[^/:@\s]+:)[^@\s]+(@)")


def without_passwords(text: str) -> str:
    """`text` with any PostgreSQL password in it blanked out, for run summaries and errors.

    The `warehouse` setting may carry the catalog's password in its connection
    string; what mediawatch prints, logs or stores about a run shows `***`.
    """
    return _PASSWORDS.sub(lambda m: f"{m[1]}***" if m[1] is not None else f"{m[3]}***{m[4]}", text)


Target = Path | str | DuckLakeTarget


def as_target(value: Target, data_path: str | None = None) -> Path | DuckLakeTarget:
    """A warehouse setting as a file path or a `DuckLakeTarget` (`ducklake:` prefix)."""
    if isinstance(value, DuckLakeTarget):
        return value
    text = str(value)
    if text.startswith(DUCKLAKE_PREFIX):
        return DuckLakeTarget(text.removeprefix(DUCKLAKE_PREFIX), data_path)
    return Path(text)
