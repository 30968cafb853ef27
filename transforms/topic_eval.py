"""Score a taxonomy against labelled articles: precision, recall and F1 per label, with examples.

Labelled data is CSV (a header row) or JSON Lines, one article per row, with
`title`, `body` or `text`, and its labels in `labels` (a JSON list, or text
split on `;` or `|`) or `label`. A mapping turns dataset labels into taxonomy
paths (`sport=sport`, `Business=economy, business and finance`); dataset
labels it does not name are dropped, and without a mapping the dataset labels
are taxonomy paths already. Only labels in the evaluated set (the mapping's
targets, else every gold label seen) count: a prediction of any other label is
neither right nor wrong, so a 300-topic taxonomy can be scored on a 4-class set.

Per label: true positives (predicted and gold), false positives (predicted,
not gold), false negatives (gold, not predicted); precision tp/(tp+fp),
recall tp/(tp+fn), F1 their harmonic mean, support tp+fn. Micro averages sum
the counts over labels; macro averages are the mean of the per-label figures.
A confusion is a gold label missed while another evaluated label was
predicted for the same article.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mediawatch.errors import MediawatchError
from schemas.records import TopicLabel

SNIPPETS = 2  # evidence snippets shown per example


class LabelledDataError(MediawatchError):
    """A labelled data file or label mapping cannot be read."""


@dataclass(frozen=True, slots=True)
class LabelledDoc:
    """One labelled article; `row` is its 1-based row in the file, for the report."""

    row: int
    title: str
    body: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Example:
    """A wrong or missed label on one article, with what the taxonomy saw."""

    row: int
    title: str
    score: float
    evidence: list[str]  # "field term: …snippet…"


@dataclass(slots=True)
class LabelScore:
    """The figures of one evaluated label."""

    label: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    worst_fp: list[Example] = field(default_factory=list)
    worst_fn: list[Example] = field(default_factory=list)

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)


@dataclass(slots=True)
class Report:
    """The score of a taxonomy on a labelled set."""

    articles: int
    labels: list[LabelScore]
    confusions: list[tuple[str, str, int]]  # (gold label missed, label predicted instead, count)

    def micro(self) -> tuple[float, float, float]:
        tp = sum(score.tp for score in self.labels)
        precision = _ratio(tp, tp + sum(score.fp for score in self.labels))
        recall = _ratio(tp, tp + sum(score.fn for score in self.labels))
        return precision, recall, _f1(precision, recall)

    def macro(self) -> tuple[float, float, float]:
        count = len(self.labels) or 1
        return (
            sum(score.precision for score in self.labels) / count,
            sum(score.recall for score in self.labels) / count,
            sum(score.f1 for score in self.labels) / count,
        )

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form (`taxonomy test --format json`)."""
        micro, macro = self.micro(), self.macro()
        return {
            "articles": self.articles,
            "labels": [
                {
                    "label": score.label,
                    "precision": score.precision,
                    "recall": score.recall,
                    "f1": score.f1,
                    "support": score.support,
                    "tp": score.tp,
                    "fp": score.fp,
                    "fn": score.fn,
                    "worst_false_positives": [_example_dict(e) for e in score.worst_fp],
                    "worst_false_negatives": [_example_dict(e) for e in score.worst_fn],
                }
                for score in self.labels
            ],
            "micro": dict(zip(("precision", "recall", "f1"), micro, strict=True)),
            "macro": dict(zip(("precision", "recall", "f1"), macro, strict=True)),
            "confusions": [
                {"gold": gold, "predicted": predicted, "count": count}
                for gold, predicted, count in self.confusions
            ],
        }


def _example_dict(example: Example) -> dict[str, object]:
    return {
        "row": example.row,
        "title": example.title,
        "score": example.score,
        "evidence": example.evidence,
    }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def parse_labelled(text: str, *, origin: str) -> list[LabelledDoc]:
    """Parse labelled articles from CSV or JSON Lines text (JSON Lines if it starts with '{')."""
    if text.lstrip().startswith("{"):
        records = _json_lines(text, origin)
    else:
        records = enumerate(csv.DictReader(io.StringIO(text)), 2)
    docs = []
    for row, record in records:
        labels = _labels(record.get("labels", record.get("label")), origin, row)
        body = record.get("body") or record.get("text") or ""
        title = record.get("title") or ""
        if not isinstance(body, str) or not isinstance(title, str):
            raise LabelledDataError(f"{origin}: row {row}: 'title' and 'body' must be text")
        docs.append(LabelledDoc(row, title, body, labels))
    if not docs:
        raise LabelledDataError(f"{origin}: no labelled articles")
    return docs


