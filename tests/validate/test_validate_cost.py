"""What a validation call costs GX, counted in work done (never timed): configurations built."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from great_expectations.expectations.expectation import Expectation

from schemas.records import Article, TopicLabel
from transforms import validate
from transforms.validate import validate_articles

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # a day after `make_article` fetched


@pytest.mark.parametrize("failing", [False, True], ids=["clean", "one-failing-row"])
def test_each_expectation_builds_its_configuration_a_few_times_per_call(
    monkeypatch: pytest.MonkeyPatch, make_article: Callable[..., Article], failing: bool
) -> None:
    """GX rebuilds an expectation's configuration on every read; the gate keeps the first
    build per expectation object, so a batch validates with a few builds per expectation
    instead of a hundred, and GX's own property is back after the call."""
    articles = [
        make_article(article_id=f"{n:016x}", topics=[TopicLabel("politics", 0.9)])
        for n in range(20)
    ]
    if failing:
        articles[3].body = "short"
    kwargs = {"known_labels": frozenset({"politics"}), "now": NOW, "min_body_chars": 50}
    validate_articles(articles, **kwargs)  # GX's context and imports, once
    original = Expectation.configuration
    builds: Counter[str] = Counter()

    def counted(expectation: Expectation) -> object:
        built = original.fget(expectation)
        builds[built.meta["name"] if built.meta else built.type] += 1
        return built

    counting = property(counted)
    monkeypatch.setattr(Expectation, "configuration", counting)
    report = validate_articles(articles, **kwargs)
    assert Expectation.configuration is counting
    assert len(report.quarantined) == int(failing)
    spec = json.loads(validate.SUITE_PATH.read_text(encoding="utf-8"))
    names = {entry["meta"]["name"] for suite in spec.values() for entry in suite["expectations"]}
    assert set(builds) <= names
    # Once per GX object made of it (the suite's, the copies for dependencies and metrics,
    # a failing one's second pass): 11, or 26 for one run twice, where every read built
    # one: 122 per call.
    assert max(builds.values()) <= 40, builds
