"""Benchmark the warehouse writes and reads of one batch, and count write-slot acquisitions.

Loads N invented articles with L topic labels each (and the quarantine,
failure, validation, story-signature, saved-file and fetch_log rows such a
batch brings) into a fresh temporary warehouse file, then runs the reads a
run makes before fetching. Prints the seconds of each step and how many
times the writer lock was taken (`write_slot`, replaced by a counter here,
so the figure is the count, not the wait).

    .venv/bin/python bench/bench_warehouse.py [--articles 250 --labels 7]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mediawatch.write_slot
from mediawatch.feed_store import LoggedFetch, load_states, record_fetches
from mediawatch.http import FetchAttempt
from mediawatch.registry import known_files, record_files, stored_signatures
from mediawatch.warehouse import Warehouse
from mediawatch.write_slot import WriterLock
from schemas.records import (
    Article,
    Evidence,
    Failure,
    QuarantinedRecord,
    SavedFile,
    StorySignature,
    TopicLabel,
)
from transforms.stories import SCHEME
from transforms.validate import ExpectationOutcome

EXPECTATIONS = 17
REJECTED_SHARE = 12  # one article in this many is quarantined, one fetch fails


def make_articles(count: int, labels: int) -> list[Article]:
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    return [
        Article(
            article_id=f"{number:016x}",
            url=f"https://news.example/{number}.html",
            canonical_url=f"https://news.example/{number}.html",
            source=f"source-{number % 5}",
            title=f"Harbour council story {number}",
            body="The council met about the harbour plan again. " * 60,
            content_hash=f"{number:064x}",
            word_count=480,
            fetched_at=start + timedelta(seconds=number),
            published_at=start,
            language="en",
            categories=["city"],
            tags=["harbour", "council"],
            topics=[
                TopicLabel(
                    f"topic-{label}/sub-{number % 3}",
                    2.0 + label,
                    [Evidence("harbour", "body", 4 * label, 4 * label + 7, "the harbour plan")],
                )
                for label in range(labels)
            ],
        )
        for number in range(count)
    ]


@contextmanager
def counted_slot(taken: list[str]) -> Iterator[None]:
    """Replace the writer lock by a counter for the block."""
    real = mediawatch.write_slot.write_slot

    @contextmanager
    def counter(lock: WriterLock) -> Iterator[None]:
        taken.append(str(lock.path))
        yield

    mediawatch.write_slot.write_slot = counter
    try:
        yield
    finally:
        mediawatch.write_slot.write_slot = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=250)
    parser.add_argument("--labels", type=int, default=7)
    args = parser.parse_args()
    articles = make_articles(args.articles, args.labels)
    rejected = articles[::REJECTED_SHARE]
    now = datetime.now(UTC)

    def load(warehouse: Warehouse) -> object:
        return warehouse.load(
            "run-1",
            articles=articles,
            quarantined=[QuarantinedRecord(a, ["body_long_enough"]) for a in rejected],
            failures=[
                Failure(a.source, a.url + "?gone", "fetch", "http_status", "HTTP 404")
                for a in rejected
            ],
            taxonomy_version="t1",
            batch="batch-1",
            validation=[
                ExpectationOutcome(f"e{n}", "expect_x", "body", True, len(articles), 0)
                for n in range(EXPECTATIONS)
            ],
            signatures=[StorySignature(a.article_id, a.article_id, bytes(1024)) for a in articles],
        )

    steps: list[tuple[str, Callable[[Warehouse], object]]] = [
        ("load (articles, labels, signatures, quarantine, failures, validation)", load),
        ("load the same batch again (spool replay: nothing added)", load),
        (
            "record_files",
            lambda w: record_files(
                w,
                "run-1",
                "inbox",
                [
                    SavedFile(
                        f"/in/{a.article_id}.html", a.content_hash, 9000, "processed", None, 1
                    )
                    for a in articles
                ],
            ),
        ),
        (
            "record_fetches",
            lambda w: record_fetches(
                w,
                "run-1",
                [
                    LoggedFetch(
                        a.source, FetchAttempt(a.url, "page", 200, 9000, 0.05, None, None, now)
                    )
                    for a in articles
                ],
            ),
        ),
        ("settled", lambda w: w.settled([(a.article_id, a.url) for a in articles])),
        ("known_files", lambda w: known_files(w, [a.content_hash for a in articles])),
        ("stored_signatures", lambda w: stored_signatures(w, SCHEME)),
        ("load_states", load_states),
    ]
    taken: list[str] = []
    with tempfile.TemporaryDirectory() as folder, counted_slot(taken):
        path = Path(folder) / "w.duckdb"
        warehouse = Warehouse(path, write_lock=WriterLock.beside(path, 60.0))
        warehouse.start_run("run-1", "bench", [])
        print(f"{args.articles} articles x {args.labels} labels")
        total = 0.0
        for name, step in steps:
            before = len(taken)
            began = time.perf_counter()
            step(warehouse)
            elapsed = time.perf_counter() - began
            total += elapsed
            print(f"{name:60} {elapsed:7.3f} s  slots {len(taken) - before}")
        print(f"{'total':60} {total:7.3f} s  slots {len(taken)} (start_run included)")


if __name__ == "__main__":
    main()
