"""The boolean query language of topic taxonomies: query text in, syntax tree out.

The syntax is the one users of media-monitoring tools already know:

    tiktok AND (china OR beijing)       operators are UPPERCASE; `and` is a word
    tiktok china                        adjacent operands mean AND (implicit AND)
    tiktok NOT dance, tiktok AND NOT x  exclusion
    "national intelligence law"         exact phrase (punctuation between words ignored)
    "tiktok china"~10                   all words within a window of (words + 10)
                                        consecutive words, in any order
    tiktok NEAR/10 (china OR beijing)   at most 10 words between the two, either order;
                                        operands are words, phrases or OR-groups of them
    regulat*                            trailing wildcard: regulator, regulation, ...
    title:tiktok  url:(sport OR music)  field scopes: title, body, url, source, lang;
                                        unscoped words search title and body
    ransomware^3  "data breach"^2.5     term weight: each hit of the term counts 3 (2.5)
                                        times in the label's score (default 1)

Binding, tightest first: field scope, NEAR/n, NOT, AND (explicit or implicit), OR.

Matching is on whole words, case- and accent-insensitive (`resume` matches
`Résumé`, `data` does not match `database`). A word is a run of letters or
digits; any other character separates words, so `covid-19` is the phrase
"covid 19" and `China's` contains the word `china`. Folding keeps one
character for one character (so offsets into folded text are offsets into the
original); characters that would need two (`ß`, `æ`) are kept as they are.
Text is expected in NFC (as extraction produces it): a separate combining
accent splits its word.
Two edge cases are by design: one occurrence may satisfy both sides of a NEAR,
and a word repeated inside a `"..."~N` phrase is not required twice.

Syntax errors raise `QuerySyntaxError` with a 1-based character position and
what was expected there. Parentheses and NOTs nest at most `MAX_DEPTH` levels
(the parser and the compiled query recurse once per level).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from mediawatch.errors import TaxonomyError

MAX_DEPTH = 64
FIELDS = ("title", "body", "url", "source", "lang")
DEFAULT_FIELDS = frozenset({"title", "body"})

_EXTRA_FOLDS = {"ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ı": "i"}


def _fold_char(char: str) -> str:
    """Fold one character to one: lowercase, no accent; non-word characters become a space."""
    if not char.isalnum():
        return " "
    if char in _EXTRA_FOLDS:
        return _EXTRA_FOLDS[char]
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    if len(base) == 1 and base.isalnum():
        return base
    lower = char.lower()
    return lower if len(lower) == 1 else char


class _FoldTable(dict[int, str]):
    """A `str.translate` table filled on first use of each code point."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_FOLD = _FoldTable()
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD)


def fold(text: str) -> str:
    """Fold `text` for matching, keeping its length: same offsets, one char per char.

    Lowercasing first and translating only the non-ASCII runs keeps the common
    case (mostly ASCII text) on CPython's fast ASCII translate path.
    """
    lowered = text.lower()
    if len(lowered) != len(text):
        return text.translate(_FOLD)
    if not lowered.isascii():
        lowered = _NON_ASCII_RUN.sub(_fold_run, lowered)
    return lowered.translate(_FOLD)


class QuerySyntaxError(TaxonomyError):
    """A query does not parse; `position` is 1-based, `expected` says what would."""

    def __init__(self, position: int, expected: str) -> None:
        super().__init__(f"position {position}: {expected}")
        self.position = position
        self.expected = expected


@dataclass(frozen=True, slots=True)
class Word:
    """One folded word; `prefix` means a trailing wildcard (`regulat*`)."""

    text: str
    prefix: bool = False

    def __str__(self) -> str:
        return self.text + "*" if self.prefix else self.text


@dataclass(frozen=True, slots=True)
class Match:
    """A word or phrase searched in `fields`; `slop` set means the `"..."~N` form.

    `weight` multiplies the score of each hit of the term (`term^2`).
    """

    words: tuple[Word, ...]
    fields: frozenset[str] = DEFAULT_FIELDS
    slop: int | None = None
    weight: float = 1.0

    @property
    def term(self) -> str:
        """The query text of this match without field scope, as shown in evidence."""
        text = " ".join(str(word) for word in self.words)
        if self.slop is not None:
            return f'"{text}"~{self.slop}'
        return f'"{text}"' if len(self.words) > 1 else text

    def __str__(self) -> str:
        weight = "" if self.weight == 1 else f"^{self.weight:g}"
        if self.fields == DEFAULT_FIELDS:
            return self.term + weight
        return "|".join(sorted(self.fields)) + ":" + self.term + weight


@dataclass(frozen=True, slots=True)
class Near:
    """Some occurrence of `left` and of `right` with at most `distance` words between."""

    left: tuple[Match, ...]
    right: tuple[Match, ...]
    distance: int

    def __str__(self) -> str:
        left, right = _alternatives_text(self.left), _alternatives_text(self.right)
        return f"({left} NEAR/{self.distance} {right})"


