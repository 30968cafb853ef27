"""Topic classification: compile a taxonomy of boolean queries once, label documents fast.

Every distinct query word is one key of a single Aho-Corasick automaton, with
spaces around it (`" data "` exact, `" regulat"` prefix), run over folded text
where every non-word character is a space; so keys only match whole words and
a document costs one automaton pass per field, with Python work per hit, never
per character. Queries compile to closures over a per-document cache of
"atoms" (words, phrases, NEARs), and only topics whose trigger words occur are
evaluated at all.

Scoring: each distinct piece of evidence weighs by where it is: title 3, body
lead (first 400 characters) 2, rest of body 1, url/source/lang 1 (a topic may
set its own `title_boost` and `lead_boost`), times the term's weight (`term^2`
in the query, default 1). A label's score is the sum over its evidence, and
labels under `min_score` are dropped (so a purely negative query, with no
evidence, needs `min_score: 0`). Evidence is what made the query true: hits
of true branches, never of NOT. Precision rules then drop a label whose
evidence has fewer than `min_terms` distinct terms, fewer than `min_density`
hits per 100 words of title and body, whose `veto` query holds, or whose
score is under `min_share` of the best-scoring sibling's (a story mostly about
one subject is not also labelled with every subject it touches; the topics it
gates go with it). At most
`MAX_EVIDENCE` spans are kept per label (the score counts them all);
`TopicLabel.evidence_omitted` says how many more there were.

Hierarchy: a topic is tested only where its nearest ancestor with a query
was labelled; a grouping node (no query) is labelled when any child is, with
the score and evidence of its best child. Pickling a Taxonomy sends its
source text; the receiving process compiles it again (about 150 ms for 1,000
rules).

Taxonomy YAML shape (see mediawatch/defaults/taxonomy.yaml):

    topics:
      - name: geopolitics           # label path segment, no "/"
        description: ...            # optional, for docs and `explain`
        query: ...                  # optional: without it, a grouping node
        min_score: 2                # optional, default 1; only with a query
        min_terms: 2                # optional: distinct matched terms needed
        min_density: 0.5            # optional: hits per 100 words of title and body
        veto: ...                   # optional query: when it holds, no label
        min_share: 0.5              # optional: at least this share of the best sibling's score
        title_boost: 3              # optional weight of a title hit (default 3)
        lead_boost: 2               # optional weight of a lead hit (default 2)
        scheme_id: medtop:11000000  # optional concept id in a standard scheme
        children: [ ...topics... ]  # optional
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
import yaml

from mediawatch.errors import TaxonomyError
from schemas.records import Evidence, TopicLabel
from transforms.query import (
    FIELDS,
    And,
    Match,
    Near,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Word,
    fold,
    parse_query,
)

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
META_WEIGHT = 1.0
LEAD_CHARS = 400
SNIPPET_CHARS = 60
MAX_EVIDENCE = 200

_FIELD_ORDER = {name: order for order, name in enumerate(FIELDS)}
# Keys that tune a query's result, so only allowed with one.
_RULE_KEYS = (
    "min_score",
    "min_terms",
    "min_density",
    "veto",
    "min_share",
    "title_boost",
    "lead_boost",
)
_TOPIC_KEYS = ("name", "query", "description", *_RULE_KEYS, "scheme_id", "children")
MAX_TOPIC_DEPTH = 16
# YAML nesting allowed before composing: a topic level is a list and a mapping, plus slack.
_MAX_YAML_DEPTH = 2 * MAX_TOPIC_DEPTH + 8
# The largest number a topic setting takes: far above any score, yet still a float.
MAX_NUMBER = 1e9

# (field, start, end, term): one matched word or phrase, offsets into the original text.
_Hit = tuple[str, int, int, str]
# (start, end, first word index, last word index, term) of a word or phrase in one field.
_Occurrence = tuple[int, int, int, int, str]


@dataclass(frozen=True, slots=True)
class Document:
    """The text of one article as the classifier sees it."""

    title: str
    body: str
    url: str = ""
    source: str = ""
    language: str = ""

    def field(self, name: str) -> str:
        """The text of a query field (`lang` is the `language` attribute)."""
        return getattr(self, "language" if name == "lang" else name)


class TopicSummary(NamedTuple):
    """One topic as written in the taxonomy, for documentation and `explain`."""

    label: str
    query: str | None
    description: str


class _Scan:
    """One document after the automaton pass: where each pattern ended, per field.

    Spans and word numbers are derived on demand, only for the patterns that
    the evaluated queries look at.
    """

    __slots__ = ("ends", "found", "padded", "patterns", "spans_by_field", "word_indexes")

    def __init__(self, automaton: Any, patterns: Sequence[tuple[int, bool]], doc: Document):
        self.patterns = patterns
        self.padded: dict[str, str] = {}
        self.ends: dict[str, dict[int, list[int]]] = {}
        self.spans_by_field: dict[str, dict[int, list[tuple[int, int]]]] = {}
        self.word_indexes: dict[str, dict[int, int]] = {}
        for name in FIELDS:
            text = doc.field(name)
            # Padded with spaces so that keys like " data " match at both ends of the text.
            padded = f" {fold(text)} " if text else ""
            self.padded[name] = padded
            self.ends[name] = _find_words(automaton, padded) if text else {}
            self.spans_by_field[name] = {}
        # Every pattern that matched in any field.
        self.found: set[int] = set().union(*self.ends.values())

    def spans(self, field: str, pattern: int) -> list[tuple[int, int]]:
        """(start, end) offsets into the original field text of the words a pattern matched."""
        ends = self.ends[field].get(pattern)
        if ends is None:
            return []
        cache = self.spans_by_field[field]
        spans = cache.get(pattern)
        if spans is None:
            length, prefix = self.patterns[pattern]
            # Padded offsets are original offsets + 1, and each key starts with a space.
            if prefix:
                padded = self.padded[field]
                spans = [(last - length + 1, padded.find(" ", last) - 1) for last in ends]
            else:
                spans = [(last - length + 1, last - 1) for last in ends]
            cache[pattern] = spans
        return spans

    def word_index(self, field: str) -> dict[int, int]:
        """Map each hit's start offset to its word number, counting words only between hits."""
        index = self.word_indexes.get(field)
        if index is None:
            padded = self.padded[field]
            starts = {
                last - self.patterns[pattern][0] + 1
                for pattern, ends in self.ends[field].items()
                for last in ends
            }
            index = {}
            count = 0
            previous = -1
            for start in sorted(starts):
                count += len(padded[previous + 1 : start + 1].split())
                index[start] = count
                previous = start
            self.word_indexes[field] = index
        return index


