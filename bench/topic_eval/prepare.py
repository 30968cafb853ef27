"""Turn the public labelled news sets into `taxonomy test` JSON Lines, split into dev and test.

AG News (its test split, `test.csv`: class 1-4, title, description) and BBC
News (`bbc-text.csv`: category, text) are not in the repository; fetch them
and run:

    python bench/topic_eval/prepare.py AG_NEWS_TEST_CSV BBC_TEXT_CSV OUT_DIR

Rows alternate between `<set>-dev.jsonl` (for tuning rules) and
`<set>-test.jsonl` (held out, for the README figures), so both halves keep the
class mix of the whole file.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path

AG_CLASSES = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}


def agnews(path: Path) -> Iterable[dict[str, str]]:
    """AG News rows: the description's backslashes are line breaks in the original feed."""
    with path.open(encoding="utf-8", newline="") as rows:
        for label, title, description in csv.reader(rows):
            yield {
                "title": title,
                "body": description.replace("\\", " "),
                "label": AG_CLASSES[label],
            }


def bbc(path: Path) -> Iterable[dict[str, str]]:
    """BBC News rows: no separate title, the text is lowercased as published in the set."""
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            yield {"title": "", "body": row["text"], "label": row["category"]}


def write_split(records: Iterable[dict[str, str]], out: Path, name: str) -> None:
    """Write alternate rows to `<name>-dev.jsonl` and `<name>-test.jsonl`."""
    out.mkdir(parents=True, exist_ok=True)
    with (
        (out / f"{name}-dev.jsonl").open("w", encoding="utf-8") as dev,
        (out / f"{name}-test.jsonl").open("w", encoding="utf-8") as test,
    ):
        for number, record in enumerate(records):
            (dev if number % 2 == 0 else test).write(json.dumps(record) + "\n")


if __name__ == "__main__":
    ag_csv, bbc_csv, out_dir = map(Path, sys.argv[1:4])
    write_split(agnews(ag_csv), out_dir, "agnews")
    write_split(bbc(bbc_csv), out_dir, "bbc")
