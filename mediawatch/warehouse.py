"""The DuckDB warehouse: open (and migrate), and load batches idempotently.

DuckDB allows one writing process at a time, and a reader in another process
blocks it too, so writers open the file only for the length of one load and
retry a locked file with backoff. Every batch is one transaction: articles are
merged by `article_id` (a hash of the canonical URL), so loading the same
batch twice changes nothing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from mediawatch.errors import WarehouseError
from schemas.records import Article, Failure, QuarantinedRecord, SourceCounts

MIGRATIONS = Path(__file__).resolve().parent.parent / "schemas" / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
_LOCK_ATTEMPTS = 6
_LOCK_BACKOFF = 0.5

_ARTICLE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("url", pa.string()),
        ("canonical_url", pa.string()),
        ("source", pa.string()),
        ("title", pa.string()),
        ("author", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("language", pa.string()),
        ("sitename", pa.string()),
        ("description", pa.string()),
        ("body", pa.string()),
        ("categories", pa.list_(pa.string())),
        ("tags", pa.list_(pa.string())),
        ("topics", pa.list_(pa.string())),
        ("content_hash", pa.string()),
        ("word_count", pa.int32()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
    ]
)
_COLUMNS = ", ".join(_ARTICLE_SCHEMA.names)
_UPDATABLE = [n for n in _ARTICLE_SCHEMA.names if n not in {"article_id"}]


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to date, one transaction per migration; return the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    for version, name, sql in _migrations():
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, datetime.now(UTC)]
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise WarehouseError(f"migration {name} failed: {exc}") from exc
        current = version
    return current


def _is_lock_error(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, retrying while another process holds the file; migrate on write.

    `":memory:"` gives a private in-memory warehouse (tests). A read-only
    connection never creates or migrates anything.
    """
    target = str(path)
    if target != ":memory:":
        if read_only and not Path(target).exists():
            raise WarehouseError(f"no warehouse at {target}: run `mediawatch run` first")
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(_LOCK_ATTEMPTS):
        try:
            con = duckdb.connect(target, read_only=read_only)
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or attempt == _LOCK_ATTEMPTS - 1:
                raise WarehouseError(f"cannot open warehouse {target}: {exc}") from exc
            time.sleep(_LOCK_BACKOFF * 2**attempt)
    if not read_only:
        migrate(con)
    return con


def _article_rows(articles: Sequence[Article]) -> pa.Table:
    columns: dict[str, list[object]] = {name: [] for name in _ARTICLE_SCHEMA.names}
    for article in articles:
        for name in _ARTICLE_SCHEMA.names:
            if name == "topics":
                columns[name].append([t.label for t in article.topics])
            else:
                columns[name].append(getattr(article, name))
    return pa.table(columns, schema=_ARTICLE_SCHEMA)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def _count_outcome(counts: SourceCounts, before: str | None, after: str) -> None:
    """Tally an article as new, unchanged or updated from its content hash before the load."""
    if before is None:
        counts.new += 1
    elif before == after:
        counts.unchanged += 1
    else:
        counts.updated += 1