def _find_words(automaton: Any, padded: str) -> dict[int, list[int]]:
    """Run the automaton once over a padded folded field: pattern id -> offsets of key ends."""
    ends: defaultdict[int, list[int]] = defaultdict(list)
    for last, pattern in automaton.iter(padded):
        ends[pattern].append(last)
    return ends


@dataclass(frozen=True, slots=True)
class _Sequence:
    """Words in a row (one word or an exact phrase) in any of `fields`."""

    patterns: tuple[int, ...]
    fields: tuple[str, ...]
    term: str

    def occurrences(self, scan: _Scan, field: str) -> list[_Occurrence]:
        first = scan.spans(field, self.patterns[0])
        if not first:
            return []
        index = scan.word_index(field)
        ends_at: list[dict[int, int]] = []
        for pattern in self.patterns[1:]:
            spans = scan.spans(field, pattern)
            if not spans:
                return []
            ends_at.append({index[start]: end for start, end in spans})
        occurrences = []
        for start, first_end in first:
            word = index[start]
            end: int | None = first_end
            for offset, ends in enumerate(ends_at, 1):
                end = ends.get(word + offset)
                if end is None:
                    break
            if end is not None:
                occurrences.append((start, end, word, word + len(ends_at), self.term))
        return occurrences

    def evaluate(self, scan: _Scan) -> tuple[_Hit, ...] | None:
        # Most words of a query's alternatives are in no field: known without looking at each.
        if self.patterns[0] not in scan.found:
            return None
        if len(self.patterns) == 1:
            pattern = self.patterns[0]
            hits = [
                (field, start, end, self.term)
                for field in self.fields
                for start, end in scan.spans(field, pattern)
            ]
        else:
            hits = [
                (field, start, end, self.term)
                for field in self.fields
                for start, end, _, _, _ in self.occurrences(scan, field)
            ]
        return tuple(hits) or None


