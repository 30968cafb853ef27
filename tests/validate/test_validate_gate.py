"""The validation gate splits a batch into valid and quarantined articles, row by row."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from schemas.records import Article, TopicLabel
from transforms import validate
from transforms.validate import ValidationReport, validate_articles

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MIN_BODY_CHARS = 50
KNOWN_LABELS = frozenset({"economy", "economy/energy", "politics"})
FILE_ID = "file:" + "0123456789abcdef" * 4

Gate = Callable[..., ValidationReport]


def clean_article(n: int = 0, **changes: Any) -> Article:
    """An article that passes every expectation, with `changes` applied on top."""
    article = Article(
        article_id=f"{n:016x}",
        url=f"https://news.example.com/story/{n}?utm_source=feed",
        canonical_url=f"https://news.example.com/story/{n}",
        source="example",
        title=f"Story {n}",
        body="w" * MIN_BODY_CHARS,
        content_hash=f"{n:064x}",
        word_count=1,
        fetched_at=NOW,
        published_at=NOW - timedelta(hours=3),
        language="en",
        topics=[TopicLabel("economy/energy", 0.9)],
    )
    return replace(article, **changes)


@pytest.fixture(scope="session")
def gate() -> Gate:
    """`validate_articles` with the test runtime values, called once so GX starts once."""
    validate = partial(
        validate_articles, known_labels=KNOWN_LABELS, now=NOW, min_body_chars=MIN_BODY_CHARS
    )
    validate([clean_article()])
    return validate


def test_clean_batch_passes_whole(gate: Gate) -> None:
    batch = [clean_article(n) for n in range(3)]

    report = gate(batch)

    assert report.valid == batch
    assert report.quarantined == []
    assert report.quarantined_share == 0.0
    assert all(outcome.success for outcome in report.outcomes)
    assert {o.element_count for o in report.outcomes if o.column != "label"} == {3}


@pytest.mark.parametrize(
    ("changes", "name", "values"),
    [
        ({"article_id": None}, "article_id_present", {"article_id": None}),
        ({"url": None}, "url_present", {"url": None}),
        ({"canonical_url": None}, "canonical_url_present", {"canonical_url": None}),
        ({"source": None}, "source_present", {"source": None}),
        ({"body": None}, "body_present", {"body": None}),
        ({"content_hash": None}, "content_hash_present", {"content_hash": None}),
        ({"fetched_at": None}, "fetched_at_present", {"fetched_at": None}),
        ({"word_count": None}, "word_count_present", {"word_count": None}),
        (
            {"url": "ftp://news.example.com/a"},
            "url_well_formed",
            {"url": "ftp://news.example.com/a"},
        ),
        ({"url": "https://ex.com/a b"}, "url_well_formed", {"url": "https://ex.com/a b"}),
        ({"url": "news.example.com/a"}, "url_well_formed", {"url": "news.example.com/a"}),
        ({"canonical_url": "https://"}, "canonical_url_well_formed", {"canonical_url": "https://"}),
        (
            {"canonical_url": FILE_ID[:-1]},
            "canonical_url_well_formed",
            {"canonical_url": FILE_ID[:-1]},
        ),
        ({"body": "w" * 49}, "body_long_enough", {"body": "w" * 49}),
        ({"title": "t" * 1001}, "title_not_too_long", {"title": "t" * 1001}),
        (
            {"published_at": datetime(1989, 12, 31, tzinfo=UTC)},
            "published_at_plausible",
            {"published_at": datetime(1989, 12, 31, tzinfo=UTC)},
        ),
        ({"language": "EN"}, "language_iso_639_1", {"language": "EN"}),
        ({"language": "eng"}, "language_iso_639_1", {"language": "eng"}),
        ({"word_count": 0}, "word_count_positive", {"word_count": 0}),
        (
            {"topics": [TopicLabel("economy", 0.5), TopicLabel("sport", 0.5)]},
            "topic_label_known",
            {"topics": ["sport"]},
        ),
    ],
)
def test_each_expectation_quarantines_exactly_the_failing_row(
    gate: Gate, changes: dict[str, Any], name: str, values: dict[str, object]
) -> None:
    bad = clean_article(1, **changes)
    batch = [clean_article(0), bad, clean_article(2)]

    report = gate(batch)

    assert report.valid == [batch[0], batch[2]]
    assert [(q.article, q.failed_expectations, q.values) for q in report.quarantined] == [
        (bad, [name], values)
    ]
    failed = [o.name for o in report.outcomes if not o.success]
    assert failed == [name]


@pytest.mark.parametrize(
    "changes",
    [
        {"body": "w" * MIN_BODY_CHARS},
        {"title": "t" * 1000},
        {"title": None},
        {"published_at": None},
        {"published_at": datetime(1990, 1, 1, tzinfo=UTC)},
        {"language": None},
        {"topics": []},
        {"url": "http://EXAMPLE.com", "canonical_url": "http://example.com/"},
        {"url": FILE_ID, "canonical_url": FILE_ID},
    ],
)
def test_boundary_and_optional_values_pass(gate: Gate, changes: dict[str, Any]) -> None:
    article = clean_article(1, **changes)

    assert gate([article]).valid == [article]


def test_mixed_batch_lists_every_failure_in_suite_order(gate: Gate) -> None:
    batch = [
        clean_article(0),
        clean_article(1, language="english", word_count=0, body="short"),
        clean_article(2),
        clean_article(3, topics=[TopicLabel("sport", 1.0), TopicLabel("weather", 0.2)]),
    ]

    report = gate(batch)

    assert report.valid == [batch[0], batch[2]]
    assert [(q.article, q.failed_expectations, q.values) for q in report.quarantined] == [
        (
            batch[1],
            ["body_long_enough", "language_iso_639_1", "word_count_positive"],
            {"body": "short", "language": "english", "word_count": 0},
        ),
        (batch[3], ["topic_label_known"], {"topics": ["sport", "weather"]}),
    ]
    assert report.quarantined_share == 0.5
    labels = next(o for o in report.outcomes if o.name == "topic_label_known")
    assert (labels.column, labels.element_count, labels.unexpected_count) == ("label", 5, 2)


def test_every_failing_row_is_named_beyond_the_first_pass_sample(gate: Gate) -> None:
    """The cheap first pass samples 20 offending values; the second names all of them."""
    batch = [clean_article(n, body="short" if n % 2 else "w" * MIN_BODY_CHARS) for n in range(60)]

    report = gate(batch)

    assert [q.article for q in report.quarantined] == batch[1::2]
    assert report.valid == batch[::2]
    (failed,) = [
        result for suite in report.results for result in suite.results if not result.success
    ]
    assert len(failed.result["unexpected_index_list"]) == 30
    passed = [result for suite in report.results for result in suite.results if result.success]
    assert len(passed) == 16
    assert all(result.result["element_count"] == 60 for result in passed)


def test_duplicate_ids_keep_the_first_and_quarantine_the_repeats(gate: Gate) -> None:
    first = clean_article(7)
    batch = [
        first,
        clean_article(1),
        replace(first, title="again"),
        replace(first, title="and again"),
    ]

    report = gate(batch)

    assert report.valid == batch[:2]
    assert [(q.article, q.failed_expectations, q.values) for q in report.quarantined] == [
        (batch[2], ["article_id_unique"], {"article_id": first.article_id}),
        (batch[3], ["article_id_unique"], {"article_id": first.article_id}),
    ]
    unique = next(o for o in report.outcomes if o.name == "article_id_unique")
    assert (unique.success, unique.unexpected_count) == (False, 3)


def test_a_repeat_is_quarantined_even_when_the_first_copy_fails_too(gate: Gate) -> None:
    first = clean_article(7, body="short")
    batch = [first, replace(first, body="w" * MIN_BODY_CHARS)]

    report = gate(batch)

    assert report.valid == []
    assert [q.failed_expectations for q in report.quarantined] == [
        ["body_long_enough"],
        ["article_id_unique"],
    ]


@pytest.mark.parametrize(
    ("published_at", "valid"),
    [
        (NOW + timedelta(days=2), False),
        (NOW + timedelta(hours=1), True),
        (NOW + timedelta(hours=23), True),
        # the same instants, written in other zones or naive (taken as UTC)
        ((NOW + timedelta(days=2)).astimezone(timezone(timedelta(hours=-8))), False),
        ((NOW + timedelta(hours=23)).astimezone(timezone(timedelta(hours=9))), True),
        ((NOW + timedelta(hours=25)).astimezone(timezone(timedelta(hours=-5))), False),
        ((NOW + timedelta(hours=1)).replace(tzinfo=None), True),
        ((NOW + timedelta(days=2)).replace(tzinfo=None), False),
    ],
)
def test_published_at_is_compared_as_an_instant(
    gate: Gate, published_at: datetime, valid: bool
) -> None:
    article = clean_article(1, published_at=published_at)

    report = gate([article])

    assert (report.valid == [article]) is valid
    if not valid:
        assert report.quarantined[0].values == {"published_at": published_at}


def test_naive_and_other_zone_now_mean_the_same_instant(gate: Gate) -> None:
    article = clean_article(1, published_at=NOW + timedelta(hours=25))
    shifted = NOW.astimezone(timezone(timedelta(hours=5, minutes=30)))

    for now in (NOW, NOW.replace(tzinfo=None), shifted):
        report = gate([article], now=now)
        assert [q.failed_expectations for q in report.quarantined] == [["published_at_plausible"]]


def test_runtime_values_reach_the_suite(gate: Gate) -> None:
    article = clean_article(1, body="w" * 10, topics=[TopicLabel("sport", 1.0)])

    assert gate([article]).valid == []
    report = gate([article], min_body_chars=10, known_labels=frozenset({"sport"}))
    assert report.valid == [article]


def test_empty_batch_does_not_touch_gx_or_the_suite() -> None:
    report = validate_articles(
        [], known_labels=KNOWN_LABELS, now=NOW, min_body_chars=1, suite_path=Path("/missing.json")
    )

    assert report == ValidationReport(valid=[], quarantined=[], outcomes=[])
    assert report.quarantined_share == 0.0


def test_a_batch_arriving_during_the_warm_up_waits_for_its_gx_context() -> None:
    """The warm-up thread and the first batch build one GX context, not two side by side."""
    validate._batch_definitions.cache_clear()
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: validate.prepare(), range(2))

    assert first is second
    assert validate._batch_definitions.cache_info().misses == 1


def test_validation_is_quiet(
    gate: Gate, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.WARNING)
    batch = [clean_article(0), clean_article(1, body=None, language="xx-yy")]

    assert len(gate(batch).quarantined) == 1
    assert caplog.records == []
    assert capsys.readouterr() == ("", "")


def test_another_suite_file_can_be_used(gate: Gate, suite_file: Callable[..., Path]) -> None:
    entry = {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "source", "value_set": ["wire"]},
        "meta": {"name": "source_is_wire"},
    }
    article = clean_article(1)

    report = gate([article], suite_path=suite_file([entry]))

    assert [(o.name, o.success) for o in report.outcomes] == [("source_is_wire", False)]
    assert report.quarantined[0].values == {"source": "example"}


def test_an_expectation_that_cannot_run_stops_the_gate(
    gate: Gate, suite_file: Callable[..., Path]
) -> None:
    entry = {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "no_such_column"},
        "meta": {"name": "broken"},
    }

    with pytest.raises(RuntimeError, match=r"broken failed without naming rows.*no_such_column"):
        gate([clean_article(1)], suite_path=suite_file([entry]))
