"""The saved-pages flow: read a folder of saved pages, then extract, classify, validate, load.

    read_files -> for each batch: process_batch

A file that cannot be read is recorded as a failure with its reason and the
rest of the folder goes on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.run import pipeline_run, run_name
from flows.stages import log_failures, process_batch
from mediawatch.settings import Settings
from schemas.records import Article, Failure, Page, RunSummary, SourceCounts
from transforms.extract import from_plain_text
from transforms.saved_pages import (
    UnreadableFile,
    file_identity,
    read_saved,
    sidecar_name,
)

_UTF8_HTML = "text/html; charset=utf-8"


def _saved_files(directory: Path) -> list[Path]:
    """Files in the folder and below, in a stable order, without hidden files and sidecars.

    Unsupported types are kept so that the reader reports them instead of the
    run passing over them in silence.
    """
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    sidecars = {p.with_name(sidecar_name(p.name)) for p in files}
    return [p for p in files if p not in sidecars]


@task(name="read-files", task_run_name="read-files [{source}]", cache_policy=NO_CACHE)
def read_files(
    directory: Path, source: str, max_bytes: int
) -> tuple[list[Page], list[Article], list[Failure]]:
    """Read every saved page: HTML becomes a page to extract, plain text an article."""
    pages: list[Page] = []
    articles: list[Article] = []
    failures: list[Failure] = []
    for path in _saved_files(directory):
        name = str(path.relative_to(directory))
        sidecar = path.with_name(sidecar_name(path.name))
        try:
            result = read_saved(
                name,
                path.read_bytes(),
                sidecar.read_bytes() if sidecar.exists() else None,
                max_bytes=max_bytes,
            )
        except UnreadableFile as exc:
            failures.append(Failure(source, str(path), "read", exc.reason, str(exc)))
            continue
        except OSError as exc:
            failures.append(Failure(source, str(path), "read", "os_error", f"{path}: {exc}"))
            continue
        failures.extend(
            Failure(source, str(path), "read", error.reason, str(error)) for error in result.errors
        )
        read_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        for doc in result.documents:
            origin = doc.source or source
            url = doc.url or file_identity(doc.content_hash)
            if doc.text is not None:
                article = from_plain_text(doc.text, url=url, source=origin, fetched_at=read_at)
                articles.append(
                    replace(article, published_at=doc.published_at or article.published_at)
                )
            else:
                pages.append(
                    Page(
                        source=origin,
                        url=url,
                        content=(doc.html or "").encode("utf-8"),
                        fetched_at=read_at,
                        content_type=_UTF8_HTML,
                        origin="file",
                    )
                )
    log_failures(failures)
    return pages, articles, failures


@flow(name="pages", flow_run_name=run_name("pages"))
def ingest_pages(
    directory: str,
    source: str | None = None,
    config: str | None = None,
    settings: Settings | None = None,
) -> RunSummary:
    """Ingest a folder of saved pages into the warehouse."""
    folder = Path(directory).expanduser().resolve()
    name = source or folder.name
    run = pipeline_run("pages", config, settings, sources=[(name, "pages", str(folder))])
    with run as (ctx, summary):
        counts = {name: SourceCounts(source=name)}
        pages, articles, failures = read_files(folder, name, ctx.settings.limits.max_file_bytes)
        counts[name].items_seen = len(pages) + len(articles) + len(failures)
        size = ctx.settings.limits.batch_size
        for start in range(0, max(len(pages), len(articles), 1), size):
            label = f"files {start + 1}-{start + size}"
            loaded, batch_failures = process_batch(
                ctx,
                label=label,
                pages=pages[start : start + size],
                articles=articles[start : start + size],
                failures=failures if start == 0 else [],
            )
            summary.failures.extend(batch_failures)
            for origin, tally in loaded.items():
                counts.setdefault(origin, SourceCounts(source=origin)).add(tally)
        summary.sources = list(counts.values())
    return summary