@dataclass(frozen=True, slots=True)
class _Window:
    """`"w1 ... wk"~slop`: every word inside some window of k + slop consecutive words."""

    words: tuple[_Sequence, ...]
    fields: tuple[str, ...]
    slop: int

    def evaluate(self, scan: _Scan) -> tuple[_Hit, ...] | None:
        hits: list[_Hit] = []
        width = len(self.words) + self.slop
        for field in self.fields:
            events = sorted(
                (first, number, start, end)
                for number, word in enumerate(self.words)
                for start, end, first, _, _ in word.occurrences(scan, field)
            )
            latest: list[tuple[int, int, int] | None] = [None] * len(self.words)
            for position, number, start, end in events:
                latest[number] = (position, start, end)
                if None in latest:
                    continue
                if position - min(seen[0] for seen in latest) < width:
                    hits += [
                        (field, seen[1], seen[2], word.term)
                        for seen, word in zip(latest, self.words, strict=True)
                    ]
        return tuple(hits) or None


@dataclass(frozen=True, slots=True)
class _Near:
    """An occurrence of a left and of a right alternative, at most `distance` words apart."""

    left: tuple[_Sequence, ...]
    right: tuple[_Sequence, ...]
    distance: int
    fields: tuple[str, ...]

    def evaluate(self, scan: _Scan) -> tuple[_Hit, ...] | None:
        hits: list[_Hit] = []
        for field in self.fields:
            left = _occurrences(self.left, scan, field)
            right = _occurrences(self.right, scan, field) if left else []
            if right:
                hits += [
                    (field, start, end, term)
                    for start, end, _, _, term in _near_pairs(left, right, self.distance)
                ]
        return tuple(hits) or None


def _occurrences(alternatives: tuple[_Sequence, ...], scan: _Scan, field: str) -> list[_Occurrence]:
    return [
        occurrence
        for sequence in alternatives
        if field in sequence.fields
        for occurrence in sequence.occurrences(scan, field)
    ]


def _near_pairs(
    left: list[_Occurrence], right: list[_Occurrence], distance: int
) -> list[_Occurrence]:
    """Occurrences of either side that have a partner at most `distance` words away."""
    right = sorted(right, key=itemgetter(2))
    firsts = [occurrence[2] for occurrence in right]
    widest = max(occurrence[3] - occurrence[2] for occurrence in right)
    reach = distance + 1
    paired: list[_Occurrence] = []
    for occurrence in left:
        first, last = occurrence[2], occurrence[3]
        low = bisect_left(firsts, first - reach - widest)
        high = bisect_right(firsts, last + reach)
        partners = [other for other in right[low:high] if other[3] >= first - reach]
        if partners:
            paired.append(occurrence)
            paired += partners
    return paired


class _AtomValues(dict[int, Any]):
    """Per-document cache: atom id -> its hits (None when false), computed on first use."""

    __slots__ = ("atoms", "scan")

    def __init__(self, atoms: Sequence[Any], scan: _Scan) -> None:
        super().__init__()
        self.atoms = atoms
        self.scan = scan

    def __missing__(self, atom: int) -> tuple[_Hit, ...] | None:
        value = self.atoms[atom].evaluate(self.scan)
        self[atom] = value
        return value


# A compiled query: the hits supporting it (possibly none) when true, None when false.
_Test = Callable[[_AtomValues], Sequence[_Hit] | None]


def _all(tests: list[_Test], values: _AtomValues) -> list[_Hit] | None:
    support: list[_Hit] = []
    for test in tests:
        found = test(values)
        if found is None:
            return None
        support += found
    return support


def _any(tests: list[_Test], values: _AtomValues) -> list[_Hit] | None:
    support: list[_Hit] = []
    matched = False
    for test in tests:
        found = test(values)
        if found is not None:
            matched = True
            support += found
    return support if matched else None


def _negate(test: _Test, values: _AtomValues) -> tuple[()] | None:
    return None if test(values) is not None else ()


