"""Benchmark the topic classifier on synthetic articles and a synthetic taxonomy.

Generates (seeded, so runs compare) N articles of about 800 words drawn from a
Zipf-distributed invented vocabulary, and a taxonomy of M rules that uses the
whole query language (phrases, wildcards, NEAR, slop, NOT, field scopes,
nested topics). Prints compile time and single-core articles per second.

    .venv/bin/python bench/bench_classify.py [--articles 10000 --rules 1000 --seed 7]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from collections.abc import Callable

from transforms.classify import Document, parse_taxonomy

SYLLABLES = [
    "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ba", "de", "fo", "gu", "ha", "ji",
    "pe", "qui", "ro", "su", "ta", "zo", "an", "el", "or", "un", "is", "ré", "çu", "mé",
]  # fmt: skip
ACCENT_SHARE = 0.05
ARTICLE_WORDS = 800
CHILDREN_PER_PARENT = 9


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(1, 4)))
        if rng.random() > ACCENT_SHARE:
            word = word.replace("é", "e").replace("ç", "c")
        words.add(word)
    return sorted(words)


def make_articles(rng: random.Random, vocabulary: list[str], count: int) -> list[Document]:
    weights = list(itertools.accumulate(1 / rank**1.05 for rank in range(1, len(vocabulary) + 1)))
    articles = []
    for number in range(count):
        words = rng.choices(vocabulary, cum_weights=weights, k=ARTICLE_WORDS + 10)
        parts = []
        for position, word in enumerate(words[10:], 1):
            parts.append(word.capitalize() if position % 17 == 1 else word)
            parts.append("\n\n" if position % 90 == 0 else ", " if position % 13 == 0 else " ")
        title = " ".join(words[:10]).capitalize()
        url = f"https://news{number % 50}.example.com/{words[0]}/{'-'.join(words[1:5])}"
        articles.append(Document(title, "".join(parts), url, f"Source {number % 50}", "en"))
    return articles


def make_taxonomy(rng: random.Random, vocabulary: list[str], rules: int, min_rank: int) -> str:
    """YAML with rules/10 parents and 9 children each, on words ranked `min_rank` or rarer.

    Real rules name topical words and entities, not the few hundred most common
    words; a low `min_rank` makes a denser, slower workload (more labels per article).
    """
    pool = vocabulary[min_rank:]

    def word() -> str:
        return rng.choice(pool)

    templates: list[Callable[[], str]] = [
        lambda: f"{word()} AND {word()}",
        lambda: f"{word()} OR ({word()} {word()})",
        lambda: f'"{word()} {word()}"',
        lambda: f"{word()} NEAR/5 ({word()} OR {word()})",
        lambda: f'"{word()} {word()}"~3',
        lambda: f"{word()[:3]}* AND NOT {word()}",
        lambda: f"title:{word()} OR body:({word()} {word()})",
        lambda: f"url:{word()} OR {word()}",
        lambda: f"lang:en AND ({word()} OR {word()}) AND NOT source:{word()}",
    ]
    lines = ["topics:"]
    for parent in range(max(1, rules // (CHILDREN_PER_PARENT + 1))):
        query = " OR ".join(word() for _ in range(rng.randint(3, 6)))
        lines += [f"  - name: p{parent}", f"    query: {json.dumps(query)}", "    children:"]
        for child in range(CHILDREN_PER_PARENT):
            query = rng.choice(templates)()
            lines += [f"      - name: c{child}", f"        query: {json.dumps(query)}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-rank", type=int, default=300, help="commonest word rules may use")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vocabulary = make_vocabulary(rng, 20_000)
    text = make_taxonomy(rng, vocabulary, args.rules, args.min_rank)
    articles = make_articles(rng, vocabulary, args.articles)
    words = sum(len(doc.body.split()) for doc in articles) / len(articles)

    started = time.perf_counter()
    taxonomy = parse_taxonomy(text, origin="bench")
    compiled = time.perf_counter() - started

    started = time.perf_counter()
    labels = [len(taxonomy.classify(doc)) for doc in articles]
    elapsed = time.perf_counter() - started

    print(f"taxonomy: {len(taxonomy.labels)} labels, compiled in {compiled * 1000:.0f} ms")
    print(f"articles: {len(articles)} of {words:.0f} words on average")
    print(f"labels per article: {sum(labels) / len(labels):.1f} (mean)")
    print(f"classified in {elapsed:.2f} s: {len(articles) / elapsed:,.0f} articles/s on one core")


if __name__ == "__main__":
    main()
