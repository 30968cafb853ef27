"""Extraction quality on public pages with ground truth: mediawatch next to bare trafilatura.

Reads sets of real pages laid out as `<data>/<set>/<id>.html` + `<id>.json`
(ground truth `{"url","title","author","date","body","lang","split"}`, null when
unknown; see `/work/evaldata/README.txt` for the sets used) and prints, per set,
body precision/recall/F1, title/author/date accuracy and CPU time per page for:

  mediawatch .html   the page as a saved `.html` file through `read_saved` and `extract`
  mediawatch .txt    the page rendered as a browser shows it (inscriptis), saved as `.txt`
  trafilatura        bare `trafilatura.bare_extraction`: default, favor_precision, favor_recall

Body metric (the Zyte article-extraction-benchmark's, also used for trafilatura's
comparisons): tokens are `\\w+` runs; each text becomes the multiset of its
4-token shingles; per page tp/fp/fn are counted on the multisets and normalised
to sum to 1, so long pages weigh no more than short ones; precision, recall and
F1 come from the sums over the pages. Title: equal after Unicode, case, quote
and punctuation normalisation ("title"); "title~" also counts a title right when it
equals the gold one without a site-name segment at its start or end ("Headline |
Site": Readability's gold titles are Readability.js output and keep the site's
name, which mediawatch strips on purpose), the site being the page's
og:site_name or application-name or a label of its URL's host. Author: the
same set of names (a leading "By", and "and"/","/";"/"&" separators ignored),
or names all found in a gold byline that carries more (a date, a desk) and
including its first name. Date: the same calendar day (a gold date without
time of day matches an instant that falls on that day in some time zone,
UTC-12 to UTC+14). Pages whose truth lacks a field are not scored on it; a set
may list further right answers under "titles" (L3S-GN1 marks every
headline-like block). For `.txt` rows,
"<field> shown" gives the accuracy on the pages whose rendered text shows the
gold value at all, and their share (see `shown_fields`): the plain accuracy
stays the headline figure.

    .venv/bin/python bench/eval_extraction.py [--data ../shared/eval] [--split heldout]
    .venv/bin/python bench/eval_extraction.py --data /work/evaldata --split all --jobs 2
    .venv/bin/python bench/eval_extraction.py --data /work/evaldata --make-subset ../shared/eval
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from lxml.etree import LxmlError  # noqa: E402

from mediawatch.saved_folder import document_input  # noqa: E402
from schemas.records import Article  # noqa: E402
from transforms.charset import decode_html  # noqa: E402
from transforms.extract import extract  # noqa: E402
from transforms.saved_pages import UnreadableFile, file_identity, read_saved  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval"
SHINGLE = 4
_TOKEN = re.compile(r"\w+")
_NON_WORD = re.compile(r"[\W_]+")
_AUTHOR_SPLIT = re.compile(r"\s*(?:[,;&/|]|\band\b|\bund\b|\bet\b|\by\b)\s*", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_BY = re.compile(r"^\s*(?:by|von|par|por|di)\s+", re.I)
# A title's site-name segment: "Headline | Site", "Site - Headline", "Site: Headline".
_SITE_SEPARATOR = re.compile(r"\s+[|\-\u2013\u2014:\u00b7\u00bb]\s+|:\s+")
_SITE_META = re.compile(
    rb"<meta\b[^>]*?(?:property|name)\s*=\s*[\"']?(?:og:site_name|application-name)[\"'\s>]"
    rb"[^>]*?>",
    re.I,
)
_CONTENT = re.compile(rb"content\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I)
_HOST_NOISE = frozenset({"www", "m", "com", "co", "org", "net"})
SYSTEMS = (
    "mediawatch .html",
    "mediawatch .txt",
    "trafilatura default",
    "trafilatura precision",
    "trafilatura recall",
)
FIELDS = ("title", "author", "date")
COLUMNS = ("title", "title~", "author", "date")  # the table's accuracy columns
_READ_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Case:
    """One page of a set with its ground truth."""

    set_name: str
    ident: str
    html_path: Path
    truth: dict


@dataclass(frozen=True, slots=True)
class Prediction:
    """What one system found on one page; `seconds` is the CPU time it took."""

    body: str
    title: str | None
    author: str | None
    date: datetime | date | None
    seconds: float
    shown: frozenset[str] | None = None  # gold fields written in a `.txt` rendering


@dataclass(slots=True)
class Score:
    """Sums over the pages of one set for one system."""

    pages: int = 0
    tp: float = 0.0
    fp: float = 0.0
    fn: float = 0.0
    right: Counter = field(default_factory=Counter)
    scored: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    answerable: Counter = field(default_factory=Counter)  # scored and shown in the text
    answered: Counter = field(default_factory=Counter)  # of those, right

    def add(self, truth: dict, pred: Prediction, sites: Sequence[str] = ()) -> None:
        """Add one page's prediction against its ground truth; `sites` are the page's site
        names, for the site-name-insensitive title figure ("title~")."""
        self.pages += 1
        self.seconds += pred.seconds
        if truth.get("body"):
            tp, fp, fn = shingle_match(truth["body"], pred.body)
            self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn
        checks = {"title": title_right, "author": author_right, "date": date_right}
        for name, check in checks.items():
            if truth.get(name):  # a set may list more right answers under "<field>s"
                golds = [g for g in [truth[name], *truth.get(f"{name}s", [])] if isinstance(g, str)]
                self.scored[name] += 1
                right = any(check(gold, getattr(pred, name)) for gold in golds)
                self.right[name] += right
                if pred.shown is not None and name in pred.shown:
                    self.answerable[name] += 1
                    self.answered[name] += right
                if name == "title":
                    self.scored["title~"] += 1
                    self.right["title~"] += any(
                        title_right(bare, pred.title)
                        for gold in golds
                        for bare in without_site(gold, sites)
                    )

    def prf(self) -> tuple[float, float, float] | None:
        """Body precision, recall and F1, or None when no page had a gold body."""
        if not self.tp + self.fp + self.fn:
            return None
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    def accuracy(self, name: str) -> float | None:
        """Share of the pages with a gold `name` that got it right."""
        return self.right[name] / self.scored[name] if self.scored[name] else None

    def answerable_accuracy(self, name: str) -> tuple[float, float] | None:
        """Accuracy on the pages whose gold `name` the rendered text shows, and their share."""
        if not self.answerable[name]:
            return None
        answerable = self.answerable[name]
        return self.answered[name] / answerable, answerable / self.scored[name]

    def as_dict(self) -> dict[str, float | int | None]:
        """The figures the table shows, by name (also what the quality floors compare)."""
        prf = self.prf()
        return {
            "pages": self.pages,
            "precision": prf[0] if prf else None,
            "recall": prf[1] if prf else None,
            "f1": prf[2] if prf else None,
            **{name: self.accuracy(name) for name in COLUMNS},
            **{
                f"{name}_answerable": answerable[0]
                for name in FIELDS
                if (answerable := self.answerable_accuracy(name))
            },
            "ms_per_page": 1000 * self.seconds / self.pages if self.pages else None,
        }


# --- metrics ---------------------------------------------------------------


def shingles(text: str | None) -> Counter:
    """The multiset of 4-token shingles of a text (one shingle if it is shorter)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(
        " ".join(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))
    )


