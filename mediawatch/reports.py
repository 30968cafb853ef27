"""Warehouse queries behind the run artifacts and the digest; rendering is in transforms/reports.

Topics in the digest are the top-level taxonomy topics (`geopolitics`, not
`geopolitics/TikTok`): a child label implies its parents, so every labelled
article counts under its top-level topics, and the stories listed under a
topic show their more specific labels.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mediawatch.warehouse import Warehouse
from transforms.reports import Digest, Story

_HOURLY_UP_TO = timedelta(days=2)
_PERIOD = (
    "WITH period AS (SELECT * FROM articles WHERE first_seen_at >= $start AND first_seen_at < $end)"
)


def run_topics(warehouse: Warehouse, run_id: str) -> list[tuple[str, int]]:
    """Articles per topic label among those the run inserted or changed, busiest first."""
    with warehouse.reader() as con:
        return con.execute(
            "SELECT label, count(*)::INTEGER FROM article_topics WHERE run_id = ? "
            "GROUP BY label ORDER BY 2 DESC, 1",
            [run_id],
        ).fetchall()


def quarantine_reasons(warehouse: Warehouse, run_id: str) -> list[tuple[str, int]]:
    """Articles quarantined by the run per failed expectation, most frequent first."""
    with warehouse.reader() as con:
        return con.execute(
            "SELECT expectation, count(*)::INTEGER FROM "
            "(SELECT unnest(failed_expectations) AS expectation FROM quarantine WHERE run_id = ?) "
            "GROUP BY expectation ORDER BY 2 DESC, 1",
            [run_id],
        ).fetchall()


def load_digest(
    warehouse: Warehouse, start: datetime, end: datetime, stories_per_topic: int
) -> Digest:
    """Everything first seen in [start, end): volume per topic over time, sources, stories.

    Buckets are hours for periods up to two days, days beyond. Copies of one
    story (same `story_id`) are listed once, as their best-scoring copy.
    """
    bucket = "hour" if end - start <= _HOURLY_UP_TO else "day"
    window = {"start": start, "end": end}
    with warehouse.reader() as con:
        con.execute("SET TimeZone = 'UTC'")
        (articles,) = con.execute(
            f"{_PERIOD} SELECT count(*)::INTEGER FROM period", window
        ).fetchone()
        volume = con.execute(
            f"{_PERIOD} SELECT t.label, date_trunc('{bucket}', p.first_seen_at) AS bucket, "
            "count(*)::INTEGER FROM period p JOIN article_topics t USING (article_id) "
            "WHERE NOT contains(t.label, '/') GROUP BY ALL ORDER BY bucket, t.label",
            window,
        ).fetchall()
        sources = con.execute(
            f"{_PERIOD} SELECT source, count(*)::INTEGER FROM period "
            "GROUP BY source ORDER BY 2 DESC, 1",
            window,
        ).fetchall()
        rows = con.execute(
            f"""
            {_PERIOD}, labelled AS (
                SELECT split_part(t.label, '/', 1) AS topic, p.article_id,
                       coalesce(p.story_id, p.article_id) AS story,
                       coalesce(p.title, p.url) AS title, p.url, p.source, t.score,
                       list_filter(p.topics, lambda l: split_part(l, '/', 1) = t.label) AS labels
                FROM period p JOIN article_topics t USING (article_id)
                WHERE NOT contains(t.label, '/')
            ), stories AS (
                SELECT topic, story, count(*)::INTEGER AS copies,
                       arg_max(struct_pack(title, url, source, labels, score), score) AS best,
                       max(score) AS score
                FROM labelled GROUP BY topic, story
            ), ranked AS (
                SELECT *, row_number() OVER (PARTITION BY topic ORDER BY score DESC, story) AS rank
                FROM stories
            )
            SELECT topic, best.title, best.url, best.source, best.labels, score, copies
            FROM ranked WHERE rank <= $limit ORDER BY topic, rank
            """,
            {**window, "limit": stories_per_topic},
        ).fetchall()
    stories: dict[str, list[Story]] = {}
    for topic, title, url, source, labels, score, copies in rows:
        stories.setdefault(topic, []).append(Story(title, url, source, labels, score, copies))
    return Digest(start, end, bucket, articles, volume, sources, stories)
