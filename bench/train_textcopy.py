"""Learn the text-copy models from the "tune" half of the evaluation pages.

Every tune page is rendered as a browser shows it (inscriptis, as `make eval`
does). `--model block`: each line of the copy is an example, labelled story
when most of its 4-word shingles (or, for a short line, its words in order)
are in the page's true body. `--model title`: each headline candidate line is
an example, labelled right when it matches the page's true headline. A logistic
regression over the features (`transforms.plaintext.BLOCK_FEATURES` /
`TITLE_FEATURES`) gives the weights, printed as the `block_model:` /
`title_model:` block of `mediawatch/defaults/textcopy.yaml`: only weights, no
page text. Held-out pages are never read, so `make eval` stays an honest check.
Train the block model first: the headline features read the block classes.

    .venv/bin/python bench/train_textcopy.py --data /work/evaldata --model block
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.eval_extraction import load_cases, render_text, shingles, title_right  # noqa: E402
from transforms.plaintext import (  # noqa: E402
    BLOCK_FEATURES,
    TITLE_FEATURES,
    block_candidates,
    title_candidates,
)

_TOKEN = re.compile(r"\w+")


def _copies(data: Path, field: str) -> Iterator[tuple[dict, str]]:
    """(truth, text copy) of every tune page whose truth has `field`."""
    for case in load_cases(data, "tune"):
        if not case.truth.get(field):
            continue
        try:
            yield case.truth, render_text(case.html_path.read_bytes())
        except ValueError:  # a page lxml cannot read is no example
            continue


def _in_body(line: str, gold: set, gold_text: str) -> bool:
    """Whether a line of the copy is part of the true body."""
    own = shingles(line)
    if own:
        return sum(own[s] for s in own if s in gold) >= 0.5 * sum(own.values())
    words = " ".join(_TOKEN.findall(line.lower()))
    return bool(words) and f" {words} " in gold_text


def block_examples(data: Path) -> Iterator[tuple[list[float], int]]:
    """Every line of every tune copy with a true body, labelled story or not."""
    for truth, text in _copies(data, "body"):
        gold = set(shingles(truth["body"]))
        gold_text = " " + " ".join(_TOKEN.findall(truth["body"].lower())) + " "
        for line, features in block_candidates(text):
            yield features, int(_in_body(line, gold, gold_text))


def title_examples(data: Path) -> Iterator[tuple[list[float], int]]:
    """Headline candidates of the tune copies whose true headline is among them."""
    for truth, text in _copies(data, "title"):
        golds = [g for g in [truth["title"], *truth.get("titles", [])] if isinstance(g, str) and g]
        candidates = title_candidates(text)
        marks = [any(title_right(g, line) for g in golds) for line, _ in candidates]
        if any(marks):  # a page whose headline is not a candidate teaches nothing
            yield from (
                (features, int(mark)) for (_, features), mark in zip(candidates, marks, strict=True)
            )


def main() -> None:
    """Fit one model and print its YAML block."""
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of evaluation sets")
    parser.add_argument("--model", choices=("block", "title"), required=True)
    args = parser.parse_args()
    source, names = (
        (block_examples, BLOCK_FEATURES)
        if args.model == "block"
        else (title_examples, TITLE_FEATURES)
    )
    pairs = list(source(args.data))
    rows, labels = [p[0] for p in pairs], [p[1] for p in pairs]
    model = LogisticRegression(C=1.0, max_iter=3000).fit(rows, labels)
    print(f"# {len(rows)} lines, {sum(labels)} positive", file=sys.stderr)
    print(f"{args.model}_model:")
    print(f"  bias: {model.intercept_[0]:.4f}")
    print("  weights:")
    for name, weight in zip(names, model.coef_[0], strict=True):
        print(f"    {name}: {weight:.4f}")


if __name__ == "__main__":
    main()
