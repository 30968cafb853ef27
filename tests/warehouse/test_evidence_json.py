"""article_topics.evidence: the text written span by span is the text json.dumps made of it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mediawatch import warehouse
from mediawatch.warehouse import evidence_json
from schemas.records import Evidence, TopicLabel

AWKWARD = [
    'plain "quoted" text, a back\\slash and a / slash',
    "naïve café, Größe, 東京, emoji 🗞️, line\nbreak, tab\t, bell\x07, nul\x00",
    "separators\u2028\u2029 and a lone surrogate \ud800",
    "",
]


def _dumps(label: TopicLabel) -> str:
    """What the warehouse stored before: json.dumps of a sorted dict per span."""
    spans = [
        {"term": e.term, "field": e.field, "start": e.start, "end": e.end, "snippet": e.snippet}
        for e in label.evidence
    ]
    return json.dumps(spans, ensure_ascii=False, default=str, sort_keys=True)


@pytest.mark.parametrize("text", AWKWARD)
def test_written_text_equals_json_dumps_and_reads_back(text: str) -> None:
    label = TopicLabel(
        "economy",
        0.5,
        [Evidence(text, "body", 0, 12, text), Evidence("tarif*", text, 10**12, 10**12 + 1, "x")],
    )
    written = evidence_json(label)
    assert written == _dumps(label)
    assert json.loads(written)[1] == {
        "end": 10**12 + 1,
        "field": text,
        "snippet": "x",
        "start": 10**12,
        "term": "tarif*",
    }


def test_no_evidence_is_an_empty_list() -> None:
    assert evidence_json(TopicLabel("economy", 0.5)) == "[]" == _dumps(TopicLabel("economy", 0.5))


def test_spans_of_other_types_are_written_as_json_dumps_writes_them() -> None:
    """A numpy position, a bool or a missing snippet go through json.dumps with `default=str`."""
    label = TopicLabel(
        "economy",
        0.5,
        [
            Evidence("a", "body", np.int64(3), 4, "s"),  # type: ignore[arg-type]
            Evidence("b", "title", True, 2, None),  # type: ignore[arg-type]
            Evidence("c", "body", 1, 2, "plain"),
        ],
    )
    assert evidence_json(label) == _dumps(label)
    assert json.loads(evidence_json(label))[0]["start"] == "3"  # default=str, as before


def test_plain_spans_skip_json_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spans of the declared types are written without a json.dumps call per label or span."""
    calls: list[object] = []

    def counted(value: object) -> str:
        calls.append(value)
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)

    monkeypatch.setattr(warehouse, "_json", counted)
    label = TopicLabel("economy", 0.5, [Evidence("t", "body", i, i + 1, "s") for i in range(5)])
    assert evidence_json(label) == _dumps(label)
    assert calls == []
