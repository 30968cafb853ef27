"""The golden corpus: extraction and labelling quality on the demo site, with pinned floors.

Each demo article has hand-written expectations (tests/golden/expectations.yaml):
metadata, sentences the body must keep, boilerplate it must drop, labels it
must and must not get. Scores are measured over the whole corpus and compared
with the floors in floors.yaml, so a change to extraction or to the taxonomy
that lowers quality fails CI, while an improvement only needs the floor raised.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from mediawatch.demo import render
from mediawatch.settings import load_settings
from schemas.records import Article, Page
from transforms.classify import Document, load_taxonomy
from transforms.extract import extract

HERE = Path(__file__).parent
BASE = "http://127.0.0.1:8765"
EXPECTATIONS = yaml.safe_load((HERE / "expectations.yaml").read_text(encoding="utf-8"))["articles"]
FLOORS = yaml.safe_load((HERE / "floors.yaml").read_text(encoding="utf-8"))


def _extract(entry: dict) -> Article:
    url = f"{BASE}/{entry['path']}"
    outcome = extract(
        Page(
            source="demo",
            url=url,
            content=render(entry["path"], BASE),
            fetched_at=datetime(2026, 11, 25, tzinfo=UTC),
            content_type="text/html",
        )
    )
    assert isinstance(outcome, Article), outcome
    return outcome


@pytest.fixture(scope="module")
def extracted() -> list[tuple[dict, Article]]:
    return [(entry, _extract(entry)) for entry in EXPECTATIONS]


@pytest.fixture(scope="module")
def labelled(extracted) -> list[tuple[dict, set[str]]]:
    taxonomy = load_taxonomy(load_settings().taxonomy)
    return [
        (
            entry,
            {
                t.label
                for t in taxonomy.classify(
                    Document(
                        article.title or "",
                        article.body,
                        article.url,
                        "demo",
                        article.language or "",
                    )
                )
            },
        )
        for entry, article in extracted
    ]


def _share(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def test_corpus_is_the_demo_site() -> None:
    assert len(EXPECTATIONS) >= 30
    assert len({e["path"] for e in EXPECTATIONS}) == len(EXPECTATIONS)


def test_metadata_floors(extracted) -> None:
    scores = {}
    for field, expected_key, read in [
        ("title", "title", lambda a: a.title),
        ("author", "author", lambda a: a.author),
        ("published", "published", lambda a: a.published_at and a.published_at.date().isoformat()),
        ("sitename", "sitename", lambda a: a.sitename),
        ("language", "language", lambda a: a.language),
    ]:
        hits = sum(1 for e, a in extracted if str(read(a)) == str(e[expected_key]))
        scores[field] = _share(hits, len(extracted))
    for field, score in scores.items():
        assert score >= FLOORS["metadata"][field], (field, score, scores)


def _body_score(extracted, key: str, *, present: bool) -> tuple[float, list[tuple[str, str]]]:
    """Share of the `key` strings whose presence in the body is as wanted, and the misses."""
    checks = [
        (e["path"], text) for e, a in extracted for text in e[key] if (text in a.body) != present
    ]
    total = sum(len(e[key]) for e, _ in extracted)
    return _share(total - len(checks), total), [(path, text[:60]) for path, text in checks]


def test_body_keeps_the_article(extracted) -> None:
    score, missing = _body_score(extracted, "must_contain", present=True)
    assert score >= FLOORS["body"]["recall"], missing


def test_body_drops_the_boilerplate(extracted) -> None:
    score, leaked = _body_score(extracted, "must_not_contain", present=False)
    assert score >= FLOORS["body"]["boilerplate_removed"], leaked


def test_label_floors(labelled) -> None:
    expected = found = correct = 0
    wrong = []
    for entry, labels in labelled:
        wanted = set(entry.get("labels_include") or [])
        expected += len(wanted)
        found += len(wanted & labels)
        forbidden = set(entry.get("labels_exclude") or []) & labels
        if forbidden:
            wrong.append((entry["path"], sorted(forbidden)))
        else:
            correct += 1
    assert _share(found, expected) >= FLOORS["labels"]["recall"]
    assert _share(correct, len(labelled)) >= FLOORS["labels"]["no_forbidden_label"], wrong


def test_the_tiktok_story_and_only_it_is_china_data(labelled) -> None:
    target = "geopolitics/TikTok/China data"
    carriers = [entry["path"] for entry, labels in labelled if target in labels]
    expected = [e["path"] for e in EXPECTATIONS if target in (e.get("labels_include") or [])]
    assert len(expected) == 1
    assert carriers == expected
    (labels,) = [labels for entry, labels in labelled if entry["path"] == expected[0]]
    assert {"geopolitics", "geopolitics/TikTok", target} <= labels
