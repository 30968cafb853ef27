"""Validated batches kept on disk when the warehouse cannot take them, loaded by the next run.

A batch is spooled when the warehouse file stays locked (a DuckDB client has
it open) through every retry. The file is written atomically (temporary
file, fsync, rename, fsync of the folder), so a crash leaves the whole file
or none of it; it carries a checksum, and a file that does not decode is
reported and moved to `corrupt/` for inspection, never loaded. Loading a
spooled batch twice changes nothing (`Warehouse.load` is idempotent per run),
so a crash between the load and the file's removal loses and duplicates
nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import types
import typing
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mediawatch.errors import MediawatchError
from mediawatch.warehouse import Warehouse
from schemas.records import Article, Failure, QuarantinedRecord, SourceCounts, StorySignature
from transforms.validate import ExpectationOutcome

FORMAT = "mediawatch-spool"
VERSION = 1
CORRUPT = "corrupt"
_RUN_ID_CHARS = 36  # a Prefect flow-run id: a UUID in its canonical form


class CorruptSpool(MediawatchError):
    """A spool file that cannot be decoded into a batch: it is kept, not loaded."""


@dataclass(slots=True)
class ValidatedBatch:
    """Everything one batch writes to the warehouse, as it left the validation gate."""

    run_id: str
    batch: str
    taxonomy_version: str
    validated_at: datetime
    articles: list[Article]
    quarantined: list[QuarantinedRecord]
    failures: list[Failure]
    outcomes: list[ExpectationOutcome]
    signatures: list[StorySignature] = field(default_factory=list)
    # False: spooled before story grouping (the story index was unreadable); grouped at load.
    grouped: bool = True


def load_validated(warehouse: Warehouse, batch: ValidatedBatch) -> dict[str, SourceCounts]:
    """Load a validated batch in one transaction (see `Warehouse.load`)."""
    return warehouse.load(
        batch.run_id,
        articles=batch.articles,
        quarantined=batch.quarantined,
        failures=batch.failures,
        taxonomy_version=batch.taxonomy_version,
        batch=batch.batch,
        validation=batch.outcomes,
        validated_at=batch.validated_at,
        signatures=batch.signatures,
    )


def canonical_json(payload: object) -> bytes:
    """The bytes a spool file's checksum is taken over: sorted keys, ISO timestamps, hex bytes."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, default=_encode).encode()


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot spool a {type(value).__name__}")


def spool_name(batch: ValidatedBatch) -> str:
    """`<run>-<batch>-<hash>.json`: readable, and unique per run and batch label."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", batch.batch).strip("-")[:60]
    digest = hashlib.sha256(f"{batch.run_id}\0{batch.batch}".encode()).hexdigest()[:8]
    return f"{batch.run_id}-{slug}-{digest}.json"


def write_spool(directory: Path, batch: ValidatedBatch) -> Path:
    """Write the batch durably to `directory` and return the file's path."""
    body = asdict(batch)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "sha256": hashlib.sha256(canonical_json(body)).hexdigest(),
        "batch": body,
    }
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / spool_name(batch)
    partial = target.with_name(f".{target.name}.tmp")
    with partial.open("wb") as handle:
        handle.write(canonical_json(document))
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(target)
    folder = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return target


def pending(directory: Path) -> list[Path]:
    """Spool files waiting to be loaded, oldest first (temporary files are not finished)."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name))


def clear_partial(directory: Path, alive: Callable[[str], bool]) -> list[Path]:
    """Remove the temporary files of spool writes a crash cut short; return their paths.

    A temporary file is named after its run (`.<run id>-...json.tmp`, see
    `spool_name`); those of runs still `alive` are being written and stay.
    """
    if not directory.is_dir():
        return []
    partial = [
        path
        for path in sorted(directory.glob(".*.json.tmp"))
        if not alive(path.name[1 : 1 + _RUN_ID_CHARS])
    ]
    for path in partial:
        path.unlink(missing_ok=True)
    return partial


def read_spool(path: Path) -> ValidatedBatch:
    """Decode a spool file, checking its format, version and checksum."""
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CorruptSpool(f"spool file {path} is unreadable: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CorruptSpool(f"spool file {path} is not a {FORMAT} file")
    if document.get("version") != VERSION:
        raise CorruptSpool(f"spool file {path} has version {document.get('version')!r}")
    body = document.get("batch")
    if hashlib.sha256(canonical_json(body)).hexdigest() != document.get("sha256"):
        raise CorruptSpool(f"spool file {path} does not match its checksum")
    try:
        return _decode(ValidatedBatch, body)
    except (TypeError, ValueError, KeyError) as exc:
        raise CorruptSpool(f"spool file {path} does not hold a batch: {exc}") from exc


def set_aside(path: Path) -> Path:
    """Move a spool file into `corrupt/` next to it, where no run loads it, and return where."""
    target = path.parent / CORRUPT / path.name
    target.parent.mkdir(exist_ok=True)
    path.replace(target)
    return target


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(kind: Any, value: Any) -> Any:
    """Rebuild a value of the annotated type from its JSON form; raise on a mismatch."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return None if value is None else _decode(options[0], value)
    if origin is list:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r}")
        (item,) = typing.get_args(kind)
        return [_decode(item, v) for v in value]
    if origin is dict or kind is object:
        return value
    if is_dataclass(kind):
        if not isinstance(value, dict):
            raise TypeError(f"expected a {kind.__name__} object, got {value!r}")
        names = {f.name for f in fields(kind)}
        if unknown := set(value) - names:
            raise TypeError(f"unknown {kind.__name__} fields {sorted(unknown)}")
        hints = _hints(kind)
        return kind(**{name: _decode(hints[name], v) for name, v in value.items()})
    if kind is datetime:
        if not isinstance(value, str):
            raise TypeError(f"expected a timestamp, got {value!r}")
        return datetime.fromisoformat(value)
    if kind is bytes:
        if not isinstance(value, str):
            raise TypeError(f"expected hex bytes, got {value!r}")
        return bytes.fromhex(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value
