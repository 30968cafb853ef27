"""Precision rules: term weights, boosts, min_terms, min_density, veto, evidence cap, scheme ids."""

from __future__ import annotations

import pytest

from mediawatch.errors import TaxonomyError
from transforms.classify import MAX_EVIDENCE, Document, parse_taxonomy
from transforms.query import QuerySyntaxError, parse_query


def label_of(topic: str, title: str = "", body: str = ""):
    """The one label of a one-topic taxonomy (`topic` is its YAML body), or None."""
    taxonomy = parse_taxonomy(f"topics:\n  - name: t\n{topic}", origin="test")
    labels = taxonomy.classify(Document(title, body))
    return labels[0] if labels else None


def test_term_weight_multiplies_each_hit() -> None:
    # body lead 2 x weight 3 for ransomware, plus 2 x 1 for attack
    found = label_of("    query: ransomware^3 OR attack\n", body="ransomware attack")
    assert found.score == 2 * 3 + 2 * 1
    assert str(parse_query('"data breach"^2.5 OR x')) == '("data breach"^2.5 OR x)'


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("a^", 3, "expected a weight after '^'"),
        ("a^0", 3, "above 0"),
        ("a^2x", 4, "after the weight"),
    ],
)
def test_bad_weights_name_the_position(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert message in str(caught.value)


def test_title_and_lead_boosts_replace_the_default_weights() -> None:
    rule = "    query: grid\n    title_boost: 10\n    lead_boost: 0.5\n"
    assert label_of(rule, title="grid", body="grid").score == 10 + 0.5


def test_min_terms_counts_distinct_terms() -> None:
    rule = "    query: grid OR blackout OR outage\n    min_terms: 2\n"
    assert label_of(rule, body="grid grid grid") is None
    assert label_of(rule, body="grid and blackout").score == 4


def test_min_density_is_hits_per_hundred_words_of_title_and_body() -> None:
    rule = "    query: grid\n    min_density: 2\n"
    filler = " word" * 98
    assert label_of(rule, title="grid", body="grid" + filler) is not None  # 2 hits / 100 words
    assert label_of(rule, title="grid", body="x" + filler + " word") is None  # 1 / 101


def test_veto_cancels_the_label_whatever_the_score() -> None:
    rule = "    query: match^5\n    veto: '\"match report\" OR title:(wedding)'\n"
    assert label_of(rule, body="the match was won") is not None
    assert label_of(rule, body="a match report") is None
    assert label_of(rule, title="Wedding match", body="match") is None


def test_evidence_is_capped_but_the_score_counts_every_hit() -> None:
    found = label_of("    query: th*\n", body=" ".join(["the"] * (MAX_EVIDENCE + 50)))
    assert len(found.evidence) == MAX_EVIDENCE
    assert found.evidence_omitted == 50
    # 100 words start in the 400-character lead (weight 2), the other 150 after it (weight 1)
    assert found.score == 2 * 100 + (MAX_EVIDENCE + 50 - 100)


def test_scheme_id_and_method_travel_with_the_label() -> None:
    found = label_of("    query: grid\n    scheme_id: medtop:20000000\n", body="grid")
    assert (found.scheme_id, found.method) == ("medtop:20000000", "rules")
    assert found.evidence_omitted == 0


def test_query_tree_shows_how_operators_bound_and_the_veto() -> None:
    taxonomy = parse_taxonomy(
        "topics:\n  - name: g\n    children:\n      - name: t\n"
        "        query: a OR b AND NOT c\n        veto: x y\n",
        origin="test",
    )
    assert taxonomy.query_tree("g/t") == "(a OR (b AND NOT c))  VETO (x AND y)"
    assert taxonomy.query_tree("g") is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("    query: a\n    min_terms: 1.5\n", "'min_terms' must be a whole number >= 0"),
        ("    query: a\n    min_density: .nan\n", "'min_density' must be a number >= 0"),
        ("    query: a\n    min_score: .nan\n", "'min_score' must be a number >= 0"),
        ("    query: a\n    title_boost: -1\n", "'title_boost' must be a number >= 0"),
        ("    query: a\n    veto: ''\n", "'veto' must be non-empty text"),
        ("    query: a\n    veto: '(b'\n", "topic 't' (veto): position 3"),
        ("    veto: b\n    children: [{name: c, query: c}]\n", "'veto' needs a 'query'"),
    ],
)
def test_bad_rule_keys_name_topic_and_key(rule: str, message: str) -> None:
    with pytest.raises(TaxonomyError, match=r"^test: topic 't'") as caught:
        parse_taxonomy(f"topics:\n  - name: t\n{rule}", origin="test")
    assert message in str(caught.value)


def test_min_share_drops_a_label_far_behind_its_best_sibling() -> None:
    taxonomy = parse_taxonomy(
        "topics:\n"
        "  - name: sport\n    query: goal OR match\n    min_share: 0.5\n"
        "  - name: economy\n    query: shares OR profit\n    min_share: 0.5\n",
        origin="test",
    )

    def labels(title: str, body: str) -> list[str]:
        return [label.label for label in taxonomy.classify(Document(title, body))]

    # economy 3 + 2 = 5, sport 2: under half of 5, dropped
    assert labels("Shares", "profit and a goal") == ["economy"]
    # economy 3, sport 2: two thirds of the best, kept
    assert labels("Shares", "a goal") == ["economy", "sport"]


def test_a_topic_dropped_by_min_share_takes_its_children_with_it() -> None:
    taxonomy = parse_taxonomy(
        "topics:\n"
        "  - name: sport\n    query: goal OR match\n    min_share: 0.5\n"
        "    children:\n      - name: football\n        query: goal\n"
        "  - name: economy\n    query: shares OR profit\n    min_share: 0.5\n",
        origin="test",
    )
    found = [label.label for label in taxonomy.classify(Document("Shares", "profit and a goal"))]
    # sport (2) is under half of economy (5): neither it nor its child stays
    assert found == ["economy"]
    found = [label.label for label in taxonomy.classify(Document("Shares", "a goal"))]
    assert found == ["economy", "sport", "sport/football"]