class _Compiler:
    """Turns query trees into shared patterns, atoms, closures and trigger sets."""

    def __init__(self) -> None:
        self.patterns: dict[Word, int] = {}
        self.atoms: list[Any] = []
        self.atom_ids: dict[Match | Near, int] = {}

    def pattern(self, word: Word) -> int:
        return self.patterns.setdefault(word, len(self.patterns))

    def sequence(self, match: Match, words: tuple[Word, ...] | None = None) -> _Sequence:
        words = match.words if words is None else words
        term = match.term if len(words) == len(match.words) else str(words[0])
        return _Sequence(tuple(map(self.pattern, words)), _ordered(match.fields), term)

    def atom(self, leaf: Match | Near) -> Any:
        if isinstance(leaf, Near):
            fields = {field for match in leaf.left + leaf.right for field in match.fields}
            left = tuple(map(self.sequence, leaf.left))
            right = tuple(map(self.sequence, leaf.right))
            return _Near(left, right, leaf.distance, _ordered(fields))
        if leaf.slop is None:
            return self.sequence(leaf)
        words = tuple(self.sequence(leaf, (word,)) for word in leaf.words)
        return _Window(words, _ordered(leaf.fields), leaf.slop)

    def test(self, node: Node) -> _Test:
        if isinstance(node, Match | Near):
            if node not in self.atom_ids:
                self.atom_ids[node] = len(self.atoms)
                self.atoms.append(self.atom(node))
            return itemgetter(self.atom_ids[node])
        if isinstance(node, Not):
            return partial(_negate, self.test(node.child))
        tests = [self.test(child) for child in node.children]
        return partial(_all if isinstance(node, And) else _any, tests)

    def triggers(self, node: Node) -> frozenset[int] | None:
        """Pattern ids of which one must occur for `node` to hold; None if there is no such set."""
        if isinstance(node, Match):
            return frozenset({self.pattern(max(node.words, key=lambda word: len(word.text)))})
        if isinstance(node, Near):
            sides = [
                frozenset().union(*(self.triggers(match) for match in side))
                for side in (node.left, node.right)
            ]
            return min(sides, key=len)
        if isinstance(node, Not):
            return None
        found = [self.triggers(child) for child in node.children]
        if isinstance(node, Or):
            return None if None in found else frozenset().union(*found)
        known = [triggers for triggers in found if triggers is not None]
        return min(known, key=len) if known else None

    def automaton(self) -> Any:
        automaton = ahocorasick.Automaton()
        for word, pattern in self.patterns.items():
            key = f" {word.text}" if word.prefix else f" {word.text} "
            automaton.add_word(key, pattern)
        automaton.make_automaton()
        return automaton


def _ordered(fields: set[str] | frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(fields, key=_FIELD_ORDER.__getitem__))


class _Spec(NamedTuple):
    label: str
    query: str | None
    description: str
    min_score: float
    parent: int | None
    min_terms: int = 0
    min_density: float = 0.0
    veto: str | None = None
    title_boost: float = TITLE_WEIGHT
    lead_boost: float = LEAD_WEIGHT
    scheme_id: str | None = None
    min_share: float = 0.0


@dataclass(frozen=True, slots=True)
class _Topic:
    spec: _Spec
    gate: int | None  # nearest ancestor with a query: it must match first
    test: _Test | None  # None for a grouping node
    veto: _Test | None = None
    term_weights: dict[str, float] | None = None  # only terms weighted other than 1

    def score(self, hits: list[_Hit]) -> float:
        """The weighted sum of distinct hits; the plain sum when nothing is tuned."""
        spec, weights = self.spec, self.term_weights
        if not weights and spec.title_boost == TITLE_WEIGHT and spec.lead_boost == LEAD_WEIGHT:
            return sum(map(_weight, hits))
        return sum(
            _weight(hit, spec.title_boost, spec.lead_boost) * (weights or {}).get(hit[3], 1.0)
            for hit in hits
        )

    def passes(self, hits: list[_Hit], score: float, values: _AtomValues, doc: Document) -> bool:
        """Whether a true query's result clears min_score and the precision rules."""
        spec = self.spec
        if score < spec.min_score:
            return False
        if spec.min_terms > 1 and len({hit[3] for hit in hits}) < spec.min_terms:
            return False
        if spec.min_density > 0:
            words = len(doc.title.split()) + len(doc.body.split())
            if len(hits) * 100 < spec.min_density * max(words, 1):
                return False
        return self.veto is None or self.veto(values) is None


def _weight(hit: _Hit, title: float = TITLE_WEIGHT, lead: float = LEAD_WEIGHT) -> float:
    field, start = hit[0], hit[1]
    if field == "title":
        return title
    if field == "body":
        return lead if start < LEAD_CHARS else BODY_WEIGHT
    return META_WEIGHT


