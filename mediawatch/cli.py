"""The `mediawatch` command: a thin CLI over the flows and the warehouse.

Each command validates its input, calls one flow or one query, and prints a
table. Errors the user can act on (`MediawatchError`, SQL errors) become one
`Error:` line and exit status 1, never a traceback.
"""

from __future__ import annotations

import csv
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

import flows  # noqa: F401 - the project's Prefect defaults, before Prefect starts a server
from mediawatch import daemon, local_server
from mediawatch.errors import MediawatchError, WarehouseError
from mediawatch.lake_target import DUCKLAKE_PREFIX, DuckLakeTarget
from mediawatch.settings import Settings, load_settings
from mediawatch.taxonomy_cmd import app as taxonomy_app
from schemas.records import RunSummary, SourceCounts
from transforms.wording import plural

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")

app = typer.Typer(
    help=(
        "Media monitoring ETL: poll feeds and saved pages, extract clean articles, "
        "label topics, validate, load into DuckDB.\n\n"
        'Example: mediawatch demo && mediawatch sql "select title, topics from articles"'
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
app.add_typer(taxonomy_app, name="taxonomy")


class State:
    """Options given before the command, shared by every command."""

    warehouse: Path | None = None


@app.callback()
def main_options(
    warehouse: Annotated[
        Path | None,
        typer.Option(
            envvar="MEDIAWATCH_WAREHOUSE",
            help=f"DuckDB warehouse file [default: the config's, else {DEFAULT_WAREHOUSE}]",
        ),
    ] = None,
    no_daemon: Annotated[
        bool,
        typer.Option(
            "--no-daemon",
            help="Run a flow command in this process, not in the command daemon that "
            "`mediawatch server start` starts.",
        ),
    ] = False,
) -> None:
    """Options shared by every command (`--no-daemon` is read by `mediawatch.daemon.main`)."""
    State.warehouse = warehouse


def connect(path: Path, **options: Any) -> duckdb.DuckDBPyConnection:
    """`mediawatch.warehouse.connect`, imported only now: it pulls in pyarrow."""
    from mediawatch.warehouse import connect as connect_warehouse

    return connect_warehouse(path, **options)


def _settings(config: Path | None, warehouse: Path | None = None) -> Settings:
    """The settings of a command; its own `--warehouse` wins over the one before it."""
    return load_settings(config, warehouse=warehouse or State.warehouse)


def _checked(config: Path | None, warehouse: Path | None, *, alerts: bool = True) -> Settings:
    """The settings of a command that starts a flow, with its taxonomy (and alert topics) checked.

    Done before the flow starts, so a bad file is one `Error:` line, not a
    Prefect crash report.
    """
    settings = _settings(config, warehouse)
    if alerts:
        from mediawatch.preflight import checked_taxonomy

        checked_taxonomy(settings)
    else:
        from transforms.classify import load_taxonomy

        load_taxonomy(settings.taxonomy)
    return settings


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML settings file, merged over the built-in defaults "
        "[default: $MEDIAWATCH_CONFIG, else ./mediawatch.yaml if present].",
    ),
]
WarehouseOption = Annotated[
    Path | None,
    typer.Option(help="DuckDB warehouse file (also accepted before the command)."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


def _unwrapped() -> Console:
    """The console for lines and tables holding paths or URLs: never wrapped into a pipe."""
    return console if console.is_terminal else Console(width=100_000)


def _print_summary(
    summary: RunSummary, *, quiet: bool, as_json: bool, ui_url: str | None = None
) -> None:
    if as_json:
        typer.echo(json.dumps(asdict(summary), default=str, indent=2))
        return
    if quiet:
        return
    table = Table(title=f"{summary.flow} run {summary.run_id}", box=box.SIMPLE_HEAD)
    columns = [f.name for f in fields(SourceCounts) if f.name != "source"]
    table.add_column("source")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for row in [*summary.sources, summary.total()]:
        table.add_row(*_texts([row.source, *(getattr(row, c) for c in columns)]))
    Console(width=max(console.width, 130)).print(table)
    if summary.files:
        files = Table("file", "status", "reason", "documents", box=box.SIMPLE_HEAD)
        for entry in summary.files:
            files.add_row(*_texts([entry.path, entry.status, entry.reason, entry.documents]))
        _unwrapped().print(files)
    for failure in summary.failures:
        console.print(
            f"[yellow]failed[/] {escape(failure.source)}: {escape(failure.message)}",
            highlight=False,
            soft_wrap=True,
        )
    total = summary.total()
    if total.skipped:
        console.print(
            f"{plural(total.skipped, 'item')} skipped: quarantined or failed for good in an "
            "earlier run (see the quarantine and failures tables)."
        )
    if total.deferred:
        console.print(
            f"{plural(total.deferred, 'article')} deferred: the warehouse was busy, so they were "
            "spooled and the next run loads them first."
        )
    if summary.not_polled:
        console.print(
            f"Not polled now ({plural(len(summary.not_polled), 'feed')}): "
            + "; ".join(escape(line) for line in summary.not_polled)
            + ". `mediawatch run --all` polls every feed now.",
            highlight=False,
            soft_wrap=True,
        )
    if not summary.changed and not total.deferred:
        console.print("Nothing new: no article was added or changed.")
    lake = summary.warehouse.startswith(DUCKLAKE_PREFIX)
    warehouse = summary.warehouse if lake else Path(summary.warehouse).resolve()
    console.print(f"Warehouse: {escape(str(warehouse))}", highlight=False, soft_wrap=True)
    if ui_url:
        console.print(
            f"Prefect UI: {ui_url}  (this run: {ui_url}/runs/flow-run/{summary.run_id})",
            highlight=False,
            soft_wrap=True,
        )


def _flow(path: str) -> Callable[..., Any]:
    """The flow at `module:name`, imported only now: inside `cli_session`, beside the API start."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _ui_url() -> str | None:
    """The UI that shows this process's runs (none for the temporary API)."""
    from prefect.settings import get_current_settings

    return get_current_settings().ui_url or None


def _run(flow: str, quiet: bool, as_json: bool, settings: Settings, **params: Any) -> None:
    """Run the flow at `module:name` tagged `cli`; progress bars unless output is for scripts.

    The run reports to `PREFECT_API_URL`, else to the running `mediawatch server`,
    else to a temporary API (see `mediawatch.prefect_api`).
    """
    from prefect import tags

    from mediawatch.prefect_api import cli_session

    with cli_session(local_server.running_api_url(settings)), tags("mediawatch", "cli"):
        run_flow = _flow(flow)
        if quiet or as_json:
            summary = run_flow(settings=settings, **params)
        else:
            from mediawatch.progress import progress_bars

            with progress_bars(Console(stderr=True)):
                summary = run_flow(settings=settings, **params)
        ui_url = _ui_url()
    _print_summary(summary, quiet=quiet, as_json=as_json, ui_url=ui_url)


@app.command()
def run(
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
    *,
    quiet: QuietOption = False,
    json_: JsonOption = False,
    all_: Annotated[
        bool,
        typer.Option("--all", help="Poll every feed now, even those not due or disabled."),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(help="Poll only shard i of N of the feeds, e.g. 2/3 (default: `shard:`)."),
    ] = None,
) -> None:
    """Poll the feeds that are due and load new articles (the scheduled job).

    Example: mediawatch run --config mediawatch.yaml --all
    """
    settings = _checked(config, warehouse)
    if not settings.sources:
        raise MediawatchError("no sources configured: add a `sources:` list to your config file")
    if shard is not None:
        from transforms.shard import InvalidShard, parse_shard

        try:
            shard = str(parse_shard(shard))
        except InvalidShard as exc:
            raise MediawatchError(f"--shard: {exc}") from None
    _run("flows.ingest:ingest", quiet, json_, settings=settings, poll_all=all_, shard=shard)


@app.command()
def demo(
    port: Annotated[
        int | None,
        typer.Option(help="Loopback port for the demo site [default: 8765, else a free one]."),
    ] = None,
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
    quiet: QuietOption = False,
    json_: JsonOption = False,
) -> None:
    """Serve the bundled demo news site on loopback and ingest it over HTTP.

    Example: mediawatch demo && mediawatch sql "select title, topics from articles"
    """
    from mediawatch.demo import DEFAULT_PORT, serve_demo_site

    with ExitStack() as stack:
        try:
            site = stack.enter_context(serve_demo_site(port or DEFAULT_PORT))
        except MediawatchError:
            if port is not None:
                raise
            site = stack.enter_context(serve_demo_site(0))
            console.print(f"Port {DEFAULT_PORT} is taken: the demo site is on {site.base_url}")
        base = _checked(config, warehouse)
        settings = base.with_overrides(
            sources=site.sources,
            # The demo site is our own server on loopback: no need to be polite to it.
            http=base.http.model_copy(
                update={
                    "allow_private": [*base.http.allow_private, "127.0.0.1"],
                    "min_host_delay": 0,
                }
            ),
        )
        _run("flows.ingest:ingest", quiet, json_, settings=settings, poll_all=True)


@app.command()
def pages(
    directory: Annotated[
        Path,
        typer.Argument(help="Folder of saved pages: .html/.htm, .mhtml/.mht, .txt, .warc(.gz)."),
    ],
    *,
    source: Annotated[str | None, typer.Option(help="Source name [default: folder name]")] = None,
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
    quiet: QuietOption = False,
    json_: JsonOption = False,
) -> None:
    """Ingest a folder of saved pages (HTML, MHTML, plain text, WARC), each file once.

    Example: mediawatch pages ~/saved-articles --source press-cuttings
    """
    from mediawatch.saved_folder import check_folder

    settings = _checked(config, warehouse)
    check_folder(directory)
    _run(
        "flows.pages:ingest_pages",
        quiet,
        json_,
        directory=str(directory),
        source=source,
        settings=settings,
    )


@app.command()
def reprocess(
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
    quiet: QuietOption = False,
    json_: JsonOption = False,
) -> None:
    """Re-extract and re-classify every article from the raw archive and saved pages (no network).

    Example: mediawatch reprocess --config mediawatch.yaml
    """
    _run("flows.reprocess:reprocess", quiet, json_, settings=_checked(config, warehouse))


@app.command()
def reclassify(
    config: ConfigOption = None, warehouse: WarehouseOption = None, json_: JsonOption = False
) -> None:
    """Re-label every article with the current taxonomy and show what changed per topic.

    Example: mediawatch reclassify --config mediawatch.yaml
    """
    from mediawatch.prefect_api import cli_session

    settings = _checked(config, warehouse, alerts=False)
    with cli_session(local_server.running_api_url(settings)):
        summary = _flow("flows.reclassify:reclassify")(settings=settings)
    if json_:
        typer.echo(json.dumps(asdict(summary), indent=2))
        return
    table = Table("topic", "added", "removed", "unchanged", box=box.SIMPLE_HEAD)
    for change in summary.topics:
        table.add_row(*_texts([change.label, change.added, change.removed, change.unchanged]))
    console.print(table)
    console.print(
        f"{summary.articles} articles, {summary.rewritten} rewritten, "
        f"taxonomy {summary.taxonomy_version}",
        highlight=False,
    )


def _use_server(settings: Settings, command: str) -> None:
    """Report to PREFECT_API_URL or the running local server; refuse without one.

    Deployments and schedules live in a server: a temporary API forgets them.
    """
    from mediawatch.prefect_api import use_api, uses_temporary_server

    if not uses_temporary_server():
        return
    api_url = local_server.running_api_url(settings)
    if api_url is None:
        raise MediawatchError(
            f"`{command}` needs a Prefect server: its scheduler creates the scheduled runs, "
            "and no server runs here. Start one with `mediawatch server start` "
            f"(or set PREFECT_API_URL), then run `mediawatch {command}` again"
        )
    use_api(api_url)


@app.command()
def serve(
    prefect_file: Annotated[
        Path | None,
        typer.Option("--file", help="The prefect.yaml to read deployments from [default: ours]."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run every deployment of prefect.yaml on its schedule in this process, until Ctrl-C.

    Runs from this process, without a worker, against PREFECT_API_URL or the running
    `mediawatch server` (whose scheduler creates the runs, and whose UI shows them).

    Example: mediawatch server start && mediawatch serve
    """
    from prefect import serve as serve_deployments

    from mediawatch.deployments import PREFECT_FILE, runner_deployments, worker_deployments

    _use_server(_settings(config), "serve")
    taken = worker_deployments(prefect_file or PREFECT_FILE)
    if taken:
        raise MediawatchError(
            f"{', '.join(taken)} already exist as worker deployments (`prefect deploy`); "
            "serving them too would replace them and pause their schedules when stopped. "
            "Keep the worker, or switch: stop it, then `prefect deployment delete NAME` "
            "for each (see README, Scheduling)"
        )
    serve_deployments(*runner_deployments(prefect_file or PREFECT_FILE))


server_app = typer.Typer(
    help="A local Prefect server with its UI, in the background; every command reports to it.",
    no_args_is_help=True,
)
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start(
    port: Annotated[
        int | None,
        typer.Option(help="Port of the UI and API [default: server.port, else a free one]"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Start the local Prefect server and its UI in the background, or show the running one.

    Example: mediawatch server start && mediawatch demo
    """
    settings = _settings(config)
    state = local_server.start(settings, port)
    _print_server(state, "running")
    if settings.server.daemon:
        pid = daemon.start(local_server.server_folder(settings), sys.argv[1:])
        console.print(f"Command daemon: pid {pid}", highlight=False)


@server_app.command("stop")
def server_stop(config: ConfigOption = None) -> None:
    """Stop the local Prefect server (its runs and database stay for the next start).

    Example: mediawatch server stop
    """
    settings = _settings(config)
    if daemon.stop(local_server.server_folder(settings)) is not None:
        console.print("Stopped the command daemon.")
    state = local_server.stop(settings)
    console.print("Stopped the Prefect server." if state else "No Prefect server was running.")


@server_app.command("status")
def server_status(config: ConfigOption = None) -> None:
    """Say whether the local Prefect server runs, where, and on which database; exit 1 if not.

    Example: mediawatch server status
    """
    settings = _settings(config)
    state = local_server.read_state(settings)
    if state is None:
        console.print("No Prefect server is running: start one with `mediawatch server start`.")
        raise typer.Exit(1)
    answering = local_server.running_api_url(settings) is not None
    _print_server(state, "running" if answering else "starting (not answering yet)")
    pid = daemon.running_pid(local_server.server_folder(settings))
    console.print(f"Command daemon: {f'pid {pid}' if pid else 'not running'}", highlight=False)


def _print_server(state: local_server.ServerState, status: str) -> None:
    _unwrapped().print(
        f"Prefect server {status}, pid {state.pid}, {state.database} database\n"
        f"UI:  {state.ui_url}\nAPI: {state.api_url}",
        highlight=False,
        soft_wrap=True,
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _texts(values: Sequence[object]) -> list[Text]:
    """Table cells that show data as it is: a Text is never read as Rich markup or emoji."""
    return [Text(_cell(value)) for value in values]


def _print_rows(
    columns: Sequence[str],
    rows: Sequence[tuple[object, ...]],
    fmt: str,
    shown: Sequence[str] | None = None,
) -> None:
    """Print rows as JSON, CSV or a table; a table shows only the `shown` columns, if given."""
    if fmt == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        typer.echo(json.dumps(records, ensure_ascii=False, default=str, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(v) for v in row] for row in rows)
    else:
        picked = [columns.index(c) for c in shown or columns]
        # Folded, not cut: a long name or URL wraps onto more lines but is shown whole.
        table = Table(*(Column(columns[i], overflow="fold") for i in picked))
        for row in rows:
            table.add_row(*_texts([row[i] for i in picked]))
        console.print(table)
        console.print(plural(len(rows), "row"), style="dim")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the warehouse (read-only).")],
    format: Annotated[
        Literal["table", "csv", "json"], typer.Option("--format", "-f", help="Output format.")
    ] = "table",
    allow_files: Annotated[
        bool,
        typer.Option(
            "--allow-files",
            help="Let the SQL read and write other files (COPY, EXPORT DATABASE, read_csv, "
            "INSTALL); without it only the warehouse itself can be read.",
        ),
    ] = False,
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Run a read-only SQL query on the warehouse and print the result.

    No statement can touch another file (COPY ... TO, EXPORT DATABASE, read_csv,
    INSTALL, SET) unless --allow-files is given.

    Example: mediawatch sql "select title, topics from articles" --format csv
    """
    if not query.strip():
        raise MediawatchError('no SQL given: try mediawatch sql "select count(*) from articles"')
    from mediawatch.warehouse import connect_for_queries

    settings = _settings(config, warehouse)
    con = connect_for_queries(
        settings.warehouse, allow_files=allow_files, config=settings.duckdb_config
    )
    try:
        cursor = con.execute(query)
        columns = [d[0] for d in (cursor and cursor.description) or []]
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        hint = " (use --allow-files to read or write files)" if _refused(exc) else ""
        raise MediawatchError(f"SQL failed: {exc}{hint}") from exc
    finally:
        con.close()
    _print_rows(columns, rows, format)


def _refused(exc: duckdb.Error) -> bool:
    """Whether DuckDB refused the statement because of the `mediawatch sql` sandbox."""
    return isinstance(exc, duckdb.PermissionException) or "configuration has been locked" in str(
        exc
    )


@app.command()
def sources(
    format: Annotated[
        Literal["table", "csv", "json"], typer.Option("--format", "-f", help="Output format.")
    ] = "table",
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Show each feed's health: last poll and success, failures in a row, next poll, last error.

    Example: mediawatch sources --config mediawatch.yaml
    """
    from mediawatch.feed_store import configured_states, read_states
    from transforms.polling import health

    settings = _settings(config, warehouse)
    con = connect(settings.warehouse, read_only=True, config=settings.duckdb_config)
    try:
        stored = read_states(con)
    finally:
        con.close()
    configured = configured_states(settings, stored)
    columns = [
        "source",
        "health",
        "feed_url",
        "last_polled_at",
        "last_success_at",
        "last_status",
        "consecutive_failures",
        "items_seen",
        "last_new_items",
        "poll_interval_s",
        "next_poll_at",
        "problem",
    ]
    # A feed no longer in the config keeps its history, marked removed (when a config
    # lists feeds at all: without one there is nothing to compare with).
    rows = [
        (
            state.source,
            "removed" if configured and state.source not in configured else health(state),
            state.feed_url,
            state.last_polled_at,
            state.last_success_at,
            state.last_status,
            state.consecutive_failures,
            state.items_seen,
            state.last_new_items,
            state.poll_interval_s,
            state.next_poll_at,
            state.disabled_reason or state.last_error,
        )
        for state in [*configured.values(), *(s for n, s in stored.items() if n not in configured)]
    ]
    # A table of all twelve columns is unreadable in a terminal; CSV and JSON have them all.
    _print_rows(columns, rows, format, ["source", "health", "feed_url", "next_poll_at", "problem"])


@app.command()
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write one file per table into.")],
    format: Annotated[
        Literal["parquet"], typer.Option("--format", "-f", help="File format.")
    ] = "parquet",
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Write every table and view of the warehouse to a folder, for downstream tools.

    Example: mediawatch export --format parquet exports/
    """
    from mediawatch.export import export_parquet

    settings = _settings(config, warehouse)
    written = export_parquet(settings.warehouse, directory, config=settings.duckdb_config)
    console.print(
        f"{len(written)} {format} files in {escape(str(directory.resolve()))}", highlight=False
    )


@app.command()
def explain(
    article_id: Annotated[str, typer.Argument(help="The article_id to explain.")],
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Show an article's fields and why each topic label applied.

    Example: mediawatch explain 3f2a9c0d1e4b5a67
    """
    from transforms.classify import MAX_EVIDENCE, load_taxonomy

    settings = _settings(config, warehouse)
    con = connect(settings.warehouse, read_only=True, config=settings.duckdb_config)
    try:
        found = con.execute(
            "SELECT article_id, title, author, published_at, source, sitename, language, url, "
            "word_count, first_seen_at, updated_at, left(body, 300) AS lead "
            "FROM articles WHERE article_id = ?",
            [article_id],
        )
        names = [d[0] for d in found.description]
        row = found.fetchone()
        if row is None:
            raise MediawatchError(f"no article with id {article_id!r}")
        labels = con.execute(
            "SELECT label, score, evidence, taxonomy_version, method, scheme_id, "
            "evidence_omitted FROM article_topics WHERE article_id = ? ORDER BY label",
            [article_id],
        ).fetchall()
    finally:
        con.close()
    fields = Table(show_header=False, box=None)
    for name, value in zip(names, row, strict=True):
        fields.add_row(Text(name, style="bold"), *_texts([value]))
    console.print(fields)
    if not labels:
        console.print("No topic labels.")
    taxonomy = load_taxonomy(settings.taxonomy) if labels else None
    for label, score, evidence, version, method, scheme_id, omitted in labels:
        scheme = f", {scheme_id}" if scheme_id else ""
        console.print(
            f"\n[bold]{escape(label)}[/]  score {score:g}  "
            f"({escape(method + scheme)}, taxonomy {escape(version)})"
        )
        tree = taxonomy.query_tree(label) if method == "rules" else None
        if tree is not None:
            current = "" if version == taxonomy.version else " (current taxonomy)"
            console.print(f"  query{current}: {tree}", highlight=False, markup=False)
        if omitted:
            console.print(
                f"  evidence capped: {omitted} more spans matched than the {MAX_EVIDENCE} stored",
                highlight=False,
            )
        grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for hit in json.loads(evidence):
            grouped.setdefault((hit["field"], hit["term"]), []).append(hit)
        for (field, term), hits in grouped.items():
            offsets = ", ".join(f"{h['start']}-{h['end']}" for h in hits[:5])
            more = f" (+{len(hits) - 5} more)" if len(hits) > 5 else ""
            console.print(
                escape(f"  {field} {term} ×{len(hits)} at {offsets}{more}: …{hits[0]['snippet']}…"),
                highlight=False,
            )


def _warehouse(settings: Settings) -> Any:
    """The configured warehouse, opened with the configured lock retries (no write slot)."""
    from mediawatch.warehouse import Warehouse

    return Warehouse(
        settings.warehouse,
        lock_attempts=settings.load.lock_attempts,
        lock_backoff=settings.load.lock_backoff,
        config=settings.duckdb_config,
    )


@app.command()
def prune(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be deleted; delete nothing.")
    ] = False,
    include_referenced: Annotated[
        bool,
        typer.Option(
            "--include-referenced",
            help="Also delete old archive files that stored articles point to "
            "(reprocess then reports those articles as raw_missing).",
        ),
    ] = False,
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Delete archive files and fetch_log rows older than the `retention:` settings keep.

    Example: mediawatch prune --dry-run --config mediawatch.yaml
    """
    from mediawatch.retention import describe
    from mediawatch.retention import prune as prune_old

    settings = _settings(config, warehouse)
    if not settings.retention.configured:
        console.print(
            "Nothing to prune: retention.archive_days and retention.fetch_log_days are null "
            "(kept forever). Set them in your config file."
        )
        return
    pruned = prune_old(
        settings, _warehouse(settings), dry_run=dry_run, include_referenced=include_referenced
    )
    for line in describe(pruned, dry_run=dry_run):
        console.print(line, highlight=False)


@app.command()
def migrate(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the pending migrations; apply nothing.")
    ] = False,
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Apply the warehouse's pending schema migrations, all or none; print the version.

    Every write migrates too; run this after an upgrade to see what changes,
    with a backup first (`mediawatch backup`).

    Example: mediawatch migrate --dry-run && mediawatch migrate
    """
    from mediawatch.warehouse import migration_status, open_ducklake

    settings = _settings(config, warehouse)
    path = settings.warehouse
    opening = {
        "attempts": settings.load.lock_attempts,
        "backoff": settings.load.lock_backoff,
        "config": settings.duckdb_config,
    }
    if isinstance(path, DuckLakeTarget):
        reading = open_ducklake(path, config=settings.duckdb_config)
    else:
        reading = connect(path, read_only=True, **opening) if path.exists() else duckdb.connect()
    with closing(reading) as con:
        before, pending = migration_status(con)
    if not pending:
        console.print(f"Schema version {before}: up to date, nothing to apply.")
        return
    if dry_run:
        console.print(
            f"Schema version {before}; {plural(len(pending), 'pending migration')}: "
            f"{', '.join(pending)}. `mediawatch migrate` applies them.",
            highlight=False,
        )
        return
    with closing(connect(path, **opening)) as con:  # migrates
        after, _ = migration_status(con)
    console.print(
        f"Schema version {before} -> {after}: applied {', '.join(pending)}.", highlight=False
    )


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="The new DuckDB file to copy the warehouse to.")],
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Copy the warehouse into a new DuckDB file, consistently, while scheduled runs go on.

    Restore by stopping the runs and copying the file over the warehouse.

    Example: mediawatch backup backups/warehouse-$(date +%F).duckdb
    """
    from mediawatch.backup import backup as copy_warehouse

    settings = _settings(config, warehouse)
    if isinstance(settings.warehouse, DuckLakeTarget):
        raise WarehouseError(
            "backup copies a DuckDB file; back a DuckLake up with its catalog database "
            "(pg_dump) and its data path"
        )
    written = copy_warehouse(
        settings.warehouse,
        target,
        attempts=settings.load.lock_attempts,
        backoff=settings.load.lock_backoff,
        config=settings.duckdb_config,
    )
    console.print(f"Backup: {escape(str(written.resolve()))}", highlight=False, soft_wrap=True)


@app.command()
def digest(
    days: Annotated[
        float, typer.Option(min=0.01, max=3660, help="Length of the period, in days.")
    ] = 1.0,
    stories: Annotated[int, typer.Option(min=1, max=100, help="Top stories listed per topic.")] = 5,
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Write the digest of the last DAYS now: an HTML page with its chart, and a PNG.

    The same report as the daily-digest deployment, on demand; it goes to
    digests/ in the data folder and to the Prefect UI as a Markdown artifact.

    Example: mediawatch digest --days 7
    """
    from mediawatch.prefect_api import cli_session

    settings = _settings(config, warehouse)
    connect(settings.warehouse, read_only=True).close()  # a missing warehouse is one Error line
    with cli_session(local_server.running_api_url(settings)):
        page = _flow("flows.digest:digest")(
            days=days, stories_per_topic=stories, end=datetime.now(UTC), settings=settings
        )
    console.print(f"Digest: {escape(str(Path(page).resolve()))}", highlight=False, soft_wrap=True)


@app.command()
def deploy(
    shards: Annotated[
        int, typer.Option(min=1, max=1000, help="Split the feed polling into this many runs.")
    ] = 1,
    pool: Annotated[str, typer.Option(help="The process work pool (created if missing).")] = (
        "mediawatch"
    ),
    file: Annotated[Path, typer.Option(help="The deployments file.")] = Path("prefect.yaml"),
    config: ConfigOption = None,
) -> None:
    """Register prefect.yaml's deployments in a work pool, feed polling split into shards.

    With --shards N the poll-feeds deployment becomes poll-feeds-1-of-N ...
    poll-feeds-N-of-N, each polling its share of the feeds (`shard: i/N`);
    ingest deployments of another sharding in the pool are deleted. Start
    workers with `prefect worker start --pool POOL` (see Running on several machines).

    Example: mediawatch deploy --shards 3 && prefect worker start --pool mediawatch
    """
    from mediawatch.deployments import deploy as register
    from mediawatch.deployments import read_deployments, shard_entries

    _use_server(_settings(config), "deploy")
    names = register(
        shard_entries(read_deployments(file), shards), pool, source=file.resolve().parent
    )
    for name in names:
        console.print(f"deployed {escape(name)} in pool {escape(pool)}", highlight=False)


def main() -> None:
    """Console-script entry point: run the app, turning known errors into one line."""
    try:
        app()
    except MediawatchError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]Error:[/] {escape(str(exc))}", highlight=False
        )
        sys.exit(1)
