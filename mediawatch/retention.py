"""Retention: delete raw archive files and fetch_log rows older than the configured days.

`plan` decides what goes (reading the warehouse, never writing), `apply`
deletes it; `mediawatch prune --dry-run` prints a plan without applying it.
An archive file is judged by its last write (mtime): every record in it is at
least that old. A file that a stored article still points to (`articles.raw_file`)
is kept whatever its age unless `include_referenced` is given, because
`mediawatch reprocess` re-derives that article from it. Files are deleted
under the archive folder's lock, so no run appends to a file being deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mediawatch.archive import archive_files, folder_lock
from mediawatch.settings import Settings
from mediawatch.warehouse import Warehouse


@dataclass(frozen=True, slots=True)
class PrunePlan:
    """What a prune deletes (`files`, fetch_log rows before `log_cutoff`) and what it keeps."""

    files: list[Path] = field(default_factory=list)
    file_bytes: int = 0
    referenced: list[Path] = field(default_factory=list)  # old enough, but an article needs it
    archive_cutoff: datetime | None = None
    log_cutoff: datetime | None = None
    log_rows: int = 0


def describe(pruning: PrunePlan, *, dry_run: bool) -> list[str]:
    """What a prune did (or, dry, would do), one sentence per kind of data."""
    verb = "Would delete" if dry_run else "Deleted"
    lines = []
    if pruning.archive_cutoff is not None:
        lines.append(
            f"{verb} {len(pruning.files)} archive files ({pruning.file_bytes / 1e6:.1f} MB) "
            f"last written before {pruning.archive_cutoff:%Y-%m-%d %H:%M %Z}."
        )
    if pruning.referenced:
        lines.append(
            f"Kept {len(pruning.referenced)} old archive files that stored articles point to "
            "(--include-referenced deletes them too)."
        )
    if pruning.log_cutoff is not None:
        lines.append(
            f"{verb} {pruning.log_rows} fetch_log rows "
            f"started before {pruning.log_cutoff:%Y-%m-%d %H:%M %Z}."
        )
    return lines


def _older(path: Path, cutoff: datetime) -> bool:
    """Whether the file was last written before `cutoff`."""
    return path.stat().st_mtime < cutoff.timestamp()


def _referenced(warehouse: Warehouse) -> set[Path]:
    """Every archive file a stored article points to, as a resolved path."""
    with warehouse.reader() as con:
        rows = con.execute(
            "SELECT DISTINCT raw_file FROM articles WHERE raw_file IS NOT NULL"
        ).fetchall()
    return {Path(raw_file).resolve() for (raw_file,) in rows}


def plan(
    settings: Settings, warehouse: Warehouse, now: datetime, *, include_referenced: bool = False
) -> PrunePlan:
    """What pruning at `now` would delete under `settings.retention`; nothing is changed."""
    retention = settings.retention
    files: list[Path] = []
    referenced: list[Path] = []
    archive_cutoff = None
    if retention.archive_days is not None:
        archive_cutoff = now - timedelta(days=retention.archive_days)
        old = [p for p in archive_files(settings.archive_dir) if _older(p, archive_cutoff)]
        needed = set() if include_referenced or not old else _referenced(warehouse)
        files = [p for p in old if p.resolve() not in needed]
        referenced = [p for p in old if p.resolve() in needed]
    cutoff = rows = None
    if retention.fetch_log_days is not None:
        cutoff = now - timedelta(days=retention.fetch_log_days)
        with warehouse.reader() as con:
            (rows,) = con.execute(
                "SELECT count(*) FROM fetch_log WHERE started_at < ?", [cutoff]
            ).fetchone()
    return PrunePlan(
        files=files,
        file_bytes=sum(p.stat().st_size for p in files),
        referenced=referenced,
        archive_cutoff=archive_cutoff,
        log_cutoff=cutoff,
        log_rows=rows or 0,
    )


def apply(settings: Settings, warehouse: Warehouse, pruning: PrunePlan) -> None:
    """Delete what `pruning` lists: the fetch_log rows in one transaction, then the files.

    A file a run wrote to since the plan was made is left alone.
    """
    if pruning.log_cutoff is not None and pruning.log_rows:
        with warehouse.transaction() as con:
            con.execute("DELETE FROM fetch_log WHERE started_at < ?", [pruning.log_cutoff])
    if pruning.files and pruning.archive_cutoff is not None:
        with folder_lock(settings.archive_dir):
            for path in pruning.files:
                if path.exists() and _older(path, pruning.archive_cutoff):
                    path.unlink()


def prune(
    settings: Settings,
    warehouse: Warehouse,
    *,
    dry_run: bool = False,
    include_referenced: bool = False,
    now: datetime | None = None,
) -> PrunePlan:
    """Plan a prune at `now` (default: the current time) and apply it unless `dry_run`."""
    pruning = plan(
        settings, warehouse, now or datetime.now(UTC), include_referenced=include_referenced
    )
    if not dry_run:
        apply(settings, warehouse, pruning)
    return pruning
