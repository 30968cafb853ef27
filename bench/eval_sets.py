"""Build the extraction evaluation sets (<set>/<id>.html + <id>.json) from public git mirrors.

The pages come from mirrors of public repositories (geodrome/page-signal for
L3S-GN1, mozilla/readability, j-szulc/html-cleaning-dataset-merged for dragnet
and CleanEval, adbar/htmldate for its MediaCloud set) under /work/.mirror, as
the search tool's fetch leaves them; nothing they hold is committed here.
`bench/eval_extraction.py --make-subset` then picks the small CI subset.

Layout of every <id>.json: {"url","title","author","date","body","split","lang"}; fields are
null when the set has no ground truth for them. split is "tune" or "heldout" (sha1 of set+id).
The data it writes is never committed.
"""

import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import lxml.html

OUT = Path("/work/evaldata")  # --out
M = Path("/work/.mirror")  # --mirrors: one <owner>+<name>/repo git directory per repository


def git(repo, *args):
    return subprocess.run(
        ["git", f"--git-dir={M / repo / 'repo'}", *args], capture_output=True, check=True
    ).stdout


def ls(repo, folder):
    return git(repo, "ls-tree", "--name-only", "HEAD", folder + "/").decode().split()


def show(repo, path):
    return git(repo, "show", f"HEAD:{path}")


def split_of(name, ident):
    return "heldout" if hashlib.sha1(f"{name}/{ident}".encode()).digest()[0] % 2 else "tune"


def write(name, ident, html, truth):
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{ident}.html").write_bytes(html)
    rec = {"url": None, "title": None, "author": None, "date": None, "body": None, "lang": None}
    rec.update({k: v for k, v in truth.items() if isinstance(v, (str, list))})
    rec["split"] = split_of(name, ident)
    (d / f"{ident}.json").write_text(json.dumps(rec, ensure_ascii=False, indent=1))


def text_of(el):
    return re.sub(r"[ \t\r\f\v]+", " ", el.text_content()).strip()


def l3s():
    repo = "geodrome+page-signal"
    base = "L3S-GN1-20100130203947-00001"
    urls = {}
    for line in show(repo, f"{base}/url-mapping.txt").decode().splitlines():
        uid, _, url = line.partition("\t")
        urls[uid.strip("<>").removeprefix("urn:uuid:")] = url.strip()
    n = 0
    for path in ls(repo, f"{base}/annotated"):
        ident = Path(path).stem
        ann = lxml.html.fromstring(show(repo, path))
        # Annotated spans nest; the outermost ones hold the text once (the inner would repeat it).
        marked = ann.xpath(
            "//span[contains(@class,'x-nc-sel2')][not(ancestor::span[contains(@class,'x-nc-sel2')])]"
        )
        body = "\n".join(t for t in (text_of(s) for s in marked) if t)
        heads = list(
            dict.fromkeys(
                h
                for h in (text_of(s) for s in ann.xpath("//span[contains(@class,'x-nc-sel1')]"))
                if h
            )
        )
        title = heads[0] if heads else None
        write(
            "l3s-gn1",
            ident,
            show(repo, f"{base}/original/{ident}.html"),
            {"url": urls.get(ident), "title": title, "titles": heads, "body": body, "lang": "en"},
        )
        n += 1
    return n


def readability():
    repo = "mozilla+readability"
    n = 0
    for path in ls(repo, "test/test-pages"):
        ident = Path(path).name
        meta = json.loads(show(repo, f"{path}/expected-metadata.json"))
        exp = lxml.html.fromstring(show(repo, f"{path}/expected.html").decode("utf-8", "replace"))
        blocks = exp.xpath(
            "//p|//h1|//h2|//h3|//h4|//h5|//h6|//li|//pre|//blockquote[not(.//p)]|//td[not(.//p)]"
        )
        body = "\n".join(t for t in (text_of(b) for b in blocks) if t) or text_of(exp)
        write(
            "readability",
            ident,
            show(repo, f"{path}/source.html"),
            {
                "title": meta.get("title"),
                "author": meta.get("byline"),
                "date": meta.get("publishedTime"),
                "body": body,
                "lang": meta.get("lang"),
            },
        )
        n += 1
    return n


def merged(folder, name, strip_tags, limit=None):
    repo = "j-szulc+html-cleaning-dataset-merged"
    n = 0
    paths = sorted(
        ls(repo, f"{folder}/GoldStandard"), key=lambda p: hashlib.sha1(p.encode()).digest()
    )
    for path in paths[:limit]:
        if not path.endswith(".txt"):
            continue
        ident = Path(path).stem
        try:
            html = show(repo, f"{folder}/input/{ident}.html")
        except subprocess.CalledProcessError:
            continue
        gold = show(repo, path).decode("utf-8", "replace")
        url = None
        if gold.startswith("URL:"):
            first, _, gold = gold.partition("\n")
            url = first[4:].strip()
        gold = gold.split("!@#$%^&*()  COMMENTS")[0]
        if strip_tags:
            gold = re.sub(r"<(p|h|l)>", "\n", gold)
        body = "\n".join(line.strip() for line in gold.splitlines() if line.strip())
        write(name, ident, html, {"url": url, "body": body})
        n += 1
    return n


def htmldate_sets():
    repo = "adbar+htmldate"
    n = 0
    for jname, folders, name in (
        ("eval_mediacloud_2020.json", ("test_set",), "htmldate-mediacloud"),
    ):
        truth = json.loads(show(repo, f"tests/{jname}"))
        for url, t in truth.items():
            for folder in folders:
                try:
                    html = show(repo, f"tests/{folder}/{t['file']}")
                except subprocess.CalledProcessError:
                    continue
                write(name, Path(t["file"]).stem, html, {"url": url, "date": t["date"]})
                n += 1
                break
    return n


SETS = {
    "l3s-gn1": l3s,
    "readability": readability,
    "dragnet": lambda: merged("dragnet_data", "dragnet", False, 400),
    "cleaneval": lambda: merged("cleaneval-final", "cleaneval", True),
    "htmldate-mediacloud": htmldate_sets,
}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=M, help="where the git mirrors are")
    parser.add_argument("--out", type=Path, default=OUT, help="where the sets are written")
    parser.add_argument("sets", nargs="*", help=f"some of {', '.join(SETS)} (default: all)")
    args = parser.parse_args()
    if unknown := set(args.sets) - set(SETS):
        parser.error(f"no such set: {', '.join(sorted(unknown))}")
    M, OUT = args.mirrors, args.out
    for name in args.sets or SETS:
        print(name, SETS[name](), file=sys.stderr)
