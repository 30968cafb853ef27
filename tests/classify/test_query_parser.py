"""The query parser: precedence, field scopes, word forms and error positions."""

from __future__ import annotations

import pytest

from mediawatch.errors import TaxonomyError
from transforms.query import Match, Near, QuerySyntaxError, Word, fold, parse_query


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("a OR b AND c", "(a OR (b AND c))"),
        ("a AND b OR c", "((a AND b) OR c)"),
        ("tiktok china", "(tiktok AND china)"),
        ("a b OR c d", "((a AND b) OR (c AND d))"),
        ("a AND NOT b", "(a AND NOT b)"),
        ("a NOT b", "(a AND NOT b)"),
        ("NOT a OR b", "(NOT a OR b)"),
        ("NOT (a OR b)", "NOT (a OR b)"),
        ("NOT NOT a", "NOT NOT a"),
        ("a NEAR/3 b c", "((a NEAR/3 b) AND c)"),
        ("NOT a NEAR/3 b", "NOT (a NEAR/3 b)"),
        ('(a OR "b c") NEAR/0 d', '((a OR "b c") NEAR/0 d)'),
        ("a OR (b OR c)", "(a OR b OR c)"),
        ("((a))", "a"),
    ],
)
def test_precedence(query: str, tree: str) -> None:
    assert str(parse_query(query)) == tree


def test_field_scope_applies_to_a_group_and_inner_scopes_override() -> None:
    tree = parse_query("title:(a OR body:b) c url:x.org")
    assert str(tree) == '((title:a OR body:b) AND c AND url:"x org")'


def test_unscoped_words_search_title_and_body() -> None:
    assert parse_query("a") == Match((Word("a"),), frozenset({"title", "body"}))


def test_field_names_are_case_insensitive() -> None:
    assert parse_query("Lang:fr") == Match((Word("fr"),), frozenset({"lang"}))


def test_word_forms() -> None:
    assert parse_query("Régulat*") == Match((Word("regulat", prefix=True),))
    assert parse_query("covid-19").words == (Word("covid"), Word("19"))
    assert parse_query('"data protect*"').words == (Word("data"), Word("protect", True))
    assert parse_query('"Tiktok  China"~10') == Match((Word("tiktok"), Word("china")), slop=10)


def test_lowercase_operators_are_words() -> None:
    assert str(parse_query("rock and roll")) == "(rock AND and AND roll)"


def test_near_operands_keep_their_alternatives() -> None:
    tree = parse_query('(tiktok OR bytedance) NEAR/10 "user data"')
    assert isinstance(tree, Near)
    assert [m.term for m in tree.left] == ["tiktok", "bytedance"]
    assert [m.term for m in tree.right] == ['"user data"']
    assert tree.distance == 10


def test_fold_is_length_preserving_and_accent_insensitive() -> None:
    text = "Résumé: İstanbul, STRAßE — Łódź’s ﬁle"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded.split() == ["resume", "istanbul", "straße", "lodz", "s", "ﬁle"]


@pytest.mark.parametrize(
    ("query", "position", "expected"),
    [
        ("(china OR beijing", 18, "expected ')', found end of query"),
        ("china OR", 9, "expected a word, phrase or '(', found end of query"),
        ("a )", 3, "expected an operator or the end of the query, found ')'"),
        ("OR a", 1, "expected a word, phrase or '(', found 'OR'"),
        ("()", 2, "found ')'"),
        ('"tiktok china', 14, "expected '\"' to close the phrase"),
        ('"tiktok china"~', 16, "expected a number after '~'"),
        ('"  "', 1, "expected words inside the quotes"),
        ("tiktok~2", 7, "'~N' is only allowed after a quoted phrase"),
        ("re*gulation", 3, "'*' is only allowed at the end of a word"),
        ("a*", 2, "expected 2 letters or digits before '*'"),
        ("-tiktok", 1, "write NOT to exclude"),
        ("a NEAR b", 7, "expected '/' and a distance after NEAR"),
        ("grid OR NEAR/x blackout", 14, "expected a number of words after 'NEAR/'"),
        ("grid NEAR/", 11, "expected a number of words after 'NEAR/'"),
        ("grid NEAR/5", 12, "expected a word, phrase or '(', found end of query"),
        ("(" * 65 + "a" + ")" * 65, 65, "at most 64 nested parentheses and NOTs"),
        ("NOT " * 65 + "a", 257, "at most 64 nested parentheses and NOTs"),
        ("a NEAR/3 b NEAR/2 c", 12, "NEAR cannot be chained"),
        ("(a AND b) NEAR/3 c", 1, "OR-group of them as operand of NEAR"),
        ('a NEAR/3 "b c"~2', 10, "operand of NEAR"),
        ("headline:x", 1, "expected a field name (title:, body:, url:, source:, lang:)"),
        ("title: NOT a", 8, "after 'title:', found 'NOT'"),
        ("&", 1, "expected a word with letters or digits"),
    ],
)
def test_syntax_errors_name_position_and_expectation(
    query: str, position: int, expected: str
) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"position {position}: ")


def test_syntax_error_is_a_taxonomy_error() -> None:
    with pytest.raises(TaxonomyError):
        parse_query("(")


@pytest.mark.parametrize("query", ["(" * 1000 + "a" + ")" * 1000, "NOT " * 1000 + "a"])
def test_a_thousand_levels_of_nesting_is_a_syntax_error_not_a_recursion_error(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="at most 64 nested"):
        parse_query(query)


def test_sixty_four_levels_of_nesting_still_parse() -> None:
    assert str(parse_query("(" * 64 + "a" + ")" * 64)) == "a"
    assert str(parse_query("NOT " * 64 + "a")) == "NOT " * 64 + "a"
