"""Shared fixture for the validation gate tests: write a suite file of one's own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SuiteFile = Callable[[list[dict[str, Any]]], Path]


@pytest.fixture
def suite_file(tmp_path: Path) -> SuiteFile:
    """Write a suite file whose `articles` suite holds the given expectations."""

    def write(articles: list[dict[str, Any]]) -> Path:
        path = tmp_path / "suite.json"
        spec = {
            "articles": {"name": "articles", "expectations": articles},
            "article_topics": {"name": "article_topics", "expectations": []},
        }
        path.write_text(json.dumps(spec), encoding="utf-8")
        return path

    return write
