"""The classifier engine: operator semantics, hierarchy, scores, evidence and loading."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest

from mediawatch.errors import TaxonomyError
from transforms.classify import Document, load_taxonomy, parse_taxonomy
from transforms.query import fold


def one_topic(query: str, min_score: float = 0) -> str:
    return f"topics:\n  - name: t\n    min_score: {min_score}\n    query: {json.dumps(query)}\n"


def matches(query: str, body: str = "", title: str = "", **meta: str) -> bool:
    taxonomy = parse_taxonomy(one_topic(query), origin="test")
    return bool(taxonomy.classify(Document(title, body, **meta)))


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        ("data", "Data, again.", True),
        ("data", "a database leak", False),
        ("resume", "Her Résumé was long", True),
        ("résumé", "resume the talks", True),
        ("straße", "die Straße", True),
        ("regulat*", "the regulator spoke", True),
        ("regulat*", "new regulation", True),
        ("regulat*", "deregulation", False),
        ("china", "China's exports", True),
        ("covid-19", "Covid 19 cases", True),
        ('"user data"', "user, data", True),
        ('"user data"', "data user", False),
        ('"user data"', "user the data", False),
        ('"data protect*"', "data protection law", True),
        ("tiktok AND china", "tiktok and china", True),
        ("tiktok AND china", "tiktok only", False),
        ("tiktok china", "china tiktok", True),
        ("tiktok OR china", "only china", True),
        ("tiktok NOT dance", "tiktok dance", False),
        ("tiktok AND NOT dance", "tiktok news", True),
        ("NOT dance", "", True),
    ],
)
def test_word_and_boolean_semantics(query: str, body: str, expected: bool) -> None:
    assert matches(query, body) is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tiktok china", True),
        ("china tiktok", True),
        ("tiktok one two three china", True),
        ("tiktok one two three four china", False),
        ("china one two three tiktok", True),
        ("tiktok, one; two. three! china", True),
    ],
)
def test_near_counts_words_between_in_either_order(body: str, expected: bool) -> None:
    assert matches("tiktok NEAR/3 china", body) is expected


def test_near_with_phrases_and_alternatives() -> None:
    query = '(bytedance OR tiktok) NEAR/2 "user data"'
    assert matches(query, "ByteDance holds user data")
    assert matches(query, "user data held by TikTok")
    assert not matches(query, "ByteDance holds lots of the user data")


def test_near_measures_from_the_near_end_of_a_phrase() -> None:
    assert matches('tiktok NEAR/1 "intelligence law"', "intelligence law x tiktok")
    assert matches('"intelligence law" NEAR/1 tiktok', "tiktok x intelligence law")
    assert not matches('tiktok NEAR/1 "intelligence law"', "intelligence law x y tiktok")


def test_near_needs_both_sides_in_one_field() -> None:
    assert not matches("tiktok NEAR/5 china", title="tiktok", body="china")
    assert matches("tiktok NEAR/5 china", title="tiktok china", body="")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tiktok china", True),
        ("china tiktok", True),
        ("tiktok a b china", True),
        ("tiktok a b c china", False),
    ],
)
def test_phrase_with_slop_is_a_window(body: str, expected: bool) -> None:
    assert matches('"tiktok china"~2', body) is expected


def test_three_word_slop_needs_every_word() -> None:
    assert matches('"ban tiktok china"~1', "china may ban tiktok")
    assert not matches('"ban tiktok china"~1', "china may well ban tiktok")
    assert not matches('"ban tiktok china"~5', "china may ban it")


def test_field_scopes() -> None:
    assert matches("title:tiktok", title="TikTok news", body="")
    assert not matches("title:tiktok", title="News", body="tiktok")
    assert matches("body:tiktok", title="", body="tiktok")
    assert matches("url:sport", url="https://x.example/sport/a-b")
    assert not matches("sport", url="https://x.example/sport/a-b")
    assert matches('source:"le monde"', source="Le Monde")
    assert matches("lang:fr tiktok", body="tiktok", language="fr")
    assert not matches("lang:fr tiktok", body="tiktok", language="de")
    assert matches("title:(tiktok OR bytedance)", title="ByteDance results")


HIERARCHY = """
topics:
  - name: geo
    children:
      - name: TikTok
        query: tiktok
        children:
          - name: China data
            query: china
  - name: China
    query: china
