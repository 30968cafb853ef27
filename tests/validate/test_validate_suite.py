"""The expectation suite is data: it loads whole, and every expectation has a stable name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from great_expectations.exceptions import ExpectationNotFoundError

from transforms.validate import SUITE_PATH, load_suites

NAMES = {
    "articles": [
        "article_id_present",
        "url_present",
        "canonical_url_present",
        "source_present",
        "body_present",
        "content_hash_present",
        "fetched_at_present",
        "word_count_present",
        "article_id_unique",
        "url_well_formed",
        "canonical_url_well_formed",
        "body_long_enough",
        "title_not_too_long",
        "published_at_plausible",
        "language_iso_639_1",
        "word_count_positive",
    ],
    "article_topics": ["topic_label_known"],
}


def test_the_shipped_suite_names_every_expectation() -> None:
    spec = json.loads(SUITE_PATH.read_text(encoding="utf-8"))

    names = {table: [e["meta"]["name"] for e in spec[table]["expectations"]] for table in spec}

    assert names == NAMES


def test_the_shipped_suite_loads_without_dropping_an_expectation() -> None:
    suites = load_suites(SUITE_PATH)

    loaded = {
        table: [e.meta["name"] for e in suite.expectations] for table, suite in suites.items()
    }
    assert loaded == NAMES


def test_runtime_values_are_suite_parameters() -> None:
    text = SUITE_PATH.read_text(encoding="utf-8")

    for parameter in (
        "min_body_chars",
        "earliest_published_at",
        "latest_published_at",
        "known_labels",
    ):
        assert json.dumps({"$PARAMETER": parameter}) in text


@pytest.mark.parametrize(
    "meta",
    [{}, {"name": ""}],
)
def test_an_unnamed_expectation_is_refused(
    suite_file: Callable[..., Path], meta: dict[str, str]
) -> None:
    entry = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "url"}}
    path = suite_file([entry | {"meta": meta}])

    with pytest.raises(ValueError, match="meta name"):
        load_suites(path)


def test_a_repeated_name_is_refused(suite_file: Callable[..., Path]) -> None:
    entry = {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "url"},
        "meta": {"name": "url_present"},
    }
    path = suite_file([entry, entry | {"kwargs": {"column": "body"}}])

    with pytest.raises(ValueError, match="unique meta name"):
        load_suites(path)


def test_a_missing_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"articles": {"name": "a", "expectations": []}}), encoding="utf-8")

    with pytest.raises(ValueError, match="article_topics"):
        load_suites(path)


def test_an_unknown_expectation_type_raises_instead_of_being_skipped(
    suite_file: Callable[..., Path],
) -> None:
    entry = {
        "type": "expect_column_values_to_be_nice",
        "kwargs": {"column": "url"},
        "meta": {"name": "url_nice"},
    }

    with pytest.raises(ExpectationNotFoundError):
        load_suites(suite_file([entry]))