class Warehouse:
    """Write access to the warehouse file, one short-lived connection per operation."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._memory: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection held only for the `with` block (shared when in memory)."""
        if str(self.path) == ":memory:":
            if self._memory is None:
                self._memory = connect(":memory:")
            yield self._memory
            return
        con = connect(self.path)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing transaction: on any error nothing of it is kept."""
        with self.connection() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def start_run(self, run_id: str, flow: str, sources: Sequence[tuple[str, str, str]]) -> None:
        """Record a run as started and register its sources as (name, kind, url)."""
        now = datetime.now(UTC)
        with self.transaction() as con:
            con.execute(
                "INSERT INTO runs (run_id, flow, started_at, status) VALUES (?, ?, ?, 'running') "
                "ON CONFLICT (run_id) DO UPDATE SET started_at = excluded.started_at, "
                "status = 'running', finished_at = NULL",
                [run_id, flow, now],
            )
            for name, kind, url in sources:
                con.execute(
                    "INSERT INTO sources VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                    "kind = excluded.kind, url = excluded.url, last_run_id = excluded.last_run_id",
                    [name, kind, url, now, run_id],
                )

    def finish_run(self, run_id: str, status: str, counts: dict[str, object]) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET finished_at = ?, status = ?, counts = ? WHERE run_id = ?",
                [datetime.now(UTC), status, _json(counts), run_id],
            )

    def settled(self, items: Sequence[tuple[str, str]]) -> dict[str, str]:
        """Which (article_id, url) pairs need no fetching, and why.

        Returns article_id -> "loaded" (in the articles table), "quarantined"
        (failed validation before: replay it, do not refetch it every run) or
        "failed" (a permanent fetch or extract failure such as a 404).
        Retryable failures are not settled: the next run tries again.
        """
        if not items:
            return {}
        ids = [article_id for article_id, _ in items]
        urls = {url: article_id for article_id, url in items}
        with self.connection() as con:
            loaded = con.execute(
                "SELECT article_id FROM articles WHERE article_id IN (SELECT unnest(?))", [ids]
            ).fetchall()
            quarantined = con.execute(
                "SELECT DISTINCT article_id FROM quarantine WHERE article_id IN (SELECT unnest(?))",
                [ids],
            ).fetchall()
            failed = con.execute(
                "SELECT DISTINCT url FROM failures "
                "WHERE NOT retryable AND url IN (SELECT unnest(?))",
                [list(urls)],
            ).fetchall()
        settled = {urls[url]: "failed" for (url,) in failed}
        settled.update({article_id: "quarantined" for (article_id,) in quarantined})
        settled.update({article_id: "loaded" for (article_id,) in loaded})
        return settled

    def load(
        self,
        run_id: str,
        *,
        articles: Sequence[Article],
        quarantined: Sequence[QuarantinedRecord] = (),
        failures: Sequence[Failure] = (),
        taxonomy_version: str,
    ) -> dict[str, SourceCounts]:
        """Load one validated batch in one transaction and say what it changed.

        New articles are inserted; an article whose content hash is unchanged
        only gets `last_seen_at`; a changed one is rewritten with `updated_at`
        set, and its topic rows replaced. Returns the counts per source.
        """
        now = datetime.now(UTC)
        counts: dict[str, SourceCounts] = {}

        def tally(source: str) -> SourceCounts:
            return counts.setdefault(source, SourceCounts(source=source))

        for record in quarantined:
            tally(record.article.source).quarantined += 1
        for failure in failures:
            tally(failure.source).failed += 1
        with self.transaction() as con:
            if articles:
                previous = self._merge_articles(
                    con, articles, run_id=run_id, taxonomy_version=taxonomy_version, now=now
                )
                for article in articles:
                    _count_outcome(
                        tally(article.source),
                        previous.get(article.article_id),
                        article.content_hash,
                    )
            for record in quarantined:
                article = record.article
                con.execute(
                    "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        run_id,
                        article.article_id,
                        article.source,
                        article.url,
                        record.failed_expectations,
                        _json(record.values),
                        _json(asdict(article)),
                        now,
                    ],
                )
            if failures:
                con.executemany(
                    "INSERT INTO failures VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        [run_id, f.source, f.url, f.stage, f.reason, f.message, f.retryable, now]
                        for f in failures
                    ],
                )
        return counts

    @staticmethod
    def _merge_articles(
        con: duckdb.DuckDBPyConnection,
        articles: Sequence[Article],
        *,
        run_id: str,
        taxonomy_version: str,
        now: datetime,
    ) -> dict[str, str]:
        """Merge articles and replace the topics of new or changed ones.

        Returns the content hash each article had before, for those it had one.
        """
        con.register("batch", _article_rows(articles))
        previous = dict(
            con.execute(
                "SELECT a.article_id, a.content_hash FROM articles a "
                "JOIN batch b USING (article_id)"
            ).fetchall()
        )
        assignments = ", ".join(f"{name} = s.{name}" for name in _UPDATABLE)
        con.execute(
            f"""
            MERGE INTO articles AS t USING batch AS s ON t.article_id = s.article_id
            WHEN MATCHED AND t.content_hash = s.content_hash THEN
                UPDATE SET last_seen_at = s.fetched_at
            WHEN MATCHED THEN
                UPDATE SET {assignments}, last_seen_at = s.fetched_at,
                           updated_at = s.fetched_at, run_id = $run_id
            WHEN NOT MATCHED THEN
                INSERT ({_COLUMNS}, first_seen_at, last_seen_at, updated_at, run_id)
                VALUES ({", ".join("s." + n for n in _ARTICLE_SCHEMA.names)},
                        $now, s.fetched_at, NULL, $run_id)
            """,
            {"run_id": run_id, "now": now},
        )
        con.unregister("batch")
        relabel = [a for a in articles if previous.get(a.article_id) != a.content_hash]
        if relabel:
            con.execute(
                "DELETE FROM article_topics WHERE article_id IN (SELECT unnest(?))",
                [[a.article_id for a in relabel]],
            )
            rows = [
                [
                    a.article_id,
                    t.label,
                    t.score,
                    _json([asdict(e) for e in t.evidence]),
                    taxonomy_version,
                    run_id,
                ]
                for a in relabel
                for t in a.topics
            ]
            if rows:
                con.executemany("INSERT INTO article_topics VALUES (?, ?, ?, ?, ?, ?)", rows)
        return previous
