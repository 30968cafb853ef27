"""Bounded recursion: deep queries and topic trees raise TaxonomyError, not RecursionError."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mediawatch.cli import main
from mediawatch.errors import TaxonomyError
from transforms.classify import MAX_TOPIC_DEPTH, Document, parse_taxonomy


def nested_topics(levels: int) -> str:
    """A taxonomy of one chain of `levels` topics, t1/t2/..., each child of the one before."""
    lines = ["topics:"]
    for level in range(1, levels + 1):
        pad = "  " * (2 * level - 1)
        lines.append(f"{pad}- name: t{level}")
        lines.append(f"{pad}  query: word{level}")
        if level < levels:
            lines.append(f"{pad}  children:")
    return "\n".join(lines) + "\n"


def test_the_deepest_allowed_tree_compiles_and_labels_every_level() -> None:
    taxonomy = parse_taxonomy(nested_topics(MAX_TOPIC_DEPTH), origin="deep.yaml")
    body = " ".join(f"word{level}" for level in range(1, MAX_TOPIC_DEPTH + 1))
    labels = [label.label for label in taxonomy.classify(Document("", body))]
    assert len(labels) == MAX_TOPIC_DEPTH


def test_one_level_too_deep_names_the_path_and_the_limit() -> None:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(nested_topics(MAX_TOPIC_DEPTH + 1), origin="deep.yaml")
    path = "/".join(f"t{level}" for level in range(1, MAX_TOPIC_DEPTH + 1))
    assert str(caught.value) == (
        f"deep.yaml: topic '{path}': children: topics nested deeper than {MAX_TOPIC_DEPTH} levels"
    )


def test_a_thousand_levels_stop_before_the_yaml_composer_recurses() -> None:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(nested_topics(1000), origin="deep.yaml")
    message = str(caught.value)
    assert message.startswith("deep.yaml: line ")
    assert f"topics nested deeper than {MAX_TOPIC_DEPTH} levels (under 't1/t2/t3/" in message


@pytest.mark.parametrize("query", ["(" * 1000 + "a" + ")" * 1000, "NOT " * 1000 + "a"])
def test_a_thousand_deep_query_names_the_topic_and_the_limit(query: str) -> None:
    text = f"topics:\n  - name: deep\n    query: {json.dumps(query)}\n"
    with pytest.raises(TaxonomyError, match=r"^t\.yaml: topic 'deep': position \d+: .*at most 64"):
        parse_taxonomy(text, origin="t.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (nested_topics(1000), f"topics nested deeper than {MAX_TOPIC_DEPTH} levels"),
        (f"topics:\n  - name: deep\n    query: '{'(' * 1000}a{')' * 1000}'\n", "at most 64"),
        (f"topics:\n  - name: deep\n    query: '{'NOT ' * 1000}a'\n", "at most 64"),
        ("topics:\n  - name: grid\n    query: grid OR NEAR/x blackout\n", "position 14"),
    ],
)
def test_the_cli_prints_one_error_line_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, text: str, message: str
) -> None:
    taxonomy = tmp_path / "deep.yaml"
    taxonomy.write_text(text, encoding="utf-8")
    data = tmp_path / "labelled.jsonl"
    data.write_text('{"title": "a", "body": "b", "label": "grid"}\n', encoding="utf-8")
    argv = ["mediawatch", "taxonomy", "test", str(data), "-t", str(taxonomy)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert err.startswith(f"Error: {taxonomy}: ") and message in err, err
    assert len(err.splitlines()) == 1
