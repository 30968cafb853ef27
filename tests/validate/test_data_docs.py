"""Data Docs pages: GX's page templates are compiled once per process, not at every build."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest

from mediawatch import data_docs
from schemas.records import Article, TopicLabel
from transforms.validate import validate_articles

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_a_later_build_compiles_no_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = Article(
        article_id="0" * 16,
        url="https://news.example.com/story/1",
        canonical_url="https://news.example.com/story/1",
        source="example",
        title="Ferry subsidy extended",
        body="The island ferry keeps its subsidy for another winter, the council said.",
        content_hash="0" * 64,
        word_count=12,
        fetched_at=NOW,
        published_at=NOW,
        language="en",
        topics=[TopicLabel("economy", 0.9)],
    )
    report = validate_articles(
        [article], known_labels=frozenset({"economy"}), now=NOW, min_body_chars=20
    )
    data_docs.store_results(tmp_path, "run-1", "batch 1", report.results, NOW)
    data_docs.build(tmp_path, "run-1")
    compiled: list[str | None] = []
    compile_source = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *args, **kwargs):
        compiled.append(name)
        return compile_source(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    data_docs.store_results(tmp_path, "run-2", "batch 1", report.results, NOW)
    index = data_docs.build(tmp_path, "run-2")
    pages = list((tmp_path / data_docs.SITE / "validations").rglob("*.html"))
    assert len(pages) == 4  # two runs, one page per table
    assert "run-2" in index.read_text(encoding="utf-8")
    assert compiled == []