@dataclass(frozen=True, slots=True)
class Not:
    """True when `child` is false."""

    child: Node

    def __str__(self) -> str:
        return f"NOT {self.child}"


@dataclass(frozen=True, slots=True)
class And:
    """True when every child is."""

    children: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " AND ".join(str(child) for child in self.children) + ")"


@dataclass(frozen=True, slots=True)
class Or:
    """True when any child is."""

    children: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " OR ".join(str(child) for child in self.children) + ")"


Node = Match | Near | Not | And | Or


def _alternatives_text(matches: tuple[Match, ...]) -> str:
    if len(matches) == 1:
        return str(matches[0])
    return "(" + " OR ".join(str(match) for match in matches) + ")"


class _Token(NamedTuple):
    kind: str  # WORD, PHRASE, FIELD, AND, OR, NOT, NEAR, (, ), END
    text: str
    position: int  # 0-based
    number: int | None = None  # NEAR distance or phrase slop
    weight: float = 1.0  # term weight of a WORD or PHRASE (`^N`)


_KEYWORDS = {"AND", "OR", "NOT"}
_FIELD_PREFIX = re.compile(r"([A-Za-z]+):")
_NEAR = re.compile(r"NEAR(?:/(\d+))?")
_BARE = re.compile(r'[^\s()"]+')
_SLOP = re.compile(r"~(\d*)")
_WEIGHT = re.compile(r"\^(\d+(?:\.\d+)?)?")
MAX_WEIGHT = 100.0


def _read_weight(query: str, position: int) -> tuple[float, int]:
    """A `^N` term weight at `position` (or 1 when there is none) and the position after it."""
    caret = _WEIGHT.match(query, position)
    if caret is None:
        return 1.0, position
    if caret.group(1) is None:
        raise QuerySyntaxError(position + 2, "expected a weight after '^', as ^2 or ^0.5")
    weight = float(caret.group(1))
    if not 0 < weight <= MAX_WEIGHT:
        raise QuerySyntaxError(position + 2, f"expected a weight above 0, at most {MAX_WEIGHT:g}")
    return weight, caret.end()