def _term_weights(node: Node) -> dict[str, float]:
    """Terms of a query tree with a weight other than 1 (the highest, if written twice)."""
    weights: dict[str, float] = {}
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, Match):
            if node.weight != 1:
                weights[node.term] = max(node.weight, weights.get(node.term, 0.0))
        elif isinstance(node, Near):
            stack += node.left + node.right
        elif isinstance(node, Not):
            stack.append(node.child)
        else:
            stack += node.children
    return weights


def _distinct(support: Sequence[_Hit]) -> list[_Hit]:
    """Support hits without repeats of the same span, in field then text order."""
    unique: dict[tuple[str, int, int], _Hit] = {}
    for hit in support:
        unique.setdefault(hit[:3], hit)
    return sorted(unique.values(), key=lambda hit: (_FIELD_ORDER[hit[0]], hit[1], hit[2]))


class _EvidenceCache(dict[_Hit, Evidence]):
    """Evidence records of one document, built once per hit even when several labels cite it."""

    __slots__ = ("doc",)

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc

    def __missing__(self, hit: _Hit) -> Evidence:
        field, start, end, term = hit
        text = self.doc.field(field)
        window = text[max(0, start - SNIPPET_CHARS) : end + SNIPPET_CHARS]
        evidence = self[hit] = Evidence(term, field, start, end, " ".join(window.split()))
        return evidence


class Taxonomy:
    """A compiled taxonomy: immutable, picklable (rebuilt from its source text)."""

    __slots__ = (
        "_atoms",
        "_automaton",
        "_patterns",
        "_shares",
        "_source",
        "_topics",
        "_triggers",
        "labels",
        "version",
    )

    def __init__(self, specs: list[_Spec], source: str, origin: str) -> None:
        compiler = _Compiler()
        topics: list[_Topic] = []
        always: list[int] = []
        triggers: defaultdict[int, list[int]] = defaultdict(list)
        for index, spec in enumerate(specs):
            if spec.query is None:
                topics.append(_Topic(spec, _gate(specs, spec.parent), None))
                continue
            tree = _parse(spec, spec.query, origin)
            found = compiler.triggers(tree)
            if found is None:
                always.append(index)
            for pattern in found or ():
                triggers[pattern].append(index)
            veto = None if spec.veto is None else compiler.test(_parse(spec, spec.veto, origin))
            gate = _gate(specs, spec.parent)
            topics.append(_Topic(spec, gate, compiler.test(tree), veto, _term_weights(tree)))
        self._topics = tuple(topics)
        self._shares = any(spec.min_share for spec in specs)
        self._atoms = tuple(compiler.atoms)
        self._automaton = compiler.automaton()
        # pattern id -> (length of its automaton key, is a prefix)
        self._patterns = tuple(
            (len(word.text) + (1 if word.prefix else 2), word.prefix) for word in compiler.patterns
        )
        self._triggers = ({k: tuple(v) for k, v in triggers.items()}, frozenset(always))
        self._source = (source, origin)
        self.version = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
        self.labels = frozenset(spec.label for spec in specs)

    def __reduce__(self) -> tuple[Callable[..., Taxonomy], tuple[str, str]]:
        return _restore, self._source

    def __repr__(self) -> str:
        return f"<Taxonomy {self.version} from {self._source[1]}: {len(self.labels)} labels>"

    def describe(self) -> list[TopicSummary]:
        """Every topic, in file order, with its query text and description."""
        return [
            TopicSummary(topic.spec.label, topic.spec.query, topic.spec.description)
            for topic in self._topics
        ]

    def query_tree(self, label: str) -> str | None:
        """The parsed query of a topic as text with every operator bracketed, for `explain`.

        None for a grouping node or a label this taxonomy does not have.
        """
        for topic in self._topics:
            if topic.spec.label == label and topic.spec.query is not None:
                tree = str(parse_query(topic.spec.query))
                if topic.spec.veto is not None:
                    tree += f"  VETO {parse_query(topic.spec.veto)}"
                return tree
        return None

    def scheme_ids(self) -> dict[str, str]:
        """Label -> concept id in a standard scheme (e.g. `medtop:11000000`), where set."""
        return {t.spec.label: t.spec.scheme_id for t in self._topics if t.spec.scheme_id}

    def classify(self, doc: Document) -> list[TopicLabel]:
        """Label one document: every topic whose query holds, with parents, sorted by label."""
        scan = _Scan(self._automaton, self._patterns, doc)
        values = _AtomValues(self._atoms, scan)
        by_pattern, always = self._triggers
        candidates = set(always)
        for pattern in scan.found:
            candidates.update(by_pattern.get(pattern, ()))
        found: dict[int, tuple[float, list[_Hit]]] = {}
        for index in sorted(candidates):
            topic = self._topics[index]
            if topic.gate is not None and topic.gate not in found:
                continue
            support = topic.test(values)
            if support is None:
                continue
            hits = _distinct(support)
            score = topic.score(hits)
            if topic.passes(hits, score, values, doc):
                found[index] = (score, hits)
        if self._shares:
            self._drop_minor(found)
        self._label_groups(found)
        evidence = _EvidenceCache(doc)
        labels = []
        for index, (score, hits) in found.items():
            spec = self._topics[index].spec
            kept = [evidence[hit] for hit in hits[:MAX_EVIDENCE]]
            omitted = len(hits) - len(kept)
            labels.append(TopicLabel(spec.label, score, kept, spec.scheme_id, "rules", omitted))
        return sorted(labels, key=lambda label: label.label)

    def _drop_minor(self, found: dict[int, tuple[float, list[_Hit]]]) -> None:
        """Drop labels scoring under their `min_share` of the best labelled sibling's score.

        A dropped topic takes the topics it gates with it (parents come before
        their children in index order), so a child label never stands alone.
        """
        best: dict[int | None, float] = {}
        for index, (score, _) in found.items():
            parent = self._topics[index].spec.parent
            best[parent] = max(score, best.get(parent, 0.0))
        for index in sorted(found):
            topic = self._topics[index]
            share = topic.spec.min_share
            if (topic.gate is not None and topic.gate not in found) or (
                share and found[index][0] < share * best[topic.spec.parent]
            ):
                del found[index]

    def _label_groups(self, found: dict[int, tuple[float, list[_Hit]]]) -> None:
        """Give each grouping ancestor of a label the score and evidence of its best child."""
        for index, result in list(found.items()):
            parent = self._topics[index].spec.parent
            while parent is not None and self._topics[parent].test is None:
                if parent not in found or found[parent][0] < result[0]:
                    found[parent] = result
                parent = self._topics[parent].spec.parent


