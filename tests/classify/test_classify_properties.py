"""The engine against a slow, obviously-correct reference evaluator, on random queries and texts.

The reference tokenises with a regex and folds with NFKD, then checks every
operator by brute force over token lists; it shares only the parser with the
engine (the parser has its own tests).
"""

from __future__ import annotations

import json
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.classify import Document, parse_taxonomy
from transforms.query import And, Match, Near, Node, Not, Word, fold, parse_query

VOCABULARY = [
    "tiktok", "TikTok", "china", "China", "data", "Data", "database", "user",
    "résumé", "RÉSUMÉ", "resume", "regulator", "Régulation", "deregulation", "ban",
]  # fmt: skip
PREFIXES = ["regul*", "tik*", "dat*", "résum*", "RÉGUL*"]
SEPARATORS = [" ", " ", " ", ", ", ". ", "\n", " - ", "'s ", "  "]
TOKEN = re.compile(r"[^\W_]+")


def ref_fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def ref_tokens(text: str) -> list[str]:
    return [ref_fold(match.group()) for match in TOKEN.finditer(text)]


def word_at(word: Word, token: str) -> bool:
    return token.startswith(word.text) if word.prefix else token == word.text


def spans(match: Match, tokens: list[str]) -> list[tuple[int, int]]:
    """Token spans where the words of an exact phrase (or one word) occur in a row."""
    size = len(match.words)
    return [
        (i, i + size - 1)
        for i in range(len(tokens) - size + 1)
        if all(word_at(w, tokens[i + k]) for k, w in enumerate(match.words))
    ]


def window(match: Match, tokens: list[str]) -> bool:
    width = len(match.words) + (match.slop or 0)
    return any(
        all(any(word_at(w, t) for t in tokens[start : start + width]) for w in match.words)
        for start in range(len(tokens))
    )


def reference(node: Node, fields: dict[str, list[str]]) -> bool:
    if isinstance(node, Match):
        if node.slop is not None:
            return any(window(node, fields[f]) for f in node.fields)
        return any(spans(node, fields[f]) for f in node.fields)
    if isinstance(node, Near):
        for name, tokens in fields.items():
            left = [s for m in node.left if name in m.fields for s in spans(m, tokens)]
            right = [s for m in node.right if name in m.fields for s in spans(m, tokens)]
            if any(max(b[0] - a[1], a[0] - b[1]) - 1 <= node.distance for a in left for b in right):
                return True
        return False
    if isinstance(node, Not):
        return not reference(node.child, fields)
    results = [reference(child, fields) for child in node.children]
    return all(results) if isinstance(node, And) else any(results)


words = st.sampled_from(VOCABULARY)
texts = st.lists(st.tuples(words, st.sampled_from(SEPARATORS)), max_size=14).map(
    lambda pairs: "".join(word + separator for word, separator in pairs)
)
terms = st.one_of(words, st.sampled_from(PREFIXES))
phrases = st.lists(terms, min_size=2, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"')
slop_phrases = st.tuples(phrases, st.integers(0, 3)).map(lambda p: f"{p[0]}~{p[1]}")
scopes = st.sampled_from(["", "", "title:", "body:"])
operands = st.one_of(terms, phrases)
alternatives = st.one_of(
    operands, st.lists(operands, min_size=2, max_size=3).map(lambda a: f"({' OR '.join(a)})")
)
nears = st.tuples(alternatives, st.integers(0, 3), alternatives).map(
    lambda n: f"{n[0]} NEAR/{n[1]} {n[2]}"
)
leaves = st.tuples(scopes, st.one_of(terms, phrases, slop_phrases, nears)).map(
    lambda s: f"{s[0]}({s[1]})" if s[0] else s[1]
)
queries = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" AND ", " OR ", " ", " AND NOT "]), inner).map(
            lambda t: f"({t[0]}{t[1]}{t[2]})"
        ),
        inner.map(lambda q: f"NOT {q}"),
    ),
    max_leaves=5,
)


def topic(name: str, query: str, children: str = "") -> str:
    text = f"- name: {name}\n  min_score: 0\n  query: {json.dumps(query)}\n"
    return text + (f"  children:\n{children}" if children else "")


def indent(text: str) -> str:
    return "".join("  " + line + "\n" for line in text.splitlines())


@settings(max_examples=400, deadline=None)
@given(query=queries, title=texts, body=texts)
def test_engine_agrees_with_reference(query: str, title: str, body: str) -> None:
    taxonomy = parse_taxonomy("topics:\n" + topic("t", query), origin="property")
    doc = Document(title, body)
    found = taxonomy.classify(doc)
    expected = reference(parse_query(query), {"title": ref_tokens(title), "body": ref_tokens(body)})
    assert bool(found) is expected
    for label in found:
        for evidence in label.evidence:
            text = doc.field(evidence.field)[evidence.start : evidence.end]
            assert fold(text) == fold(text).strip() and text
            term = parse_query(evidence.term)
            assert isinstance(term, Match)
            assert spans(term, ref_tokens(text)) == [(0, len(term.words) - 1)]


@settings(max_examples=200, deadline=None)
@given(q1=queries, q2=queries, q3=queries, title=texts, body=texts)
def test_hierarchy_and_shared_atoms_agree_with_reference(
    q1: str, q2: str, q3: str, title: str, body: str
) -> None:
    text = "topics:\n" + topic("a", q1, indent(topic("b", q2))) + topic("c", q3)
    taxonomy = parse_taxonomy(text, origin="p")
    found = {label.label for label in taxonomy.classify(Document(title, body))}
    fields = {"title": ref_tokens(title), "body": ref_tokens(body)}
    r1, r2, r3 = (reference(parse_query(q), fields) for q in (q1, q2, q3))
    expected = {label for label, holds in [("a", r1), ("a/b", r1 and r2), ("c", r3)] if holds}
    assert found == expected


few_words = st.sampled_from(["tiktok", "China", "data", "Résumé", "other"])
dense_texts = st.lists(st.tuples(few_words, st.sampled_from(SEPARATORS)), max_size=12).map(
    lambda pairs: "".join(word + separator for word, separator in pairs)
)
few_terms = st.one_of(few_words, st.just("dat*"))
few_phrases = st.lists(few_terms, min_size=2, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"')
few_operands = st.one_of(few_terms, few_terms, few_phrases)
positional = st.one_of(
    st.tuples(few_phrases, st.integers(0, 4)).map(lambda p: f"{p[0]}~{p[1]}"),
    st.tuples(few_operands, st.integers(0, 4), few_operands).map(
        lambda n: f"{n[0]} NEAR/{n[1]} {n[2]}"
    ),
    st.tuples(few_operands, few_operands, st.integers(0, 3), few_operands).map(
        lambda n: f"({n[0]} OR {n[1]}) NEAR/{n[2]} {n[3]}"
    ),
)


@settings(max_examples=600, deadline=None)
@given(query=positional, body=dense_texts)
def test_positional_operators_agree_with_reference(query: str, body: str) -> None:
    """Dense texts over five words, so distance boundaries are hit often."""
    taxonomy = parse_taxonomy("topics:\n" + topic("t", query), origin="property")
    expected = reference(parse_query(query), {"title": [], "body": ref_tokens(body)})
    assert bool(taxonomy.classify(Document("", body))) is expected
