"""Migration 0012 asks for a relabel; the next run (or `reclassify`) does it and clears the ask."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect import flow

from flows.reclassify import reclassify
from flows.relabel import relabel_if_requested
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse, connect
from schemas.records import Article, TopicLabel
from transforms.classify import load_taxonomy

pytestmark = pytest.mark.usefixtures("prefect_harness")
STALE = "before-0012"


def article(number: int, title: str, body: str) -> Article:
    return Article(
        article_id=f"{number:016x}",
        url=f"https://news.example.org/{number}",
        canonical_url=f"https://news.example.org/{number}",
        source="example",
        title=title,
        body=body,
        content_hash=f"{number:064x}",
        word_count=len(body.split()),
        fetched_at=datetime(2026, 11, 20, tzinfo=UTC),
        language="en",
        topics=[TopicLabel("business and markets", 1.0)],
    )


@flow
def next_run(path: Path, run_id: str) -> None:
    """What a pipeline run does first (flows/run.py), without the rest of the run."""
    relabel_if_requested(Warehouse(path), load_taxonomy(load_settings().taxonomy), run_id)


def requests(path: Path) -> list[str]:
    con = connect(path, read_only=True)
    try:
        return [task for (task,) in con.execute("SELECT task FROM pending_work").fetchall()]
    finally:
        con.close()


def replay_0012(path: Path) -> None:
    """Put the file back at schema 11 (no pending_work) and migrate again, as an upgrade does."""
    con = connect(path)
    try:
        con.execute("DROP TABLE pending_work")
        con.execute("DELETE FROM schema_version WHERE version = 12")
    finally:
        con.close()
    connect(path).close()


@pytest.fixture
def stale_warehouse(tmp_path: Path) -> Path:
    """A warehouse whose one article carries a label of the taxonomy before migration 0012."""
    path = tmp_path / "w.duckdb"
    body = (
        "The league leaders won the cup final on penalties after the match ended goalless. "
        "The coach praised his players, the striker and the goalkeeper, and the fans in "
        "the stadium sang until the team lifted the trophy for the first time in a decade."
    )
    stale = article(1, "Football: Ferrisholm win the cup final", body)
    Warehouse(path).load("load-run", articles=[stale], taxonomy_version=STALE)
    return path


def test_an_empty_warehouse_needs_no_relabel(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    connect(path).close()
    replay_0012(path)
    assert requests(path) == []


def test_the_next_run_relabels_once_and_clears_the_request(stale_warehouse: Path) -> None:
    replay_0012(stale_warehouse)
    assert requests(stale_warehouse) == ["reclassify"]
    taxonomy = load_taxonomy(load_settings().taxonomy)
    next_run(stale_warehouse, "catch-up-run")
    con = connect(stale_warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT label, scheme_id, method, taxonomy_version FROM article_topics ORDER BY 1"
        ).fetchall()
        topics = con.execute("SELECT topics FROM articles").fetchone()[0]
    finally:
        con.close()
    assert requests(stale_warehouse) == []
    assert ("sport", "medtop:15000000", "rules", taxonomy.version) in rows
    assert "business and markets" not in topics
    assert {version for *_, version in rows} == {taxonomy.version}
    next_run(stale_warehouse, "later-run")
    con = connect(stale_warehouse, read_only=True)
    try:
        runs = con.execute("SELECT count(*) FROM article_topics WHERE run_id = 'later-run'")
        assert runs.fetchone() == (0,), "nothing asked for, nothing rewritten"
    finally:
        con.close()


def test_reclassify_clears_the_request_too(stale_warehouse: Path) -> None:
    replay_0012(stale_warehouse)
    summary = reclassify(settings=load_settings(warehouse=stale_warehouse))
    assert summary.rewritten == 1
    assert requests(stale_warehouse) == []