"""


def labels(text: str, title: str = "", body: str = "") -> list[str]:
    return [
        label.label for label in parse_taxonomy(text, origin="t").classify(Document(title, body))
    ]


def test_a_child_matches_only_where_its_parent_does() -> None:
    assert labels(HIERARCHY, body="china") == ["China"]
    assert labels(HIERARCHY, body="tiktok china") == [
        "China",
        "geo",
        "geo/TikTok",
        "geo/TikTok/China data",
    ]
    assert labels(HIERARCHY, body="tiktok") == ["geo", "geo/TikTok"]


def test_grouping_node_takes_its_best_child() -> None:
    text = "topics:\n- name: g\n  children:\n  - {name: a, query: x}\n  - {name: b, query: y}\n"
    found = {t.label: t for t in parse_taxonomy(text, origin="t").classify(Document("y", "x"))}
    assert found["g"].score == found["g/b"].score == 3.0
    assert found["g"].evidence == found["g/b"].evidence


def test_score_weights_title_lead_and_rest_of_body() -> None:
    body = "tiktok " + "filler " * 80 + "tiktok"
    [label] = parse_taxonomy(one_topic("tiktok"), origin="t").classify(Document("TikTok", body))
    assert [e.field for e in label.evidence] == ["title", "body", "body"]
    assert label.score == 3 + 2 + 1


def test_min_score_filters() -> None:
    taxonomy = parse_taxonomy(one_topic("tiktok", min_score=3), origin="t")
    assert not taxonomy.classify(Document("", "tiktok"))
    assert not taxonomy.classify(Document("", "filler " * 80 + "tiktok tiktok"))
    assert taxonomy.classify(Document("", "tiktok " + "filler " * 80 + "tiktok"))
    assert taxonomy.classify(Document("TikTok", ""))


def test_pure_negation_has_no_evidence_so_default_min_score_drops_it() -> None:
    empty = Document("", "")
    assert parse_taxonomy(one_topic("NOT x", min_score=0), origin="t").classify(empty)
    assert not parse_taxonomy(one_topic("NOT x", min_score=1), origin="t").classify(empty)


def test_evidence_points_into_the_original_text() -> None:
    doc = Document(
        "RÉGULATION des données",
        "Le  régulateur\n a parlé des   DONNÉES personnelles. " + "x " * 100,
    )
    query = 'régulat* AND "données personnelles" AND (donnees NEAR/3 regulation)'
    [label] = parse_taxonomy(one_topic(query), origin="t").classify(doc)
    found = {(e.field, doc.field(e.field)[e.start : e.end]) for e in label.evidence}
    assert found == {
        ("title", "RÉGULATION"),
        ("title", "données"),
        ("body", "régulateur"),
        ("body", "DONNÉES personnelles"),
    }
    for evidence in label.evidence:
        assert fold(doc.field(evidence.field)[evidence.start : evidence.end]).startswith(
            evidence.term.strip('"*')
        )
        assert "\n" not in evidence.snippet and "  " not in evidence.snippet
    assert label.evidence[2].snippet.startswith("Le régulateur a parlé")


def test_evidence_only_from_the_branch_that_made_the_query_true() -> None:
    [label] = parse_taxonomy(one_topic("(a AND zz) OR b"), origin="t").classify(Document("", "a b"))
    assert [e.term for e in label.evidence] == ["b"]


def test_taxonomy_is_picklable_and_keeps_its_results() -> None:
    taxonomy = parse_taxonomy(HIERARCHY, origin="t")
    copy = pickle.loads(pickle.dumps(taxonomy))
    doc = Document("tiktok", "china")
    assert copy.version == taxonomy.version and copy.labels == taxonomy.labels
    assert copy.classify(doc) == taxonomy.classify(doc)


def test_load_taxonomy_versions_by_file_bytes(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(HIERARCHY, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.version == hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    assert taxonomy.labels == {"geo", "geo/TikTok", "geo/TikTok/China data", "China"}
    assert taxonomy.describe()[1] == ("geo/TikTok", "tiktok", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "topics:\n- name: geopolitics\n  children:\n  - name: China\n    query: (china OR x",
            "t: topic 'geopolitics/China': position 12: expected ')'",
        ),
        ("topics: [", "t is not valid YAML"),
        ("- a", "expected a mapping with one key, 'topics'"),
        ("topics: []", "t: topics: expected a non-empty list of topics"),
        ("topics:\n- name: a\n  querry: x", "topic 'a': unknown key 'querry'"),
        ("topics:\n- name: a", "topic 'a': needs a 'query' or 'children'"),
        ("topics:\n- name: a/b\n  query: x", "topic 1: 'name' must be text without '/'"),
        ("topics:\n- {name: a, query: x}\n- {name: a, query: y}", "the same name appears twice"),
        ("topics:\n- {name: a, query: ''}", "'query' must be non-empty text"),
        ("topics:\n- {name: a, query: x, min_score: -1}", "'min_score' must be a number >= 0"),
        (
            "topics:\n- {name: a, min_score: 2, children: [{name: b, query: x}]}",
            "'min_score' needs a 'query'",
        ),
        ("topics:\n- {name: a, children: []}", "topic 'a': children: expected a non-empty list"),
    ],
)
def test_taxonomy_errors_name_the_topic(text: str, message: str) -> None:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(text, origin="t")
    assert message in str(caught.value)


def test_load_taxonomy_reports_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        load_taxonomy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"topics: \xff")
    with pytest.raises(TaxonomyError, match="not UTF-8"):
        load_taxonomy(bad)