def _json_lines(text: str, origin: str) -> Iterable[tuple[int, dict[str, object]]]:
    for row, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelledDataError(f"{origin}: line {row}: not JSON: {exc.msg}") from exc
        if not isinstance(record, dict):
            raise LabelledDataError(f"{origin}: line {row}: expected a JSON object")
        yield row, record


def _labels(value: object, origin: str, row: int) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = value.replace("|", ";").split(";")
    elif isinstance(value, list) and all(isinstance(item, str | int) for item in value):
        parts = [str(item) for item in value]
    elif isinstance(value, int) and not isinstance(value, bool):
        parts = [str(value)]
    else:
        raise LabelledDataError(f"{origin}: row {row}: expected 'labels' or 'label' (text or list)")
    return tuple(part.strip() for part in parts if part.strip())


def parse_mapping(pairs: Iterable[str], *, origin: str) -> dict[str, tuple[str, ...]]:
    """`dataset_label=taxonomy/path` pairs into a mapping (a label may map to several paths)."""
    mapping: dict[str, tuple[str, ...]] = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise LabelledDataError(f"{origin}: expected dataset_label=taxonomy/path, got {pair!r}")
        mapping[source.strip()] = (*mapping.get(source.strip(), ()), target.strip())
    return mapping


def evaluate(
    docs: Sequence[LabelledDoc],
    classify: Callable[[LabelledDoc], list[TopicLabel]],
    mapping: Mapping[str, tuple[str, ...]] | None = None,
    *,
    examples: int = 3,
) -> Report:
    """Classify every article and score the labels against the (mapped) gold labels."""
    golds = [gold_labels(doc, mapping) for doc in docs]
    universe = (
        {target for targets in mapping.values() for target in targets}
        if mapping
        else {label for gold in golds for label in gold}
    )
    scores = {label: LabelScore(label) for label in sorted(universe)}
    confusions: Counter[tuple[str, str]] = Counter()
    misses: dict[str, list[Example]] = {label: [] for label in universe}
    wrong: dict[str, list[Example]] = {label: [] for label in universe}
    for doc, gold in zip(docs, golds, strict=True):
        predicted = {label.label: label for label in classify(doc) if label.label in universe}
        for label in gold | predicted.keys():
            score = scores[label]
            if label in gold and label in predicted:
                score.tp += 1
            elif label in predicted:
                score.fp += 1
                wrong[label].append(_example(doc, predicted[label]))
            else:
                score.fn += 1
                misses[label].append(_example(doc, None, predicted.values()))
                confusions.update((label, other) for other in predicted.keys() - gold)
    for label, score in scores.items():
        score.worst_fp = sorted(wrong[label], key=lambda e: (-e.score, e.row))[:examples]
        score.worst_fn = sorted(misses[label], key=lambda e: (e.score, e.row))[:examples]
    ranked = sorted(confusions.items(), key=lambda item: (-item[1], item[0]))
    return Report(
        len(docs),
        list(scores.values()),
        [(gold, predicted, count) for (gold, predicted), count in ranked[:10]],
    )


def gold_labels(doc: LabelledDoc, mapping: Mapping[str, tuple[str, ...]] | None) -> set[str]:
    """The taxonomy labels an article should get: its dataset labels, mapped if a mapping is set."""
    if not mapping:
        return set(doc.labels)
    return {target for label in doc.labels for target in mapping.get(label, ())}


def _example(
    doc: LabelledDoc, label: TopicLabel | None, instead: Iterable[TopicLabel] = ()
) -> Example:
    """A false positive with its evidence, or a false negative with the labels given instead."""
    if label is not None:
        evidence = [f"{e.field} {e.term}: …{e.snippet}…" for e in label.evidence[:SNIPPETS]]
        return Example(doc.row, doc.title, label.score, evidence)
    given = [f"labelled {other.label} ({other.score:g}) instead" for other in instead]
    return Example(doc.row, doc.title, 0.0, given or ["no evaluated label fired"])
