"""Learn the headline ranker of text copies from the "tune" half of the evaluation pages.

Every tune page with a known headline is rendered as a browser shows it
(inscriptis, as `make eval` does); each headline candidate line of the copy
(`transforms.plaintext.title_candidates`) becomes one example, labelled right
when it matches the page's true headline. A logistic regression over those
features gives the weights, printed as the `title_model:` block of
`mediawatch/defaults/textcopy.yaml` (only weights: no page text is shipped).
Held-out pages are never read, so `make eval` stays an honest check.

    .venv/bin/python bench/train_textcopy_title.py --data /work/evaldata
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.eval_extraction import load_cases, render_text, title_right  # noqa: E402
from transforms.plaintext import TITLE_FEATURES, title_candidates  # noqa: E402


def examples(data: Path) -> tuple[list[list[float]], list[int]]:
    """Candidate features and labels from the tune pages that have a headline among them."""
    rows: list[list[float]] = []
    labels: list[int] = []
    for case in load_cases(data, "tune"):
        golds = [case.truth.get("title"), *case.truth.get("titles", [])]
        golds = [g for g in golds if isinstance(g, str) and g]
        if not golds:
            continue
        try:
            text = render_text(case.html_path.read_bytes())
        except ValueError:  # a page lxml cannot read is no example
            continue
        candidates = title_candidates(text)
        marks = [any(title_right(g, text) for g in golds) for text, _ in candidates]
        if any(marks):  # a page whose headline is not a candidate teaches nothing
            rows.extend(features for _, features in candidates)
            labels.extend(map(int, marks))
    return rows, labels


def main() -> None:
    """Fit the ranker and print its YAML block."""
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of evaluation sets")
    args = parser.parse_args()
    rows, labels = examples(args.data)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(rows, labels)
    print(f"# {len(rows)} candidate lines, {sum(labels)} right headlines", file=sys.stderr)
    print("title_model:")
    print(f"  bias: {model.intercept_[0]:.4f}")
    print("  weights:")
    for name, weight in zip(TITLE_FEATURES, model.coef_[0], strict=True):
        print(f"    {name}: {weight:.4f}")


if __name__ == "__main__":
    main()