def shingle_match(truth: str, pred: str | None) -> tuple[float, float, float]:
    """tp, fp, fn of one page on shingle multisets, normalised to sum to 1."""
    gold, found = shingles(truth), shingles(pred)
    gold.pop("", None)
    found.pop("", None)
    tp = sum((gold & found).values())
    fp = sum((found - gold).values())
    fn = sum((gold - found).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def title_right(truth: str, pred: str | None) -> bool:
    """The predicted title is the gold one, up to case, quotes and punctuation."""
    return bool(pred) and _normal(truth) == _normal(pred)


def site_names(html: bytes, url: str | None) -> list[str]:
    """The page's own names for its site: og:site_name, application-name, its host's labels."""
    names = []
    for tag in _SITE_META.findall(html[:200_000]):
        if found := _CONTENT.search(tag):
            names.append((found.group(1) or found.group(2) or b"").decode("utf-8", "replace"))
    if url and (host := urlsplit(url).hostname):
        names.extend(label for label in host.split(".")[:-1] if label not in _HOST_NOISE)
    return [name for name in names if _squash(name)]


def _squash(text: str) -> str:
    return _normal(text).replace(" ", "")


def _is_site_segment(segment: str, sites: Sequence[str]) -> bool:
    """A title segment that is the site's name: equal to one, one holding the other
    ("Factorio" of "Factorio.com"), or a domain name."""
    seg = _squash(segment)
    if not seg:
        return False
    if re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", segment.strip()):
        return True  # "Globalnews.ca"
    return any(
        (name := _squash(site))
        and (seg == name or (len(name) >= 3 and name in seg) or (len(seg) >= 4 and seg in name))
        for site in sites
    )


def without_site(title: str, sites: Sequence[str]) -> list[str]:
    """The gold title itself and, when it starts or ends with a site-name segment, the
    title without it ("Headline | Site" -> "Headline"; "Site: Headline | Site" too)."""
    cuts = list(_SITE_SEPARATOR.finditer(title))
    if not cuts:
        return [title]
    start = cuts[0].end() if _is_site_segment(title[: cuts[0].start()], sites) else 0
    end = cuts[-1].start() if _is_site_segment(title[cuts[-1].end() :], sites) else len(title)
    found = [title, title[start:], title[:end]]
    if len(cuts) > 1:
        found.append(title[start:end])
    return list(dict.fromkeys(t for t in found if t.strip()))


def author_names(text: str) -> frozenset[str]:
    """The set of normalised names in a byline ("By A and B, C" -> {a, b, c})."""
    names = (_normal(_BY.sub("", part)) for part in _AUTHOR_SPLIT.split(text))
    return frozenset(name for name in names if name)


def author_right(truth: str, pred: str | None) -> bool:
    """The same names; or, as gold bylines carry extras ("By A, MA  WebMD Health News",
    "A (avec B)"), every predicted name is in the gold byline and its first name is found."""
    if not pred:
        return False
    found, gold = author_names(pred), author_names(truth)
    if found == gold:
        return True
    text, first = _normal(truth), _normal(_BY.sub("", _AUTHOR_SPLIT.split(truth)[0]))
    return bool(found) and all(n in text for n in found) and any(n in first for n in found)


def date_right(truth: str, pred: datetime | date | None) -> bool:
    """The predicted date falls on the gold day (see the module docstring)."""
    if pred is None:
        return False
    gold = datetime.fromisoformat(truth.replace("Z", "+00:00"))
    if not isinstance(pred, datetime):
        return pred == gold.date()
    if pred.tzinfo is None:
        pred = pred.replace(tzinfo=UTC)
    if "T" in truth or " " in truth.strip():
        zone = gold.tzinfo or UTC
        return pred.astimezone(zone).date() == gold.date()
    return any((pred + timedelta(hours=h)).date() == gold.date() for h in range(-12, 15))


# --- systems ---------------------------------------------------------------


def _sidecar(truth: dict) -> bytes | None:
    return json.dumps({"url": truth["url"]}).encode() if truth.get("url") else None


def _through_pages(name: str, data: bytes, truth: dict) -> tuple:
    """The page as `mediawatch pages` reads it: saved file (+ sidecar) -> article."""
    try:
        result = read_saved(name, data, _sidecar(truth))
    except UnreadableFile:
        return "", None, None, None
    doc = result.documents[0]
    made = document_input(
        doc,
        url=doc.url or file_identity(doc.content_hash),
        source="eval",
        read_at=_READ_AT,
        raw_file=name,
    )
    article = made if isinstance(made, Article) else extract(made)
    if not isinstance(article, Article):
        return "", None, None, None
    return article.body, article.title, article.author, article.published_at


def render_text(html: bytes) -> str:
    """The page's text as a browser shows it (what "select all, copy" gives)."""
    from inscriptis import get_text  # a dev dependency: imported only when text is scored

    return get_text(_XML_DECLARATION.sub("", decode_html(html, None), count=1))


def shown_fields(truth: dict, text: str) -> frozenset[str]:
    """The gold title, author and date that a text rendering actually shows (normalised).

    A title or author is shown when its normalised words (all of an author's
    names) occur in the normalised text; a date when a line of the text holds a
    date on the gold day, as mediawatch's date reader finds it. Readability's
    gold titles and bylines are Readability.js output, often not on the page.
    """
    from transforms.plaintext import default_text_rules, detect_language, search_date

    normal = f" {_normal(text)} "
    shown = set()
    if truth.get("title") and any(
        f" {_normal(g)} " in normal for g in [truth["title"], *truth.get("titles", [])] if g
    ):
        shown.add("title")
    names = author_names(truth["author"]) if truth.get("author") else frozenset()
    if names and all(f" {name} " in normal for name in names):
        shown.add("author")
    if truth.get("date"):
        lang = detect_language(_TOKEN.findall(text.lower())[:3000], default_text_rules())
        if any(date_right(truth["date"], search_date(line, lang)) for line in text.splitlines()):
            shown.add("date")
    return frozenset(shown)


def _trafilatura(html: bytes, truth: dict, **options: bool) -> tuple:
    doc = trafilatura.bare_extraction(
        html, url=truth.get("url"), with_metadata=True, include_comments=False, **options
    )
    if doc is None:
        return "", None, None, None
    day = date.fromisoformat(doc.date) if doc.date else None
    return doc.text or "", doc.title, doc.author, day


def run_system(system: str, case: Case) -> Prediction:
    """Run one system on one page and time it (CPU time of this process)."""
    html = case.html_path.read_bytes()
    start = time.process_time()
    text = None
    try:
        if system == "mediawatch .html":
            out = _through_pages(f"{case.ident}.html", html, case.truth)
        elif system == "mediawatch .txt":
            text = render_text(html)
            out = _through_pages(f"{case.ident}.txt", text.encode(), case.truth)
        else:
            option = system.rsplit(maxsplit=1)[-1]
            flags = {"precision": {"favor_precision": True}, "recall": {"favor_recall": True}}
            out = _trafilatura(html, case.truth, **flags.get(option, {}))
    except (ValueError, LxmlError) as exc:  # a crash scores as nothing found, and is shown
        print(f"{system}: {case.set_name}/{case.ident}: {exc}", file=sys.stderr)
        out = ("", None, None, None)
    seconds = time.process_time() - start
    shown = shown_fields(case.truth, text) if text is not None else None
    return Prediction(*out, seconds=seconds, shown=shown)


def _run_case(
    args: tuple[Case, Sequence[str]],
) -> tuple[Case, dict[str, Prediction], list[str]]:
    case, systems = args
    sites = site_names(case.html_path.read_bytes(), case.truth.get("url"))
    return case, {system: run_system(system, case) for system in systems}, sites


# --- data ------------------------------------------------------------------


def load_cases(data: Path, split: str = "heldout", sets: Iterable[str] = ()) -> list[Case]:
    """Every page of the chosen sets and split ("all" for both), in a stable order."""
    wanted = set(sets)
    cases = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        if wanted and folder.name not in wanted:
            continue
        for truth_path in sorted(folder.glob("*.json")):
            html_path = truth_path.with_suffix(".html")
            if not html_path.exists():
                continue  # not a page's ground truth: a labelled set's own file, say
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            if split in ("all", truth.get("split")):
                cases.append(Case(folder.name, truth_path.stem, html_path, truth))
    return cases


def evaluate(
    cases: Sequence[Case], systems: Sequence[str] = SYSTEMS, jobs: int = 1
) -> dict[str, dict[str, Score]]:
    """Scores by set, then by system."""
    scores: dict[str, dict[str, Score]] = {}
    work = [(case, systems) for case in cases]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results: Iterable = list(pool.map(_run_case, work, chunksize=4))
    else:
        results = map(_run_case, work)
    for case, predictions, sites in results:
        by_system = scores.setdefault(case.set_name, {})
        for system, prediction in predictions.items():
            by_system.setdefault(system, Score()).add(case.truth, prediction, sites)
    return scores


def make_subset(
    data: Path, out: Path, per_set: int, sets: Iterable[str] = (), max_page_bytes: int = 0
) -> int:
    """Copy a small deterministic sample of held-out pages of every set (or of `sets`) into
    `out`: the first `per_set` in hash order, skipping pages over `max_page_bytes` (if set)."""
    count = 0
    wanted = set(sets)
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        cases = load_cases(data, "heldout", [folder.name])
        if not cases or (wanted and folder.name not in wanted):
            continue  # not a set of pages (other data may share the folder), or not asked for
        cases.sort(key=lambda c: hashlib.sha1(c.ident.encode()).hexdigest())
        if max_page_bytes:
            cases = [c for c in cases if c.html_path.stat().st_size <= max_page_bytes]
        target = out / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for case in cases[:per_set]:
            shutil.copy2(case.html_path, target / case.html_path.name)
            shutil.copy2(case.html_path.with_suffix(".json"), target / f"{case.ident}.json")
            count += 1
    return count


# --- output ----------------------------------------------------------------


def _cell(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _shown_cell(score: Score, name: str) -> str:
    """Accuracy on the pages whose rendered text shows the gold `name`, and their share."""
    found = score.answerable_accuracy(name)
    return "-" if found is None else f"{found[0]:.3f} of {100 * found[1]:.0f}%"


def table(scores: dict[str, dict[str, Score]]) -> str:
    """The per-set tables as Markdown."""
    lines = []
    header = (
        "| system | pages | body P | body R | body F1 | title | title~ | author | date | ms/page |"
    )
    header += "".join(f" {name} shown |" for name in FIELDS)
    for set_name, by_system in scores.items():
        lines += [f"\n{set_name}\n", header, "|" + "---|" * 13]
        for system in SYSTEMS:
            if system not in by_system:
                continue
            s = by_system[system].as_dict()
            cells = [s["precision"], s["recall"], s["f1"], *(s[f] for f in COLUMNS)]
            lines.append(
                f"| {system} | {s['pages']} | "
                + " | ".join(_cell(v) for v in cells)
                + f" | {_cell(s['ms_per_page'], 1)} |"
                + "".join(f" {_shown_cell(by_system[system], name)} |" for name in FIELDS)
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: evaluate, or build the small subset CI uses."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of sets")
    parser.add_argument("--split", default="heldout", choices=("heldout", "tune", "all"))
    parser.add_argument("--set", action="append", default=[], help="only this set (repeatable)")
    parser.add_argument("--system", action="append", choices=SYSTEMS, help="only this system")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--make-subset", type=Path, metavar="OUT", help="copy a sample to OUT")
    parser.add_argument("--per-set", type=int, default=12, help="pages per set for --make-subset")
    parser.add_argument(
        "--max-page-bytes", type=int, default=0, help="--make-subset skips bigger pages"
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"Error: no evaluation data at {args.data} (see --data)", file=sys.stderr)
        return 2
    if args.make_subset:
        count = make_subset(
            args.data, args.make_subset, args.per_set, args.set, args.max_page_bytes
        )
        print(f"{count} pages copied to {args.make_subset}")
        return 0
    cases = load_cases(args.data, args.split, args.set)
    started = time.monotonic()
    scores = evaluate(cases, args.system or SYSTEMS, args.jobs)
    print(table(scores))
    print(f"\n{len(cases)} pages ({args.split}) in {time.monotonic() - started:.0f} s")
    print("title~: also right when equal to the gold title without its site-name segment")
    if args.json:
        figures = {
            set_name: {system: score.as_dict() for system, score in by_system.items()}
            for set_name, by_system in scores.items()
        }
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