def _gate(specs: list[_Spec], parent: int | None) -> int | None:
    while parent is not None and specs[parent].query is None:
        parent = specs[parent].parent
    return parent


def _parse(spec: _Spec, query: str, origin: str) -> Node:
    try:
        return parse_query(query)
    except QuerySyntaxError as exc:
        key = "veto" if query is spec.veto else "query"
        where = "" if key == "query" else " (veto)"
        raise TaxonomyError(f"{origin}: topic '{spec.label}'{where}: {exc}") from exc


def _restore(source: str, origin: str) -> Taxonomy:
    return parse_taxonomy(source, origin=origin)


# libyaml's safe loader when PyYAML has it: the shipped taxonomy parses in 12 ms instead
# of 190 ms, paid by every command that runs a flow (twice: preflight, then the run).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_nesting(text: str, origin: str) -> None:
    """Refuse YAML nested deeper than a taxonomy can be, before PyYAML's recursive composer.

    The event stream is produced without recursion, so a document nested
    thousands of levels deep ends here with the line and the topic path
    reached (from the `name:` values on the way), not in a RecursionError.
    """
    path: list[str | None] = []  # per open collection: the topic name seen in it, if any
    expect_name = False
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            path.append(None)
            if len(path) > _MAX_YAML_DEPTH:
                names = "/".join(name for name in path if name)
                raise TaxonomyError(
                    f"{origin}: line {event.start_mark.line + 1}: topics nested deeper than "
                    f"{MAX_TOPIC_DEPTH} levels (under '{names}')"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            path.pop()
        elif isinstance(event, yaml.ScalarEvent) and path:
            if expect_name and path[-1] is None:
                path[-1] = event.value
            expect_name = event.value == "name" and not expect_name


def _read_topics(
    items: object, parent: int | None, path: str, origin: str, out: list[_Spec]
) -> None:
    """Validate one list of topics and append them (then their children) in pre-order."""
    where = f"{origin}: topic '{path}': children" if path else f"{origin}: topics"
    if path.count("/") >= MAX_TOPIC_DEPTH - 1:
        raise TaxonomyError(f"{where}: topics nested deeper than {MAX_TOPIC_DEPTH} levels")
    if not isinstance(items, list) or not items:
        raise TaxonomyError(f"{where}: expected a non-empty list of topics")
    siblings: set[str] = set()
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise TaxonomyError(f"{where}: topic {number}: expected a mapping with a 'name'")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise TaxonomyError(f"{where}: topic {number}: 'name' must be text without '/'")
        label = f"{path}/{name.strip()}" if path else name.strip()
        context = f"{origin}: topic '{label}'"
        unknown = sorted(set(item) - set(_TOPIC_KEYS), key=str)
        if unknown:
            expected = ", ".join(_TOPIC_KEYS)
            raise TaxonomyError(f"{context}: unknown key '{unknown[0]}' (expected {expected})")
        if label in siblings:
            raise TaxonomyError(f"{context}: the same name appears twice")
        siblings.add(label)
        out.append(_read_topic(item, label, context, parent))
        if "children" in item:
            _read_topics(item["children"], len(out) - 1, label, origin, out)


def _read_topic(item: dict[str, Any], label: str, context: str, parent: int | None) -> _Spec:
    query = _text(item, "query", context)
    if query is None and "children" not in item:
        raise TaxonomyError(f"{context}: needs a 'query' or 'children'")
    tuned = [key for key in _RULE_KEYS if key in item]
    if query is None and tuned:
        raise TaxonomyError(f"{context}: '{tuned[0]}' needs a 'query' (grouping nodes take theirs)")
    min_terms = item.get("min_terms", 0)
    if isinstance(min_terms, bool) or not isinstance(min_terms, int) or min_terms < 0:
        raise TaxonomyError(f"{context}: 'min_terms' must be a whole number >= 0")
    description = item.get("description", "")
    if not isinstance(description, str):
        raise TaxonomyError(f"{context}: 'description' must be text")
    return _Spec(
        label,
        query,
        description.strip(),
        _number(item, "min_score", 1, context),
        parent,
        min_terms,
        _number(item, "min_density", 0, context),
        _text(item, "veto", context),
        _number(item, "title_boost", TITLE_WEIGHT, context),
        _number(item, "lead_boost", LEAD_WEIGHT, context),
        _text(item, "scheme_id", context),
        _number(item, "min_share", 0, context),
    )


def _text(item: dict[str, Any], key: str, context: str) -> str | None:
    """An optional non-empty text value of a topic."""
    value = item.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise TaxonomyError(f"{context}: '{key}' must be non-empty text")
    return None if value is None else value.strip()


def _number(item: dict[str, Any], key: str, default: float, context: str) -> float:
    """An optional number of a topic between 0 and MAX_NUMBER (NaN and infinity are refused)."""
    value = item.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= MAX_NUMBER  # NaN fails both comparisons
    ):
        raise TaxonomyError(f"{context}: '{key}' must be a number >= 0 and <= {MAX_NUMBER:g}")
    return float(value)


