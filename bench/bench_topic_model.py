"""Benchmark the learned topic stage: train on generated articles, then label others in batches.

The labels to learn are the top-level labels that a generated 100-rule
taxonomy gives each generated article (bench_classify's generators), so the
model has something real to find. Prints training time and articles per
second for `TopicModel.classify_many` (probabilities and evidence terms), then
for the pipeline's classify stage (`flows.stages.classify_batch`, as ingest runs
it) with the shipped taxonomy alone and with the model beside it. The generated
words are not news, so the shipped rules match little: the stage figures show
what the model adds to a batch, not the rules' cost on real text (bench_classify).

    .venv/bin/python bench/bench_topic_model.py [--articles 2000 --seed 7]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from bench_classify import make_articles, make_taxonomy, make_vocabulary

from flows.stages import classify_batch
from mediawatch.settings import DEFAULTS_DIR
from schemas.records import Article
from transforms.classify import Document, load_taxonomy, parse_taxonomy
from transforms.topic_model import TopicModel, fit

BATCH = 200  # articles per classify task, as a feed batch


def stage_rate(docs: list[Document], model: TopicModel | None) -> float:
    """Articles per second through the classify stage, in batches of BATCH."""
    taxonomy = load_taxonomy(DEFAULTS_DIR / "taxonomy.yaml")
    articles = [
        Article(
            article_id=f"{number:016x}",
            url=doc.url,
            canonical_url=doc.url,
            source=doc.source,
            title=doc.title,
            body=doc.body,
            content_hash=f"{number:064x}",
            word_count=len(doc.body.split()),
            fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
            language=doc.language,
        )
        for number, doc in enumerate(docs)
    ]
    started = time.process_time()
    for start in range(0, len(articles), BATCH):
        classify_batch.fn(articles[start : start + BATCH], taxonomy, "bench", model)
    return len(articles) / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--articles", type=int, default=2_000, help="to train on, and as many to label"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vocabulary = make_vocabulary(rng, 20_000)
    taxonomy = parse_taxonomy(make_taxonomy(rng, vocabulary, 100, 300), origin="bench")
    articles = make_articles(rng, vocabulary, 2 * args.articles)
    golds = [
        {label.label for label in taxonomy.classify(doc) if "/" not in label.label}
        for doc in articles
    ]
    pairs = [(doc.title, doc.body) for doc in articles]
    train, test = pairs[: args.articles], pairs[args.articles :]

    started = time.process_time()
    model = fit(train, golds[: args.articles], sorted(taxonomy.labels))
    trained = time.process_time() - started

    started = time.process_time()
    labels = model.classify_many(test)
    elapsed = time.process_time() - started

    print(f"model: {len(model.labels)} labels, trained on {len(train)} articles in {trained:.1f} s")
    given = sum(map(len, labels)) / len(labels)
    expected = sum(map(len, golds[args.articles :])) / len(labels)
    print(f"labels per article: {given:.1f} given, {expected:.1f} by the rules (mean)")
    rate = len(test) / elapsed
    print(f"labelled {len(test)} in {elapsed:.2f} s: {rate:,.0f} articles/s on one core")
    tested = articles[args.articles :]
    rules, both = stage_rate(tested, None), stage_rate(tested, model)
    print(
        f"classify stage, shipped taxonomy, batches of {BATCH}: {rules:,.0f} articles/s "
        f"with rules alone, {both:,.0f} with the model beside it (one core)"
    )


if __name__ == "__main__":
    main()
