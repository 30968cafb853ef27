"""The DuckDB warehouse: open (and migrate), and load batches idempotently.

DuckDB allows one writing process at a time, and a reader in another process
blocks it too, so writers open the file only for the length of one load and
retry a locked file with backoff. Every batch is one transaction: articles are
keyed by `article_id` (a hash of the canonical URL), new ones inserted and
stored ones updated, so loading the same batch twice changes nothing. Commits
stay in DuckDB's write-ahead log, folded into the file every 16 MB of it and at
a run's end (`_keep_wal`), not at every close.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import asdict, fields
from datetime import UTC, datetime
from functools import cache, partial
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb
import pyarrow as pa

from mediawatch.duck_extensions import load as load_extensions
from mediawatch.duck_extensions import sql_literal
from mediawatch.errors import WarehouseError, WarehouseLocked
from mediawatch.lake_target import (
    DuckLakeTarget,
    S3Settings,
    Target,
    as_target,
    without_passwords,
)
from mediawatch.settings import memory_size_bytes
from schemas.records import (
    Article,
    Evidence,
    Failure,
    QuarantinedRecord,
    SourceCounts,
    StorySignature,
    TopicLabel,
)

if TYPE_CHECKING:
    from mediawatch.write_slot import SlotRequest, WriterLock
    from transforms.validate import ExpectationOutcome

MIGRATIONS = Path(__file__).resolve().parent.parent / "schemas" / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
_LOCK_ATTEMPTS = 6
_LOCK_BACKOFF = 0.5
_LAKE = "lake"
_CONFLICT_ATTEMPTS = 8
# A warehouse file's commits stay in its write-ahead log (fsynced at commit, replayed by the
# next open) until the log passes CHECKPOINT_WAL_BYTES; then the closing writer folds it into
# the file under _CHECKPOINT_MEMORY. DuckDB's own checkpoint at commit, which would run under
# the full memory limit, is only a backstop well above that.
CHECKPOINT_WAL_BYTES = 16 * 2**20
_CHECKPOINT_MEMORY = "64MB"
_DUCKDB_CHECKPOINT_THRESHOLD = "256MB"
# DuckDB threads of a file's write connection when `warehouse_threads` is unset: a batch's
# small transactions and the checkpoints took a fifth to half less CPU on one thread than on
# two, and less wall time (1,000 articles, new or into 20,000; measured on a loaded machine).
_WRITE_THREADS = 1
_T = TypeVar("_T")


class _SlotHeld:
    """The writer lock, taken by this context: nothing to wait for."""

    def wait(self) -> None:
        """Return at once: the slot is held."""


# The writer lock this context holds, or has asked for (a `SlotRequest`); None if neither.
_SLOT: ContextVar[_SlotHeld | SlotRequest | None] = ContextVar("write_slot", default=None)
_INCOMING = "incoming_rows"

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
        ("guid", pa.string()),
        ("is_fallback", pa.bool_()),
        ("raw_file", pa.string()),
        ("raw_offset", pa.int64()),
        ("text_hash", pa.string()),
        ("story_id", pa.string()),
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


# DuckLake has no primary keys, UNIQUE constraints or indexes, takes only a plain
# literal as the default of an added column and no comments on view columns: its
# migrations drop them (`ducklake_sql`).
_DUCKLAKE_REWRITES = (
    (re.compile(r",\s*(PRIMARY KEY|UNIQUE)\s*\([^)]*\)"), ""),
    (re.compile(r"\s+(PRIMARY KEY|UNIQUE)\b"), ""),
    (re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\b[^;]*;", re.IGNORECASE | re.MULTILINE), ""),
    (re.compile(r"(ADD COLUMN\s+\w+\s+BOOLEAN)\s+DEFAULT\s+(true|false)", re.IGNORECASE), r"\1"),
    # Column comments of views (named v_*): DuckLake comments only table columns.
    (re.compile(r"^COMMENT ON COLUMN v_\w+\.\w+ IS '(?:[^']|'')*';", re.MULTILINE), ""),
)


def ducklake_sql(sql: str) -> str:
    """A migration as DuckLake takes it: without keys, UNIQUE, indexes, boolean added-column
    defaults and view column comments. Keys still hold: every load merges on them
    (`primary_keys`)."""
    for pattern, replacement in _DUCKLAKE_REWRITES:
        sql = pattern.sub(replacement, sql)
    return sql


def is_ducklake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this connection's warehouse is a DuckLake (attached as its default database)."""
    return con.execute("SELECT current_database()").fetchone() == (_LAKE,)


def is_conflict(exc: duckdb.Error) -> bool:
    """A DuckLake commit that lost to a concurrent one: running it again can succeed."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def _retrying(
    attempt: Callable[[], _T],
    *,
    retryable: Callable[[duckdb.Error], bool],
    attempts: int,
    pause: Callable[[int], float],
) -> _T:
    """`attempt()`, run again after `pause(tries so far)` seconds while it fails retryably.

    The last error, or one that is not `retryable`, is raised as it is.
    """
    for tried in range(1, attempts + 1):
        try:
            return attempt()
        except duckdb.Error as exc:
            if not retryable(exc) or tried == attempts:
                raise
            time.sleep(pause(tried))
    raise WarehouseError(f"no attempt allowed ({attempts})")


def retry_conflicts(attempt: Callable[[], _T], *, attempts: int = _CONFLICT_ATTEMPTS) -> _T:
    """Run a whole transaction again while its commit conflicts with another writer's.

    Only DuckLake has concurrent writers; `attempt` must be idempotent (loads
    merge on keys), so a retry after a lost commit changes nothing twice.
    """
    return _retrying(
        attempt, retryable=is_conflict, attempts=attempts, pause=lambda tried: 0.05 * 2**tried
    )


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to date in one transaction and return the version.

    Either every pending migration applies or none does: a warehouse is never
    left between two versions. Pending means not recorded in schema_version,
    so a migration numbered below the current version (branches merged with
    reserved numbers) is applied too. On DuckLake each migration runs as
    `ducklake_sql` makes it, and a commit that conflicts with another
    process's migration is tried again.
    """
    lake = is_ducklake(con)
    return retry_conflicts(lambda: _migrate_once(con, lake)) if lake else _migrate_once(con, lake)