@lru_cache(maxsize=8)
def parse_taxonomy(text: str, *, origin: str) -> Taxonomy:
    """Compile taxonomy YAML; `origin` (a path or name) prefixes every error message.

    A `Taxonomy` is immutable, so the same text compiles once per process: a
    command checks its taxonomy before the run and the run loads it again.
    """
    try:
        _check_nesting(text, origin)
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{origin} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or set(data) != {"topics"}:
        raise TaxonomyError(f"{origin}: expected a mapping with one key, 'topics'")
    specs: list[_Spec] = []
    _read_topics(data["topics"], None, "", origin, specs)
    return Taxonomy(specs, text, origin)


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and compile a taxonomy file; its `version` is a hash of the file's bytes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"cannot read taxonomy {path}: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"{path} is not UTF-8 text (byte {exc.start})") from exc
    return parse_taxonomy(text, origin=str(path))


def with_learned(rules: list[TopicLabel], learned: list[TopicLabel]) -> list[TopicLabel]:
    """The rules' labels plus the learned model's labels the rules did not give, by label.

    A label both give keeps the rules' evidence (offsets of the words that
    matched); the model's labels carry `method = 'model'` and a probability.
    """
    ruled = {label.label for label in rules}
    return sorted(
        rules + [label for label in learned if label.label not in ruled], key=lambda t: t.label
    )
