"""What the pipeline has already seen: the saved-file registry and the story signatures.

`saved_files` is keyed by the hash of a file's bytes, so each file is
processed once, wherever it lies, and a changed file is processed again.
`story_signatures` keeps each article's MinHash so that near duplicates are
grouped into stories across runs, not only within one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mediawatch.warehouse import Warehouse, insert_rows
from schemas.records import SavedFile


def known_files(warehouse: Warehouse, hashes: Sequence[str]) -> dict[str, str]:
    """The registry status (processed, partial, failed) of each hash already recorded."""
    if not hashes:
        return {}
    with warehouse.reader() as con:
        rows = con.execute(
            "SELECT content_hash, status FROM saved_files WHERE content_hash IN (SELECT unnest(?))",
            [list(hashes)],
        ).fetchall()
    return dict(rows)


def record_files(
    warehouse: Warehouse, run_id: str, source: str, files: Sequence[SavedFile]
) -> None:
    """Register the files a run processed (or failed to), replacing older rows of the same bytes."""
    if not files:
        return
    now = datetime.now(UTC)
    with warehouse.transaction() as con:
        insert_rows(
            con,
            "saved_files",
            [
                (
                    f.content_hash,
                    f.path,
                    source,
                    f.size,
                    f.status,
                    f.reason,
                    f.documents,
                    run_id,
                    now,
                    f.path_bytes,
                )
                for f in files
            ],
            replace=True,
        )


_STORED = "SELECT article_id, story_id, minhash FROM story_signatures WHERE scheme = ?"
_STALE = (
    "SELECT s.article_id, s.story_id, a.body FROM story_signatures s "
    "JOIN articles a USING (article_id) WHERE s.scheme IS DISTINCT FROM ?"
)


def stored_signatures(warehouse: Warehouse, scheme: str) -> list[tuple[str, str, bytes]]:
    """Every stored (article_id, story_id, packed MinHash) row made with `scheme`."""
    with warehouse.reader() as con:
        return con.execute(_STORED, [scheme]).fetchall()


def signatures_for_index(
    warehouse: Warehouse, scheme: str
) -> tuple[list[tuple[str, str, bytes]], list[tuple[str, str, str]]]:
    """`stored_signatures`, and the (article_id, story_id, body) of every article whose
    signature was made another way, read through one connection.

    Opening the file replays its write-ahead log (up to 16 MB: a second or
    so on a loaded machine), so a run's story index opens it once.
    """
    with warehouse.reader() as con:
        return con.execute(_STORED, [scheme]).fetchall(), con.execute(_STALE, [scheme]).fetchall()


def move_raw_files(warehouse: Warehouse, moved: Sequence[tuple[str, str]]) -> None:
    """Point the articles of moved saved files (old path, new path) at the new place."""
    if not moved:
        return
    with warehouse.transaction() as con:
        con.executemany(
            "UPDATE articles SET raw_file = ? WHERE raw_file = ?",
            [[new, old] for old, new in moved],
        )


@dataclass(frozen=True, slots=True)
class RawPointer:
    """Where the raw record behind one stored article is, and what the article is known by."""

    article_id: str
    url: str
    source: str
    raw_file: str
    raw_offset: int
    fetched_at: datetime


def raw_pointers(warehouse: Warehouse) -> tuple[list[RawPointer], dict[str, int]]:
    """Every article with a raw record, in file order, and per source how many have none."""
    with warehouse.reader() as con:
        rows = con.execute(
            "SELECT article_id, url, source, raw_file, coalesce(raw_offset, 0), fetched_at "
            "FROM articles WHERE raw_file IS NOT NULL ORDER BY raw_file, raw_offset, article_id"
        ).fetchall()
        missing = con.execute(
            "SELECT source, count(*) FROM articles WHERE raw_file IS NULL GROUP BY source"
        ).fetchall()
    return [RawPointer(*row) for row in rows], dict(missing)