def _tokenise(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(query):
        char = query[position]
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append(_Token(char, char, position))
            position += 1
        elif char == '"':
            position = _read_phrase(query, position, tokens)
        else:
            position = _read_bare(query, position, tokens)
    tokens.append(_Token("END", "", len(query)))
    return tokens


def _read_phrase(query: str, start: int, tokens: list[_Token]) -> int:
    close = query.find('"', start + 1)
    if close < 0:
        raise QuerySyntaxError(len(query) + 1, "expected '\"' to close the phrase")
    position = close + 1
    slop = None
    tilde = _SLOP.match(query, position)
    if tilde:
        if not tilde.group(1):
            raise QuerySyntaxError(position + 2, "expected a number after '~'")
        slop = int(tilde.group(1))
        position = tilde.end()
    weight, position = _read_weight(query, position)
    tokens.append(_Token("PHRASE", query[start + 1 : close], start, slop, weight))
    return position


def _read_bare(query: str, start: int, tokens: list[_Token]) -> int:
    text = _BARE.match(query, start).group()
    end = start + len(text)
    if text in _KEYWORDS:
        tokens.append(_Token(text, text, start))
        return end
    near = _NEAR.fullmatch(text)
    if text.startswith("NEAR/") and near is None:
        raise QuerySyntaxError(start + 6, "expected a number of words after 'NEAR/', as NEAR/5")
    if near:
        if near.group(1) is None:
            raise QuerySyntaxError(start + 5, "expected '/' and a distance after NEAR, as NEAR/5")
        tokens.append(_Token("NEAR", text, start, int(near.group(1))))
        return end
    scope = _FIELD_PREFIX.match(text)
    if scope:
        name = scope.group(1).lower()
        if name not in FIELDS:
            fields = ", ".join(f"{field}:" for field in FIELDS)
            raise QuerySyntaxError(start + 1, f"expected a field name ({fields}), found '{name}:'")
        tokens.append(_Token("FIELD", name, start))
        start += scope.end()
        text = text[scope.end() :]
        if not text:
            return end
    caret = text.find("^")
    weight = 1.0
    if caret >= 0:
        weight, after = _read_weight(query, start + caret)
        if after != end:
            raise QuerySyntaxError(after + 1, "expected a space or ')' after the weight")
        text = text[:caret]
    tokens.append(_Token("WORD", text, start, None, weight))
    return end


def _words(raw: str, position: int) -> list[Word]:
    """Split one whitespace-free chunk of query text into folded words."""
    if raw.startswith("-"):
        raise QuerySyntaxError(position + 1, "expected a word; write NOT to exclude, not '-'")
    tilde = raw.find("~")
    if tilde >= 0:
        raise QuerySyntaxError(position + tilde + 1, "'~N' is only allowed after a quoted phrase")
    star = raw.find("*")
    if 0 <= star < len(raw) - 1:
        raise QuerySyntaxError(position + star + 1, "'*' is only allowed at the end of a word")
    prefix = star >= 0
    words = fold(raw.rstrip("*")).split()
    if not words:
        raise QuerySyntaxError(position + 1, f"expected a word with letters or digits, not {raw!r}")
    if prefix and (len(words[-1]) < 2 or fold(raw[-2]) == " "):
        raise QuerySyntaxError(position + star + 1, "expected 2 letters or digits before '*'")
    return [Word(text) for text in words[:-1]] + [Word(words[-1], prefix)]


_STARTS_OPERAND = {"WORD", "PHRASE", "FIELD", "(", "NOT"}


def _describe(token: _Token) -> str:
    if token.kind == "END":
        return "end of query"
    if token.kind == "PHRASE":
        return f'"{token.text}"'
    return f"'{token.text}'"


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, query: str) -> None:
        self.tokens = _tokenise(query)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, expected: str) -> QuerySyntaxError:
        found = _describe(self.token)
        return QuerySyntaxError(self.token.position + 1, f"expected {expected}, found {found}")

    def parse(self) -> Node:
        node = self.parse_or(DEFAULT_FIELDS)
        if self.token.kind != "END":
            raise self.fail("an operator or the end of the query")
        return node

    def parse_or(self, fields: frozenset[str]) -> Node:
        children = [self.parse_and(fields)]
        while self.token.kind == "OR":
            self.advance()
            children.append(self.parse_and(fields))
        return _flat(Or, children)

    def parse_and(self, fields: frozenset[str]) -> Node:
        children = [self.parse_unary(fields)]
        while self.token.kind == "AND" or self.token.kind in _STARTS_OPERAND:
            if self.token.kind == "AND":
                self.advance()
            children.append(self.parse_unary(fields))
        return _flat(And, children)

    def nest(self) -> None:
        """Enter one more level of parentheses or NOT, refusing past MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"at most {MAX_DEPTH} nested parentheses and NOTs")

    def parse_unary(self, fields: frozenset[str]) -> Node:
        if self.token.kind == "NOT":
            self.nest()
            self.advance()
            node = Not(self.parse_unary(fields))
            self.depth -= 1
            return node
        return self.parse_near(fields)

    def parse_near(self, fields: frozenset[str]) -> Node:
        start = self.token
        node = self.parse_primary(fields)
        while self.token.kind == "NEAR":
            if isinstance(node, Near):
                raise self.fail("AND between two NEARs (NEAR cannot be chained)")
            distance = self.advance().number
            left = _alternatives(node, start)
            start = self.token
            right = _alternatives(self.parse_primary(fields), start)
            node = Near(left, right, distance)
        return node

    def parse_primary(self, fields: frozenset[str]) -> Node:
        token = self.token
        if token.kind == "FIELD":
            self.advance()
            if self.token.kind not in {"WORD", "PHRASE", "("}:
                raise self.fail(f"a word, phrase or '(' after '{token.text}:'")
            return self.parse_primary(frozenset({token.text}))
        if token.kind == "(":
            self.nest()
            self.advance()
            node = self.parse_or(fields)
            if self.token.kind != ")":
                raise self.fail("')'")
            self.advance()
            self.depth -= 1
            return node
        if token.kind == "WORD":
            self.advance()
            return Match(tuple(_words(token.text, token.position)), fields, None, token.weight)
        if token.kind == "PHRASE":
            self.advance()
            return self.phrase(token, fields)
        raise self.fail("a word, phrase or '('")

    @staticmethod
    def phrase(token: _Token, fields: frozenset[str]) -> Match:
        words: list[Word] = []
        for chunk in re.finditer(r"\S+", token.text):
            words += _words(chunk.group(), token.position + 1 + chunk.start())
        if not words:
            raise QuerySyntaxError(token.position + 1, "expected words inside the quotes")
        return Match(tuple(words), fields, token.number, token.weight)


def _flat(kind: type[And] | type[Or], children: list[Node]) -> Node:
    """Build an n-ary AND/OR, merging nested nodes of the same kind."""
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat += child.children if isinstance(child, kind) else [child]
    return kind(tuple(flat))


def _alternatives(node: Node, start: _Token) -> tuple[Match, ...]:
    """The operand of NEAR as a tuple of exact words or phrases."""
    if isinstance(node, Match) and node.slop is None:
        return (node,)
    if isinstance(node, Or) and all(
        isinstance(child, Match) and child.slop is None for child in node.children
    ):
        return node.children
    raise QuerySyntaxError(
        start.position + 1, "expected a word, phrase or OR-group of them as operand of NEAR"
    )


def parse_query(query: str) -> Node:
    """Parse one query into its syntax tree; raises QuerySyntaxError."""
    return _Parser(query).parse()
