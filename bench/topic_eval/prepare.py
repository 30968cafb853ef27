"""Turn the public labelled news sets into `taxonomy test` JSON Lines, split into dev and test.

AG News (its test split, `test.csv`: class 1-4, title, description) and BBC
News (`bbc-text.csv`: category, text) are not in the repository; fetch them
and run:

    python bench/topic_eval/prepare.py AG_NEWS_TEST_CSV BBC_TEXT_CSV OUT_DIR

Rows alternate between `<set>-dev.jsonl` (for tuning rules) and
`<set>-test.jsonl` (held out, for the README figures), so both halves keep the
class mix of the whole file.

A Wikinews export with its categories (JSON Lines of `title`, `text` as a
string or a list of paragraphs, `categories`, and optionally `lang` and
`type`, as in PrimerAI/WikiNews-multilingual) becomes one labelled file
instead, keeping English articles that carry at least one of the topical
categories of `wikinews-map.yaml`:

    python bench/topic_eval/prepare.py --wikinews WIKINEWS_JSONL OUT_JSONL

A MasakhaNEWS split (`data/<lang>/test.tsv` of masakhane-io/masakhane-news:
category, headline, text, url; BBC News articles in English, BBC Afrique in
French) becomes one labelled file with its rows interleaved class by class, so
any first N rows keep the class mix (the floor test reads a prefix):

    python bench/topic_eval/prepare.py --masakhanews TEST_TSV OUT_JSONL

The News Category Dataset (HuffPost headlines and short descriptions, JSON
Lines of `category`, `headline`, `short_description`) is split like AG News,
into `huffpost-dev.jsonl` and `huffpost-test.jsonl`:

    python bench/topic_eval/prepare.py --huffpost NEWS_CATEGORY_JSONL OUT_DIR
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain, zip_longest
from pathlib import Path

import yaml

AG_CLASSES = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}
WIKINEWS_MAP = Path(__file__).with_name("wikinews-map.yaml")


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


def wikinews(path: Path, topics: Iterable[str]) -> Iterable[dict[str, object]]:
    """English Wikinews articles with their topical categories as labels; others are skipped."""
    wanted = set(topics)
    with path.open(encoding="utf-8") as rows:
        for line in rows:
            record = json.loads(line)
            if record.get("lang", "en") != "en" or record.get("type", "title") != "title":
                continue
            labels = sorted(wanted.intersection(record.get("categories") or ()))
            text = record.get("text") or ""
            body = "\n".join(text) if isinstance(text, list) else text
            if labels and body.strip():
                yield {"title": record.get("title") or "", "text": body, "labels": labels}


def huffpost(path: Path) -> Iterable[dict[str, str]]:
    """News Category Dataset rows: the headline, its short description as the body."""
    with path.open(encoding="utf-8") as rows:
        for line in rows:
            record = json.loads(line)
            yield {
                "title": record["headline"],
                "body": record["short_description"],
                "label": record["category"],
            }


def masakhanews(path: Path) -> Iterable[dict[str, str]]:
    """MasakhaNEWS rows in round-robin order of their categories (each in file order)."""
    csv.field_size_limit(1 << 24)  # some article bodies exceed csv's 128 KiB default
    by_label: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            record = {"title": row["headline"], "body": row["text"], "label": row["category"]}
            by_label[row["category"]].append(record)
    rounds = zip_longest(*(by_label[label] for label in sorted(by_label)))
    return [record for record in chain.from_iterable(rounds) if record is not None]


def write_split(records: Iterable[dict[str, str]], out: Path, name: str) -> None:
    """Write alternate rows to `<name>-dev.jsonl` and `<name>-test.jsonl`."""
    out.mkdir(parents=True, exist_ok=True)
    with (
        (out / f"{name}-dev.jsonl").open("w", encoding="utf-8") as dev,
        (out / f"{name}-test.jsonl").open("w", encoding="utf-8") as test,
    ):
        for number, record in enumerate(records):
            (dev if number % 2 == 0 else test).write(json.dumps(record) + "\n")


def write_jsonl(records: Iterable[dict[str, object]], target: Path) -> None:
    """One JSON object per line, non-ASCII text kept as it is."""
    with target.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__" and sys.argv[1] == "--huffpost":
    write_split(huffpost(Path(sys.argv[2])), Path(sys.argv[3]), "huffpost")
elif __name__ == "__main__" and sys.argv[1] == "--masakhanews":
    write_jsonl(masakhanews(Path(sys.argv[2])), Path(sys.argv[3]))
elif __name__ == "__main__" and sys.argv[1] == "--wikinews":
    source, target = map(Path, sys.argv[2:4])
    categories = yaml.safe_load(WIKINEWS_MAP.read_text(encoding="utf-8"))
    write_jsonl(wikinews(source, categories), target)
elif __name__ == "__main__":
    ag_csv, bbc_csv, out_dir = map(Path, sys.argv[1:4])
    write_split(agnews(ag_csv), out_dir, "agnews")
    write_split(bbc(bbc_csv), out_dir, "bbc")