def _migrate_once(con: duckdb.DuckDBPyConnection, lake: bool) -> int:
    con.execute("BEGIN TRANSACTION")
    try:
        key = "" if lake else " PRIMARY KEY"
        con.execute(
            f"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER{key}, "
            "name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        applied = {v for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}
        current = max(applied, default=0)
        for version, name, sql in _migrations():
            if version in applied:
                continue
            try:
                con.execute(ducklake_sql(sql) if lake else sql)
            except duckdb.Error as exc:
                raise WarehouseError(f"migration {name} failed: {exc}") from exc
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, datetime.now(UTC)]
            )
            current = max(current, version)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return current


def migration_status(con: duckdb.DuckDBPyConnection) -> tuple[int, list[str]]:
    """The schema version of a warehouse and the migrations `migrate` would apply, in order.

    Reads only: works on a read-only connection and on a file not migrated yet.
    """
    (known,) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version' "
        "AND database_name = current_database()"
    ).fetchone()
    query = "SELECT version FROM schema_version"
    applied = {v for (v,) in con.execute(query).fetchall()} if known else set()
    return max(applied, default=0), [n for v, n, _ in _migrations() if v not in applied]


def _is_lock_error(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


def connect(
    path: Target,
    *,
    read_only: bool = False,
    attempts: int = _LOCK_ATTEMPTS,
    backoff: float = _LOCK_BACKOFF,
    migrated: bool = False,
    config: Mapping[str, object] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, retrying while another process holds the file; migrate on write.

    A locked file is tried `attempts` times, waiting `backoff` seconds doubled
    after each try, then `WarehouseLocked` is raised. `":memory:"` gives a
    private in-memory warehouse (tests). A `ducklake:` target is attached as
    the connection's default database (`open_ducklake`). A read-only
    connection never creates or migrates anything, nor does one whose caller
    says this process has `migrated` the file already. `config` holds DuckDB
    settings to open with (`Settings.duckdb_config`: memory limit, threads).
    """
    target = as_target(path)
    if isinstance(target, DuckLakeTarget):
        con = open_ducklake(target, read_only=read_only, config=config)
    else:
        if str(target) != ":memory:":
            if read_only:
                _require_file(str(target))
            target.parent.mkdir(parents=True, exist_ok=True)
        con = _open(
            str(target), read_only=read_only, attempts=attempts, backoff=backoff, config=config
        )
    if not (read_only or migrated):
        migrate(con)
    return con


# Runs that open a fresh DuckLake at the same moment all try to create its catalog tables;
# PostgreSQL lets one win and refuses the others with a duplicate-key or already-exists error.
# Attaching again then finds the catalog the winner made.
_CATALOG_CREATE_ATTEMPTS = 4


def _lost_catalog_creation(exc: duckdb.Error) -> bool:
    """True when ATTACH failed because another process created the same catalog first."""
    text = str(exc)
    return "duplicate key value" in text or "already exists" in text


def open_ducklake(
    target: DuckLakeTarget,
    *,
    read_only: bool = False,
    sandbox: bool = False,
    config: Mapping[str, object] | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the DuckLake attached as `lake` and made the default database.

    The extensions come from their pip packages (`duck_extensions`). `sandbox`
    then turns off file and network access and locks the configuration: the
    lake stays readable through the attached catalog and its data path (the
    one folder left open), nothing else is. `config`: DuckDB settings to open with.
    """
    con = duckdb.connect(
        config={
            **(config or {}),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    load_extensions(con, "ducklake", "postgres_scanner")
    if target.on_s3:
        _reach_s3(con, target)
    options = []
    if target.data_path:
        options.append("DATA_PATH " + sql_literal(target.data_path))
    if read_only:
        options.append("READ_ONLY")
    clause = f" ({', '.join(options)})" if options else ""
    try:
        _retrying(
            lambda: con.execute(f"ATTACH {sql_literal(str(target))} AS {_LAKE}{clause}"),
            retryable=_lost_catalog_creation,
            attempts=_CATALOG_CREATE_ATTEMPTS,
            pause=lambda tried: 0.2 * tried,
        )
    except duckdb.Error as exc:
        con.close()
        reason = _redacted(str(exc), target.s3)
        shown = without_passwords(str(target))
        raise WarehouseError(f"cannot open DuckLake warehouse {shown}: {reason}") from exc
    con.execute(f"USE {_LAKE}")
    if sandbox:
        # The lake's Parquet files are read on demand: its data path stays readable.
        data = target.data_path or target.catalog + ".files"
        con.execute(f"SET allowed_directories = [{sql_literal(data.rstrip('/') + '/')}]")
        for name, value in SANDBOX.items():
            con.execute(f"SET {name} = {str(value).lower()}")
    return con


def _reach_s3(con: duckdb.DuckDBPyConnection, target: DuckLakeTarget) -> None:
    """Give this connection the lake's S3 data path: httpfs, a secret, and one listing to check.

    The secret (`CREATE SECRET ... TYPE s3`, temporary: it lives in this
    connection only) is scoped to the data path. The listing of a name that
    does not exist under the prefix costs one request and turns a wrong
    endpoint, a missing bucket or refused credentials into one error naming
    the settings at open, not a failure in the middle of a load.
    """
    s3 = target.s3 or S3Settings()
    prefix = str(target.data_path).rstrip("/") + "/"
    options = {
        "KEY_ID": s3.key_id,
        "SECRET": s3.secret.get_secret_value() if s3.secret else None,
        "SESSION_TOKEN": s3.session_token.get_secret_value() if s3.session_token else None,
        "REGION": s3.region,
        "ENDPOINT": s3.endpoint,
        "URL_STYLE": s3.url_style,
        "SCOPE": prefix,
    }
    given = [f"{name} {sql_literal(value)}" for name, value in options.items() if value]
    given.append(f"USE_SSL {str(s3.use_ssl).lower()}")
    load_extensions(con, "httpfs")
    try:
        con.execute(f"CREATE TEMPORARY SECRET mediawatch_s3 (TYPE s3, {', '.join(given)})")
        con.execute("SELECT count(*) FROM glob(?)", [prefix + ".mediawatch-probe-*"]).fetchall()
    except duckdb.Error as exc:
        con.close()
        where = f"endpoint {s3.endpoint}" if s3.endpoint else "AWS"
        raise WarehouseError(
            f"warehouse_data_path {prefix} is not reachable with the warehouse_s3 settings "
            f"({where}): {_redacted(str(exc), s3)}"
        ) from exc


def _redacted(text: str, s3: S3Settings | None) -> str:
    """DuckDB's error `text` on one line, without the statement it quotes, and with the S3
    secret and session token, should it quote them, blanked out."""
    for secret in (s3.secret, s3.session_token) if s3 else ():
        if secret is not None and secret.get_secret_value():
            text = text.replace(secret.get_secret_value(), str(secret))
    return without_passwords(" ".join(text.split("\nLINE ")[0].split()))


# DuckDB settings of `mediawatch sql`: no file, network or extension access, and the
# configuration locked so that no statement (SET, PRAGMA) can lift it.
SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


def connect_for_queries(
    path: Target, *, allow_files: bool = False, config: Mapping[str, object] | None = None
) -> duckdb.DuckDBPyConnection:
    """A read-only connection for user SQL that cannot read or write any other file.

    Read-only alone still lets COPY, EXPORT DATABASE, read_csv and INSTALL touch
    the file system; `SANDBOX` refuses them. `allow_files` is the user's explicit
    opt-out (`mediawatch sql --allow-files`). A DuckLake is attached first and
    sandboxed after: its catalog and Parquet files stay readable. `config`:
    DuckDB settings to open with (memory limit, threads).
    """
    target = as_target(path)
    if isinstance(target, DuckLakeTarget):
        return open_ducklake(target, read_only=True, sandbox=not allow_files, config=config)
    _require_file(str(target))
    return _open(
        str(target),
        read_only=True,
        attempts=_LOCK_ATTEMPTS,
        backoff=_LOCK_BACKOFF,
        config={**(config or {}), **({} if allow_files else SANDBOX)},
    )


def _require_file(target: str) -> None:
    """Refuse to read a warehouse that does not exist yet (DuckDB would create an empty one)."""
    if not Path(target).exists():
        raise WarehouseError(f"no warehouse at {target}: run `mediawatch run` first")


def _open(
    target: str,
    *,
    read_only: bool,
    attempts: int,
    backoff: float,
    config: Mapping[str, object] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Connect to the file, retrying with backoff while another process holds its lock."""
    for attempt in range(attempts):
        try:
            return duckdb.connect(target, read_only=read_only, config=dict(config or {}))
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise WarehouseError(f"cannot open warehouse {target}: {exc}") from exc
            if attempt == attempts - 1:
                raise WarehouseLocked(
                    f"warehouse {target} stayed locked by another process "
                    f"after {attempts} attempts: {exc}"
                ) from exc
            time.sleep(backoff * 2**attempt)
    raise WarehouseError(f"cannot open warehouse {target}: no attempt allowed ({attempts})")


def _article_rows(articles: Sequence[Article]) -> pa.Table:
    columns: dict[str, list[object]] = {name: [] for name in _ARTICLE_SCHEMA.names}
    for article in articles:
        for name in _ARTICLE_SCHEMA.names:
            if name == "topics":
                columns[name].append([t.label for t in article.topics])
            else:
                columns[name].append(getattr(article, name))
    return pa.table(columns, schema=_ARTICLE_SCHEMA)


_EVIDENCE_FIELDS = tuple(f.name for f in fields(Evidence))


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def _span_json(span: Evidence) -> str:
    """One span exactly as `_json` writes it: its keys sorted, its text escaped by json's own."""
    types = (type(span.start), type(span.end), type(span.field), type(span.snippet))
    if types != (int, int, str, str) or type(span.term) is not str:
        return _json({name: getattr(span, name) for name in _EVIDENCE_FIELDS})
    return (
        f'{{"end": {span.end}, "field": {encode_basestring(span.field)}, '
        f'"snippet": {encode_basestring(span.snippet)}, "start": {span.start}, '
        f'"term": {encode_basestring(span.term)}}}'
    )


def evidence_json(label: TopicLabel) -> str:
    """The stored JSON form of a label's evidence (article_topics.evidence).

    The text `_json` makes of the spans' fields, written span by span
    (`_span_json`): `json.dumps` over a dict per span took a third of a
    batch's load (9,000 labels per 1,000 pages), this about half as much.
    """
    return "[" + ", ".join(_span_json(span) for span in label.evidence) + "]"


def save_signatures(con: duckdb.DuckDBPyConnection, signatures: Sequence[StorySignature]) -> None:
    """Store story signatures in the open transaction, replacing an article's older one."""
    insert_rows(
        con,
        "story_signatures",
        [(s.article_id, s.story_id, s.minhash, s.scheme) for s in signatures],
        replace=True,
    )


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Iterable[Sequence[object]],
    *,
    replace: bool = False,
    unique_on: Sequence[str] = (),
    columns: Sequence[str] = (),
) -> None:
    """Insert rows (values in the order of `columns`, else of the table's) in one statement.

    One `INSERT ... SELECT` from a registered Arrow table instead of one
    statement per row (`executemany`). The Arrow types are read from the
    table, so values convert exactly as its DDL says, and a row of the wrong
    length is refused. `replace` first deletes the stored rows with the same
    primary key (`primary_keys`), so a row replaces its older self: DuckLake
    has no keys for `INSERT OR REPLACE`, and this works on both backends. A
    row whose `unique_on` columns equal those of a stored row, or of an
    earlier row of `rows`, is skipped, so loading the same rows twice adds
    nothing.
    """
    rows = list(rows)
    if not rows:
        return
    chosen = ", ".join(columns) if columns else "*"
    schema = con.sql(f"SELECT {chosen} FROM {table} LIMIT 0").to_arrow_table().schema
    keys = primary_keys()[table] if replace else tuple(unique_on)
    if keys:
        positions = [schema.names.index(name) for name in keys]
        chosen_rows: dict[tuple[object, ...], Sequence[object]] = {}
        for row in rows:
            key = tuple(row[i] for i in positions)
            if replace:
                chosen_rows[key] = row
            else:
                chosen_rows.setdefault(key, row)
        rows = list(chosen_rows.values())
    data = pa.table(
        [
            pa.array(values, type=field.type)
            for values, field in zip(zip(*rows, strict=True), schema, strict=True)
        ],
        schema=schema,
    )
    same = " AND ".join(f"{table}.{name} IS NOT DISTINCT FROM r.{name}" for name in keys)
    where = f" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {same})" if unique_on else ""
    into = f"{table} ({chosen})" if columns else table
    con.register(_INCOMING, data)
    try:
        if replace:
            con.execute(f"DELETE FROM {table} USING {_INCOMING} r WHERE {same}")
        con.execute(f"INSERT INTO {into} SELECT * FROM {_INCOMING} r{where}")
    finally:
        con.unregister(_INCOMING)


@cache
def primary_keys() -> dict[str, tuple[str, ...]]:
    """The primary key columns of each table, as the migrations declare them.

    Read from the migrations applied to a scratch in-memory DuckDB: a DuckLake
    warehouse has no keys of its own, and upserts on both backends match rows
    on these columns.
    """
    scratch = duckdb.connect()
    try:
        migrate(scratch)
        found = scratch.execute(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    finally:
        scratch.close()
    return {table: tuple(names) for table, names in found}


TopicFingerprint = dict[str, tuple[object, ...]]
"""An article's labels as stored: label -> (score, evidence JSON, taxonomy version, scheme id,
method, evidence omitted)."""


def topic_fingerprint(labels: Sequence[TopicLabel], taxonomy_version: str) -> TopicFingerprint:
    """What `stored_topics` would read back for these labels, to tell whether a rewrite is due."""
    return {
        t.label: (
            t.score,
            evidence_json(t),
            taxonomy_version,
            t.scheme_id,
            t.method,
            t.evidence_omitted,
        )
        for t in labels
    }


def stored_topics(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str]
) -> dict[str, TopicFingerprint]:
    """The stored labels of these articles, an empty mapping for one without labels."""
    stored: dict[str, TopicFingerprint] = {article_id: {} for article_id in ids}
    for article_id, label, *stored_label in con.execute(
        "SELECT article_id, label, score, evidence, taxonomy_version, scheme_id, method, "
        "evidence_omitted FROM article_topics WHERE article_id IN (SELECT unnest(?))",
        [list(ids)],
    ).fetchall():
        stored[article_id][label] = tuple(stored_label)
    return stored


def replace_topics(
    con: duckdb.DuckDBPyConnection,
    labels: Mapping[str, Sequence[TopicLabel]],
    *,
    taxonomy_version: str,
    run_id: str,
    fresh: Collection[str] = frozenset(),
) -> None:
    """Replace the article_topics rows of these articles (article id to its labels).

    Articles in `fresh` were inserted by this transaction, so they have no
    rows to delete: the DELETE, a scan of the whole table, runs only for the others.
    """
    if not labels:
        return
    stored = [article_id for article_id in labels if article_id not in fresh]
    if stored:
        con.execute("DELETE FROM article_topics WHERE article_id IN (SELECT unnest(?))", [stored])
    insert_rows(
        con,
        "article_topics",
        [
            (
                article_id,
                t.label,
                t.score,
                evidence_json(t),
                taxonomy_version,
                run_id,
                t.scheme_id,
                t.method,
                t.evidence_omitted,
            )
            for article_id, topics in labels.items()
            for t in topics
        ],
    )


def quarantine_key(record: QuarantinedRecord) -> str:
    """One quarantine row per page content and reason (what migration 0006 computes in SQL)."""
    parts = [
        record.article.article_id or "",
        record.article.url or "",
        record.article.content_hash or "",
        ",".join(sorted(record.failed_expectations)),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def tally_rejects(
    quarantined: Sequence[QuarantinedRecord], failures: Sequence[Failure]
) -> dict[str, SourceCounts]:
    """Counts per source of a batch's quarantined records and failures, known before loading."""
    counts: dict[str, SourceCounts] = {}
    for record in quarantined:
        source = record.article.source
        counts.setdefault(source, SourceCounts(source=source)).quarantined += 1
    for failure in failures:
        counts.setdefault(failure.source, SourceCounts(source=failure.source)).failed += 1
    return counts


def _count_outcome(counts: SourceCounts, before: str | None, after: str) -> None:
    """Tally an article as new, unchanged or updated from its content hash before the load."""
    if before is None:
        counts.new += 1
    elif before == after:
        counts.unchanged += 1
    else:
        counts.updated += 1


@contextmanager
def _atomic(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block as one transaction on `con`: on any error nothing of it is kept."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _keep_wal(con: duckdb.DuckDBPyConnection) -> None:
    """Close `con` without a checkpoint, and let DuckDB checkpoint at commit only as a backstop.

    DuckDB checkpoints a file when its last connection closes, and a
    checkpoint costs time and memory that grow with the warehouse (it
    rewrites each changed table's last row group, up to 122,880 rows, and
    its primary-key index whole): one per batch made a run's load quadratic.
    Commits are durable without it, in the WAL, which the next connection
    replays; the `Warehouse` checkpoints when the WAL passes
    `CHECKPOINT_WAL_BYTES` and at a run's end.
    """
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute(f"SET checkpoint_threshold = '{_DUCKDB_CHECKPOINT_THRESHOLD}'")


def _merge_from_batch(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> None:
    """Merge the registered `batch` into articles in one UPDATE action (all DuckLake's MERGE
    takes): an unchanged article keeps every column but last_seen_at, a changed one takes the
    new values, a new one is inserted."""
    same = "t.content_hash = s.content_hash"
    assignments = ", ".join(
        f"{name} = CASE WHEN {same} THEN t.{name} ELSE s.{name} END"
        for name in [*_UPDATABLE, "updated_at", "run_id"]
    )
    con.execute(
        f"""
        MERGE INTO articles AS t
        USING (SELECT *, fetched_at AS updated_at, $run_id AS run_id FROM batch) AS s
        ON t.article_id = s.article_id
        WHEN MATCHED THEN
            UPDATE SET {assignments}, last_seen_at = s.fetched_at
        WHEN NOT MATCHED THEN
            INSERT ({_COLUMNS}, first_seen_at, last_seen_at, updated_at, run_id)
            VALUES ({", ".join("s." + n for n in _ARTICLE_SCHEMA.names)},
                    $now, s.fetched_at, NULL, $run_id)
        """,
        {"run_id": run_id, "now": now},
    )


def _update_from_batch(
    con: duckdb.DuckDBPyConnection, assignments: list[str], ids: list[str], run_id: str | None
) -> None:
    """Set `assignments` (from the registered `batch`, as `b`) and `last_seen_at` on stored
    articles `ids`; and `run_id`, unless None."""
    assignments = [*assignments, "last_seen_at = b.fetched_at"]
    params: dict[str, object] = {"ids": ids}
    if run_id is not None:
        assignments.append("run_id = $run_id")
        params["run_id"] = run_id
    con.execute(
        f"UPDATE articles SET {', '.join(assignments)} FROM batch b "
        "WHERE articles.article_id = b.article_id AND b.article_id IN (SELECT unnest($ids))",
        params,
    )


class Warehouse:
    """The warehouse (a DuckDB file or a DuckLake), one short-lived connection per operation.

    Writes (`connection`, `transaction`) and reads (`reader`) of a file hold
    the writer lock `write_lock` (`mediawatch.write_slot`), since DuckDB lets
    one process at a time hold the file. A DuckLake takes concurrent writers
    by design, so it has no writer lock: a load whose commit conflicts with
    another's is run again. Every connection opens with the DuckDB settings
    `config` (`Settings.duckdb_config`: memory limit, threads).
    """

    def __init__(
        self,
        path: Target,
        *,
        lock_attempts: int = _LOCK_ATTEMPTS,
        lock_backoff: float = _LOCK_BACKOFF,
        write_lock: WriterLock | None = None,
        config: Mapping[str, object] | None = None,
    ) -> None:
        self.path = path
        self.config = dict(config or {})
        self.lake = isinstance(as_target(path), DuckLakeTarget)
        self.lock_attempts = lock_attempts
        self.lock_backoff = lock_backoff
        self.write_lock = None if self.lake else write_lock
        self._memory: duckdb.DuckDBPyConnection | None = None
        self._lake: duckdb.DuckDBPyConnection | None = None
        self._migrated = False  # a write connection of this object migrated the file

    def _lake_cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on this warehouse's one DuckLake attachment (made and migrated once).

        A DuckLake needs no short-lived connections (it has no file lock), and
        attaching it and loading the extensions for every operation is slow;
        each operation still gets a cursor of its own, so threads do not share one.
        """
        if self._lake is None:
            self._lake = connect(self.path, config=self.config)
        cursor = self._lake.cursor()
        cursor.execute(f"USE {_LAKE}")
        return cursor

    def _in_memory(self) -> duckdb.DuckDBPyConnection | None:
        """The shared connection of an in-memory warehouse (tests); None for a file."""
        if str(self.path) != ":memory:":
            return None
        if self._memory is None:
            self._memory = connect(":memory:", config=self.config)
        return self._memory

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection under the writer lock, held only for the `with` block.

        The file is migrated by the first; the others skip the check (five
        statements, a tenth of a second a batch on a loaded machine). It runs
        `_WRITE_THREADS` DuckDB threads unless `warehouse_threads` says otherwise.
        """
        if (memory := self._in_memory()) is not None:
            yield memory
            return
        if self.lake:
            with closing(self._lake_cursor()) as cursor:
                yield cursor
            return
        with self.writing():
            con = connect(
                self.path,
                attempts=self.lock_attempts,
                backoff=self.lock_backoff,
                migrated=self._migrated,
                config={"threads": _WRITE_THREADS, **self.config},
            )
            self._migrated = True  # checked once: a run's later writes skip the check
            try:
                _keep_wal(con)
                yield con
                if self.wal_bytes() > CHECKPOINT_WAL_BYTES:
                    self._checkpoint(con)
            finally:
                con.close()

    def wal_bytes(self) -> int:
        """The size of the file's write-ahead log: commits not yet folded into the file."""
        if self.lake or str(self.path) == ":memory:":
            return 0
        try:
            return Path(f"{self.path}.wal").stat().st_size
        except FileNotFoundError:
            return 0

    def _checkpoint(self, con: duckdb.DuckDBPyConnection) -> None:
        """CHECKPOINT under a memory limit of at most `_CHECKPOINT_MEMORY`.

        A checkpoint rewrites each changed table's last row group and primary-key
        index, reading them whole: under the run's limit (512MB) its memory grew
        with the warehouse (200 MB more at 20,000 articles), under 64MB it stays
        30 MB more, no slower. The connection closes after it, so the lowered
        limit goes with it.
        """
        configured = self.config.get("memory_limit")
        if configured is None or memory_size_bytes(str(configured)) > memory_size_bytes(
            _CHECKPOINT_MEMORY
        ):
            con.execute(f"SET memory_limit = '{_CHECKPOINT_MEMORY}'")
        con.execute("CHECKPOINT")

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock `write_lock` for the block (none if unset).

        Writes inside the block do not take it again, so several transactions
        in a row cost one acquisition. Inside `writing_soon` the slot asked for
        there is waited for instead.
        """
        held = _SLOT.get()
        if held is not None:
            held.wait()
            yield
            return
        if self.write_lock is None:
            yield
            return
        from mediawatch.write_slot import write_slot

        with write_slot(self.write_lock):
            token = _SLOT.set(_SlotHeld())
            try:
                yield
            finally:
                _SLOT.reset(token)

    @contextmanager
    def writing_soon(self) -> Iterator[None]:
        """Ask for the writer lock now, in the background, for the writes later in the block.

        For a block that works before it writes (a batch's stages before its
        load): the acquisition, and any retry of it, overlaps that work.
        """
        if self.write_lock is None or _SLOT.get() is not None:
            yield
            return
        from mediawatch.write_slot import SlotRequest

        request = SlotRequest(self.write_lock)
        token = _SLOT.set(request)
        try:
            yield
        finally:
            _SLOT.reset(token)
            request.release()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for queries only, held for the `with` block.

        DuckDB lets one process hold the file, and a reader in one process
        blocks a writer in another, so a file is read under the writer lock
        too (queueing, not failing, while another run loads) and opened like
        a writer's but never migrated. It is read in one READ ONLY
        transaction: a consistent snapshot, and a write through it fails. A
        DuckLake is read through a cursor of the warehouse's attachment.
        """
        shared = self._lake_cursor() if self.lake else self._in_memory()
        if shared is not None:
            with self._snapshot(shared) as con:
                yield con
            return
        target = str(self.path)
        _require_file(target)
        with self.writing():
            opened = _open(
                target,
                read_only=False,
                attempts=self.lock_attempts,
                backoff=self.lock_backoff,
                config=self.config,
            )
            _keep_wal(opened)
            with self._snapshot(opened) as con:
                yield con

    @contextmanager
    def _snapshot(self, con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """`con` in one READ ONLY transaction, closed after unless it is the in-memory one."""
        try:
            con.execute("BEGIN TRANSACTION READ ONLY")
            try:
                yield con
            finally:
                con.execute("ROLLBACK")
        finally:
            if con is not self._memory:
                con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing transaction: on any error nothing of it is kept."""
        with self.connection() as con, _atomic(con):
            yield con

    def start_run(
        self,
        run_id: str,
        flow: str,
        sources: Sequence[tuple[str, str, str]],
        *,
        alive: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Record a run as started and register its sources as (name, kind, url).

        Other runs still recorded as `running` whose process is gone
        (`alive(run_id)` is false) are marked `crashed`; returns their ids.
        """
        now = datetime.now(UTC)
        with self.transaction() as con:
            crashed = []
            if alive is not None:
                running = con.execute(
                    "SELECT run_id FROM runs WHERE status = 'running' AND run_id <> ?", [run_id]
                ).fetchall()
                crashed = [other for (other,) in running if not alive(other)]
            if crashed:
                con.executemany(
                    "UPDATE runs SET status = 'crashed' WHERE run_id = ?",
                    [[other] for other in crashed],
                )
            con.execute(
                "MERGE INTO runs t USING (SELECT ?::VARCHAR AS run_id, ?::VARCHAR AS flow, "
                "?::TIMESTAMPTZ AS started_at) s ON t.run_id = s.run_id "
                "WHEN MATCHED THEN UPDATE SET started_at = s.started_at, status = 'running', "
                "finished_at = NULL WHEN NOT MATCHED THEN INSERT (run_id, flow, started_at, "
                "status) VALUES (s.run_id, s.flow, s.started_at, 'running')",
                [run_id, flow, now],
            )
            if sources:
                con.execute(
                    "MERGE INTO sources t USING (SELECT unnest($1) AS name, unnest($2) AS kind, "
                    "unnest($3) AS url) s ON t.name = s.name "
                    "WHEN MATCHED THEN UPDATE SET kind = s.kind, url = s.url, last_run_id = $4 "
                    "WHEN NOT MATCHED THEN INSERT VALUES (s.name, s.kind, s.url, $5, $4)",
                    [[n for n, _, _ in sources], [k for _, k, _ in sources],
                     [u for _, _, u in sources], run_id, now],
                )  # fmt: skip
        return crashed

    def finish_run(self, run_id: str, status: str, counts: dict[str, object]) -> None:
        """Record the run's end and counts, then fold the WAL into the file.

        After a run the file alone holds every commit, for a copy made with `cp`.
        """
        with self.connection() as con:
            with _atomic(con):
                con.execute(
                    "UPDATE runs SET finished_at = ?, status = ?, counts = ? WHERE run_id = ?",
                    [datetime.now(UTC), status, _json(counts), run_id],
                )
            if self.wal_bytes():
                self._checkpoint(con)

    def settled(
        self,
        items: Sequence[tuple[str, str]],
        guids: Mapping[str, tuple[str, str]] | None = None,
    ) -> dict[str, str]:
        """Which (article_id, url) pairs need no fetching, and why.

        Returns article_id -> "loaded" (in the articles table), "quarantined"
        (failed validation before: replay it, do not refetch it every run) or
        "failed" (a permanent fetch or extract failure such as a 404).
        Retryable failures are not settled: the next run tries again, and so
        is a fallback article (feed summary standing in for its page) until
        its page fails for good. `guids` maps an article_id to its feed's
        (source, guid): an item whose GUID a loaded article of that source
        already has is "loaded" too, whatever its URL has become.
        """
        if not items:
            return {}
        ids = [article_id for article_id, _ in items]
        urls = {url: article_id for article_id, url in items}
        by_guid = {key: article_id for article_id, key in (guids or {}).items()}
        with self.reader() as con:
            loaded = con.execute(
                "SELECT article_id FROM articles "
                "WHERE NOT coalesce(is_fallback, false) AND article_id IN (SELECT unnest(?))",
                [ids],
            ).fetchall()
            if by_guid:
                known = con.execute(
                    "SELECT DISTINCT source, guid FROM articles "
                    "WHERE NOT coalesce(is_fallback, false) "
                    "AND (source, guid) IN (SELECT (unnest(?), unnest(?)))",
                    [[s for s, _ in by_guid], [g for _, g in by_guid]],
                ).fetchall()
                loaded += [(by_guid[(source, guid)],) for source, guid in known]
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
        batch: str = "",
        validation: Sequence[ExpectationOutcome] = (),
        validated_at: datetime | None = None,
        signatures: Sequence[StorySignature] = (),
    ) -> dict[str, SourceCounts]:
        """Load one validated batch in one transaction and say what it changed.

        New articles are inserted; an article whose content hash is unchanged
        only gets `last_seen_at`; a changed one is rewritten with `updated_at`
        set, and its topic rows replaced. The articles' story signatures
        replace older ones of the same articles. A quarantined record already
        stored with the same content and reason (`quarantine_key`, by any
        run), and failure and validation rows already stored for the same run
        (and batch), are not added again, so loading a batch twice, e.g. from
        a spool file or a rerun after a crash, changes nothing. Returns the counts per source.
        """
        attempt = partial(
            self._load_once,
            run_id,
            articles=articles,
            quarantined=quarantined,
            failures=failures,
            taxonomy_version=taxonomy_version,
            batch=batch,
            validation=validation,
            validated_at=validated_at,
            signatures=signatures,
        )
        return retry_conflicts(attempt) if self.lake else attempt()

    def _load_once(
        self,
        run_id: str,
        *,
        articles: Sequence[Article],
        quarantined: Sequence[QuarantinedRecord],
        failures: Sequence[Failure],
        taxonomy_version: str,
        batch: str,
        validation: Sequence[ExpectationOutcome],
        validated_at: datetime | None,
        signatures: Sequence[StorySignature],
    ) -> dict[str, SourceCounts]:
        """One attempt of `load`: one transaction."""
        now = datetime.now(UTC)
        counts = tally_rejects(quarantined, failures)

        def tally(source: str) -> SourceCounts:
            return counts.setdefault(source, SourceCounts(source=source))

        with self.transaction() as con:
            if articles:
                previous = self._merge_articles(
                    con,
                    articles,
                    run_id=run_id,
                    taxonomy_version=taxonomy_version,
                    now=now,
                    lake=self.lake,
                )
                for article in articles:
                    _count_outcome(
                        tally(article.source),
                        previous.get(article.article_id),
                        article.content_hash,
                    )
            insert_rows(
                con,
                "quarantine",
                [
                    (
                        run_id,
                        r.article.article_id,
                        r.article.source,
                        r.article.url,
                        r.failed_expectations,
                        _json(r.values),
                        _json(asdict(r.article)),
                        now,
                        quarantine_key(r),
                    )
                    for r in quarantined
                ],
                unique_on=("quarantine_key",),
            )
            insert_rows(
                con,
                "failures",
                [
                    (run_id, f.source, f.url, f.stage, f.reason, f.message, f.retryable, now)
                    for f in failures
                ],
                unique_on=("run_id", "source", "url", "stage", "reason"),
            )
            insert_rows(
                con,
                "validation_results",
                [
                    (
                        run_id,
                        batch,
                        o.name,
                        o.expectation_type,
                        o.column,
                        o.success,
                        o.element_count,
                        o.unexpected_count,
                        validated_at or now,
                    )
                    for o in validation
                ],
                unique_on=("run_id", "batch", "expectation"),
            )
            save_signatures(con, signatures)
        return counts

    def rewrite(
        self,
        run_id: str,
        articles: Sequence[Article],
        *,
        taxonomy_version: str,
        signatures: Sequence[StorySignature] = (),
    ) -> dict[str, SourceCounts]:
        """Store articles derived again from their raw records (reprocess) where they differ.

        Every column but the fetch time is compared, and the labels by score,
        evidence and taxonomy version: an identical article is not written at
        all, so reprocessing an unchanged setup changes no row. A differing row
        is rewritten (`updated_at` set only if its text changed) and keeps its
        fetch and seen times; the story signatures are stored with them.
        Returns updated and unchanged counts per source.
        """
        counts: dict[str, SourceCounts] = {}
        if not articles:
            return counts
        compared = [n for n in _UPDATABLE if n != "fetched_at"]
        ids = [a.article_id for a in articles]
        with self.transaction() as con:
            con.register("batch", _article_rows(articles))
            differing = {
                row[0]
                for row in con.execute(
                    "SELECT b.article_id FROM batch b JOIN articles a USING (article_id) WHERE "
                    + " OR ".join(f"a.{n} IS DISTINCT FROM b.{n}" for n in compared)
                ).fetchall()
            }
            stored = stored_topics(con, ids)
            relabel = {
                a.article_id: a.topics
                for a in articles
                if stored[a.article_id] != topic_fingerprint(a.topics, taxonomy_version)
            }
            if differing:
                assignments = ", ".join(f"{n} = b.{n}" for n in compared)
                con.execute(
                    f"UPDATE articles SET updated_at = CASE WHEN articles.content_hash = "
                    f"b.content_hash THEN articles.updated_at ELSE $now END, {assignments}, "
                    "run_id = $run_id FROM batch b WHERE articles.article_id = b.article_id "
                    "AND b.article_id IN (SELECT unnest($ids))",
                    {"now": datetime.now(UTC), "run_id": run_id, "ids": sorted(differing)},
                )
            con.unregister("batch")
            replace_topics(con, relabel, taxonomy_version=taxonomy_version, run_id=run_id)
            save_signatures(con, signatures)
        for article in articles:
            tally = counts.setdefault(article.source, SourceCounts(source=article.source))
            if article.article_id in differing or article.article_id in relabel:
                tally.updated += 1
            else:
                tally.unchanged += 1
        return counts

    @staticmethod
    def _merge_articles(
        con: duckdb.DuckDBPyConnection,
        articles: Sequence[Article],
        *,
        run_id: str,
        taxonomy_version: str,
        now: datetime,
        lake: bool,
    ) -> dict[str, str]:
        """Insert new articles, update stored ones, and store the topics of new or changed ones.

        A DuckLake keeps its one MERGE (`_merge_from_batch`): it inlines a
        small INSERT into its catalog instead of writing Parquet.

        Which articles are stored is read first (their ids and content hashes
        only), so new ones are appended with a plain INSERT and only stored ones
        are updated: a MERGE joined every column of the whole table, bodies
        included, to the batch (190 MB and 3 s a batch at 20,000 articles). An
        unchanged article gets only `last_seen_at`; a changed one takes every
        new value, `updated_at` and the run. New articles have no topic rows
        to delete. Returns the content hash each article had before, for those
        it had one.
        """
        con.register("batch", _article_rows(articles))
        previous = dict(
            con.execute(
                "SELECT a.article_id, a.content_hash FROM articles a "
                "JOIN batch b USING (article_id)"
            ).fetchall()
        )
        fresh = [a.article_id for a in articles if a.article_id not in previous]
        stored = [a for a in articles if a.article_id in previous]
        if lake:
            _merge_from_batch(con, run_id, now)
        else:
            if fresh:
                # All of the batch, when none is stored: no filter to evaluate.
                where = "WHERE article_id IN (SELECT unnest($ids))" if stored else ""
                con.execute(
                    f"INSERT INTO articles ({_COLUMNS}, first_seen_at, last_seen_at, updated_at, "
                    f"run_id) SELECT {_COLUMNS}, $now, fetched_at, NULL, $run_id FROM batch "
                    f"{where}",
                    {"now": now, "run_id": run_id, **({"ids": fresh} if stored else {})},
                )
            changed = [a.article_id for a in stored if previous[a.article_id] != a.content_hash]
            unchanged = [a.article_id for a in stored if previous[a.article_id] == a.content_hash]
            if changed:
                _update_from_batch(
                    con,
                    [f"{n} = b.{n}" for n in _UPDATABLE] + ["updated_at = b.fetched_at"],
                    changed,
                    run_id,
                )
            if unchanged:
                _update_from_batch(con, [], unchanged, None)
        con.unregister("batch")
        replace_topics(
            con,
            {
                a.article_id: a.topics
                for a in articles
                if previous.get(a.article_id) != a.content_hash
            },
            taxonomy_version=taxonomy_version,
            run_id=run_id,
            fresh=set(fresh),
        )
        return previous
