"""The optional learned second stage: one calibrated linear model per label over TF-IDF features.

For users with labelled examples: `fit` trains, per label, a linear SVM on
word and word-pair TF-IDF features of title and body, with probabilities
calibrated by Platt scaling on internal cross-validation (scikit-learn's
`CalibratedClassifierCV`). `TopicModel.classify` labels a document with every
label whose probability reaches `threshold`, `method = 'model'`, the
probability as score, and as evidence the terms of the document that pushed
the decision most, so `explain` still says why. Nothing is downloaded: the
model is what `fit` learned from the user's file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from schemas.records import Evidence, TopicLabel
from transforms.query import fold

MIN_POSITIVES = 5  # a label with fewer training examples gets no model
EVIDENCE_TERMS = 5
SNIPPET_CHARS = 60


@dataclass(slots=True)
class TopicModel:
    """Fitted per-label models sharing one vectoriser; `metrics` are set by whoever trains it."""

    vectorizer: TfidfVectorizer
    labels: list[str]
    models: list[CalibratedClassifierCV]
    weights: np.ndarray  # (labels, features): mean linear weights, for evidence
    threshold: float = 0.5
    metrics: dict[str, object] = field(default_factory=dict)

    def classify(self, title: str, body: str) -> list[TopicLabel]:
        """Labels whose probability reaches the threshold, their strongest terms as evidence."""
        return self.classify_many([(title, body)])[0]

    def classify_many(self, docs: Sequence[tuple[str, str]]) -> list[list[TopicLabel]]:
        """`classify` for a batch: one vectoriser and model pass for all (much faster per doc)."""
        features = self.vectorizer.transform([_text(title, body) for title, body in docs]).tocsr()
        probabilities = np.column_stack(
            [model.predict_proba(features)[:, 1] for model in self.models]
        )
        names = self.vectorizer.get_feature_names_out()
        found: list[list[TopicLabel]] = []
        for row, (title, body) in enumerate(docs):
            labels = []
            for number in np.flatnonzero(probabilities[row] >= self.threshold):
                terms = self._top_terms(features[row], number, names)
                evidence = [_evidence(term, title, body) for term in terms]
                score = float(probabilities[row, number])
                labels.append(TopicLabel(self.labels[number], score, evidence, None, "model"))
            found.append(labels)
        return found

    def _top_terms(self, row: Any, number: int, names: np.ndarray) -> list[str]:
        contributions = row.data * self.weights[number, row.indices]
        order = np.argsort(-contributions)[:EVIDENCE_TERMS]
        return [names[row.indices[i]] for i in order if contributions[i] > 0]


def _text(title: str, body: str) -> str:
    return f"{title}\n{body}"


def _evidence(term: str, title: str, body: str) -> Evidence:
    """Where a model term first occurs (title, then body); offsets 0-0 when it is not found."""
    pattern = re.compile(r"\b" + r"\W+".join(map(re.escape, term.split())) + r"\b")
    for name, text in (("title", title), ("body", body)):
        hit = pattern.search(fold(text))
        if hit:
            start, end = hit.span()
            window = text[max(0, start - SNIPPET_CHARS) : end + SNIPPET_CHARS]
            return Evidence(term, name, start, end, " ".join(window.split()))
    return Evidence(term, "body", 0, 0, "")


def fit(
    docs: Sequence[tuple[str, str]], golds: Sequence[set[str]], labels: Sequence[str]
) -> TopicModel:
    """Train one calibrated linear model per label that has at least MIN_POSITIVES examples."""
    vectorizer = TfidfVectorizer(
        preprocessor=fold, ngram_range=(1, 2), min_df=2, max_df=0.5, sublinear_tf=True
    )
    features = vectorizer.fit_transform([_text(title, body) for title, body in docs])
    kept, models, weights = [], [], []
    for label in labels:
        target = np.array([label in gold for gold in golds])
        positives = int(target.sum())
        if positives < MIN_POSITIVES or positives == len(target):
            continue
        model = CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3)
        model.fit(features, target)
        kept.append(label)
        models.append(model)
        weights.append(
            np.mean([c.estimator.coef_[0] for c in model.calibrated_classifiers_], axis=0)
        )
    return TopicModel(vectorizer, kept, models, np.array(weights))
