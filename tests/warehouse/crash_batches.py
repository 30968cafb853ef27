"""Deterministic batches for the crash tests: batch K always holds the same rows."""

from __future__ import annotations

from datetime import UTC, datetime

from mediawatch.spool import ValidatedBatch
from schemas.records import (
    Article,
    Evidence,
    Failure,
    QuarantinedRecord,
    StorySignature,
    TopicLabel,
)
from transforms.validate import ExpectationOutcome

ARTICLES = 120
QUARANTINED = 4
FAILURES = 3
LABELS = ("economy", "economy/ports")
OUTCOMES = (
    ExpectationOutcome(
        "article_id_present",
        "expect_column_values_to_not_be_null",
        "article_id",
        True,
        ARTICLES + QUARANTINED,
        0,
    ),
    ExpectationOutcome(
        "body_long_enough",
        "expect_column_value_lengths_to_be_between",
        "body",
        False,
        ARTICLES + QUARANTINED,
        QUARANTINED,
    ),
)
RUN_ID = "crash-run"


def _article(batch: int, row: int) -> Article:
    stamp = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    return Article(
        article_id=f"{batch:08x}{row:08x}",
        url=f"https://port.example/{batch}/{row}.html",
        canonical_url=f"https://port.example/{batch}/{row}.html",
        source="port-news",
        title=f"Container volumes at the port, report {batch}-{row}",
        body="Container volumes at the eastern port rose again in October. " * 8,
        content_hash=f"{batch:032x}{row:032x}",
        word_count=80,
        fetched_at=stamp,
        published_at=stamp,
        language="en",
        topics=[
            TopicLabel(label, 2.5, [Evidence("port", "body", 26, 30, "the eastern port")])
            for label in LABELS
        ],
    )


def make_batch(batch: int) -> ValidatedBatch:
    """Batch `batch`: its articles and their signatures, rejects and validation outcomes."""
    rejected = [_article(batch, ARTICLES + i) for i in range(QUARANTINED)]
    articles = [_article(batch, row) for row in range(ARTICLES)]
    return ValidatedBatch(
        run_id=RUN_ID,
        batch=f"batch {batch}",
        taxonomy_version="t1",
        validated_at=datetime(2026, 11, 20, 9, 1, tzinfo=UTC),
        articles=articles,
        quarantined=[QuarantinedRecord(a, ["body_long_enough"], {"body": 3}) for a in rejected],
        failures=[
            Failure(
                "port-news",
                f"https://port.example/{batch}/gone-{i}",
                "fetch",
                "http_status",
                "HTTP 404",
            )
            for i in range(FAILURES)
        ],
        outcomes=list(OUTCOMES),
        signatures=[
            StorySignature(a.article_id, f"story-{batch}", bytes([batch % 256, 0, 255]) * 8)
            for a in articles
        ],
    )
