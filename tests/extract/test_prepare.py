"""The extraction workers' per-article work: the same labels and story print as in the flow."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from flows.stages import classify_batch
from mediawatch.settings import load_settings
from schemas.records import Article, Failure, Page, TopicLabel
from transforms.classify import load_taxonomy
from transforms.extract import extract
from transforms.prepare import Prepared, Preparer, rule_labels
from transforms.stories import StoryIndex, StoryPrint, text_hash

STORY = "".join(
    f"<p>Paragraph {n}: the central bank raised interest rates by a quarter point on "
    "Thursday, saying inflation in services had not eased as quickly as it hoped.</p>"
    for n in range(1, 7)
)


def page(content: bytes) -> Page:
    return Page(
        source="desk",
        url="https://news.example/economy/rates",
        content=content,
        fetched_at=datetime(2026, 11, 28, tzinfo=UTC),
        content_type="text/html; charset=utf-8",
    )


def test_a_prepared_article_is_the_extracted_one_labelled_with_its_story_print(
    tmp_path: Path,
) -> None:
    settings = load_settings(warehouse=tmp_path / "w.duckdb", data_dir=tmp_path)
    taxonomy = load_taxonomy(settings.taxonomy)
    preparer = Preparer(taxonomy, num_perm=128, shingle_words=3)
    html = f"<html><body><article><h1>Rates rise</h1>{STORY}</article></body></html>".encode()
    # The pool's workers get the preparer pickled, so test what they get.
    prepared = pickle.loads(pickle.dumps(preparer))(page(html))

    assert isinstance(prepared, Prepared)
    plain = extract(page(html))
    assert isinstance(plain, Article)
    labels = rule_labels(taxonomy, plain)
    assert labels, "the invented story should match a topic of the shipped taxonomy"
    assert prepared.article.topics == labels
    assert prepared.article.body == plain.body
    assert prepared.story.text_hash == text_hash(plain.body)
    signature = StoryIndex(threshold=0.5, num_perm=128, shingle_words=3).signature(plain.body)
    assert prepared.story.hashvalues.dtype == signature.hashvalues.dtype == np.uint32
    assert np.array_equal(prepared.story.hashvalues, signature.hashvalues)


def test_a_page_without_text_stays_a_failure(tmp_path: Path) -> None:
    settings = load_settings(warehouse=tmp_path / "w.duckdb", data_dir=tmp_path)
    preparer = Preparer(load_taxonomy(settings.taxonomy), num_perm=128, shingle_words=3)
    outcome = preparer(page(b"<html><body></body></html>"))
    assert isinstance(outcome, Failure)
    assert (outcome.stage, outcome.reason) == ("extract", "no_text")


def test_the_classify_stage_keeps_the_workers_labels_and_labels_the_rest(tmp_path: Path) -> None:
    settings = load_settings(warehouse=tmp_path / "w.duckdb", data_dir=tmp_path)
    taxonomy = load_taxonomy(settings.taxonomy)
    html = f"<html><body><article><h1>Rates rise</h1>{STORY}</article></body></html>".encode()
    plain = extract(page(html))
    assert isinstance(plain, Article)
    marked = TopicLabel("made-in-the-worker", 1.0)
    prepared = Prepared(
        replace(plain, topics=[marked]), StoryPrint.of(plain.body, num_perm=128, shingle_words=3)
    )

    kept, labelled = classify_batch.fn([prepared, plain], taxonomy, "test")

    assert kept.topics == [marked]  # not labelled again in the main process
    assert labelled.topics == rule_labels(taxonomy, plain) != []
