"""A deterministic corpus of invented news pages and the RSS feeds that link them.

Each page is built from its own seeded random stream (`Random(f"{seed}:{index}")`),
so page i is the same whatever the corpus size: a 1,000-page corpus is the
first 1,000 pages of a 20,000-page one. Pages look like real article pages,
which is what makes extraction cost what it costs: a head with inline CSS,
JSON-LD and analytics scripts, a cookie banner, a mega-menu, the article
with an inline newsletter box and a related-stories box, share tools,
related links, reader comments, a footer link farm and a large inline state
script; sizes are log-uniform between 20 and 300 KB. Six invented
publications write English, German and French in UTF-8, ISO-8859-1 and
windows-1252. The text is generated from word lists and templates.

Layout under the output folder:

    pages/<publication>/<yyyy>/<mm>/<slug>.html   the pages (what `mediawatch pages` reads)
    feeds/<publication>-<nnn>.xml                 RSS 2.0, 50 items each; links start `{{base}}`
    robots.txt                                    allows everything
    corpus.json                                   manifest: seed, sizes, feeds

    .venv/bin/python bench/corpus.py data/bench/corpus --pages 1000 [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

BASE = "{{base}}"  # replaced by the serving host, as in mediawatch/demo_site
ITEMS_PER_FEED = 50
MIN_BYTES, MAX_BYTES = 20_000, 300_000
EPOCH = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
# Bump when the pages change, so that corpora written before are not reused.
GENERATOR = 2


@dataclass(frozen=True, slots=True)
class Publication:
    """An invented publication: its slug, name, language and the charset it serves."""

    slug: str
    name: str
    lang: str
    charset: str


PUBLICATIONS = [
    Publication("harbour-post", "The Harbour Post", "en", "utf-8"),
    Publication("ledger-daily", "Ledger Daily", "en", "windows-1252"),
    Publication("nordblick", "Nordblick Zeitung", "de", "utf-8"),
    Publication("talkurier", "Talkurier", "de", "iso-8859-1"),
    Publication("le-veilleur", "Le Veilleur", "fr", "utf-8"),
    Publication("courrier-du-lac", "Le Courrier du Lac", "fr", "windows-1252"),
]


def _words(text: str) -> list[str]:
    return text.split()


# Everyday words of each language, and topical phrases the default taxonomy knows,
# so that pages get labels as real news would.
WORDS = {
    "en": _words("""the of and to in a is that for it as was with be by on not he this are or his
        from at which but have an they you were her she there been one all we their has
        would when if so no will more can out who up what about them into than its only
        government minister council city report people year week market company says said
        plan budget money households workers police court school hospital water energy
        price prices rise fall growth plans public local region officials analysts data
        shares bank rates trade tax housing transport roads storm election voters"""),
    "de": _words("""der die und in den von zu das mit sich des auf für ist im dem nicht ein eine
        als auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie
        einem über einen so zum war haben nur oder aber vor zur bis mehr durch man sein
        Regierung Minister Stadt Bericht Menschen Jahr Woche Markt Unternehmen Haushalt
        Geld Arbeit Polizei Gericht Schule Krankenhaus Wasser Energie Preise Wachstum
        Bürger Region Behörden Daten Bank Zinsen Handel Steuer Wohnungen Verkehr Straße
        Gemeinde Zukunft größer höher später früher"""),
    "fr": _words("""le de la et les des en un une du est que pour qui dans par sur pas au plus
        ne se avec il elle ce sont mais ou comme on aux tout nous été leur sans été très
        gouvernement ministre ville rapport habitants année semaine marché entreprise
        budget ménages travailleurs police tribunal école hôpital eau énergie prix hausse
        baisse croissance région élus données banque taux commerce impôt logement
        transports routes tempête électeurs déjà être où après même député"""),
}
TOPICS = {
    "en": [
        "TikTok and ByteDance",
        "Chinese government",
        "user data",
        "national security",
        "sanctions",
        "export controls",
        "central bank",
        "interest rates",
        "inflation",
        "election",
        "ransomware attack",
        "data protection",
        "climate policy",
        "net zero",
        "vaccination",
        "Russia and Ukraine",
        "war in Ukraine",
        "merger",
        "quarterly earnings",
    ],
    "de": [
        "TikTok",
        "chinesische Regierung",
        "Nutzerdaten",
        "Sanktionen",
        "Zentralbank",
        "Zinsen",
        "Inflation",
        "Wahlen",
        "Datenschutz",
        "Cyberangriff",
        "Klimaschutz",
        "Krieg in der Ukraine",
        "Russland",
        "Fusion",
    ],
    "fr": [
        "TikTok",
        "gouvernement chinois",
        "données personnelles",
        "sanctions",
        "banque centrale",
        "taux d'intérêt",
        "inflation",
        "élections",
        "cybersécurité",
        "protection des données",
        "guerre en Ukraine",
        "Russie",
        "politique climatique",
        "fusion",
    ],
}
UI = {
    "en": {
        "cookie": "We use cookies and similar technologies to personalise content and ads "
        "and to analyse our traffic. By clicking Accept all you agree to our use of cookies.",
        "accept": "Accept all",
        "newsletter": "Sign up to the morning briefing: the top stories of the day in your "
        "inbox before 7am. You can unsubscribe at any time.",
        "related": "Related stories",
        "more": "Read more",
        "comments": "Comments",
        "sections": "News Politics World Business Climate Health Culture Sport Opinion Puzzles",
        "by": "By",
    },
    "de": {
        "cookie": "Wir verwenden Cookies und ähnliche Technologien, um Inhalte und Anzeigen "
        "zu personalisieren. Mit Klick auf Alle akzeptieren stimmen Sie zu.",
        "accept": "Alle akzeptieren",
        "newsletter": "Abonnieren Sie unseren Newsletter: die wichtigsten Nachrichten des "
        "Tages jeden Morgen in Ihrem Postfach. Abmeldung jederzeit möglich.",
        "related": "Mehr zum Thema",
        "more": "Weiterlesen",
        "comments": "Kommentare",
        "sections": "Nachrichten Politik Welt Wirtschaft Klima Gesundheit Kultur Sport Meinung",
        "by": "Von",
    },
    "fr": {
        "cookie": "Nous utilisons des cookies et des technologies similaires pour "
        "personnaliser les contenus et les publicités. En cliquant sur Tout accepter, "
        "vous acceptez leur utilisation.",
        "accept": "Tout accepter",
        "newsletter": "Inscrivez-vous à notre lettre du matin : l'essentiel de l'actualité "
        "dans votre boîte chaque matin. Désinscription à tout moment.",
        "related": "À lire aussi",
        "more": "Lire la suite",
        "comments": "Commentaires",
        "sections": "Actualité Politique Monde Économie Climat Santé Culture Sport Opinions",
        "by": "Par",
    },
}
SAID = {"en": "said", "de": "sagte", "fr": "a déclaré"}
FIRST_NAMES = _words("Anna Jonas Léa Mikkel Sunniva Marco Hannah Daniel Clara Paul Inès Tobias")
LAST_NAMES = _words("Strand Weiss Okafor Bellini Dahle Moreau Keller Lindqvist Roux Brandt Nowak")
CSS_PROPS = _words("margin padding color background font-size line-height display border width")


def sentence(rng: random.Random, lang: str, topical: float = 0.12) -> str:
    """One invented sentence: everyday words with now and then a topical phrase."""
    words = rng.choices(WORDS[lang], k=rng.randint(8, 24))
    if rng.random() < topical:
        words.insert(rng.randrange(len(words)), rng.choice(TOPICS[lang]))
    text = " ".join(words)
    if rng.random() < 0.15:
        text = f"“{text}”, {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {SAID[lang]}"
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, lang: str, sentences: tuple[int, int] = (2, 5)) -> str:
    return " ".join(sentence(rng, lang) for _ in range(rng.randint(*sentences)))


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title.lower()).encode("ascii", "ignore").decode()
    kept = "".join(c if c.isalnum() else "-" for c in ascii_title)
    return "-".join(part for part in kept.split("-") if part)[:60]


@dataclass(frozen=True, slots=True)
class PageSpec:
    """What a feed needs to know about a page."""

    index: int
    publication: Publication
    path: str
    title: str
    summary: str
    author: str
    published: datetime
    section: str


def page_spec(seed: int, index: int) -> tuple[PageSpec, random.Random]:
    """The identity of page `index` and the random stream that builds its body."""
    rng = random.Random(f"{seed}:{index}")
    pub = PUBLICATIONS[index % len(PUBLICATIONS)]
    title_words = rng.choices(WORDS[pub.lang], k=rng.randint(5, 10))
    title_words.insert(rng.randrange(len(title_words)), rng.choice(TOPICS[pub.lang]))
    title = " ".join(title_words)
    title = title[0].upper() + title[1:]
    published = EPOCH + timedelta(minutes=index * 23 + rng.randrange(20))
    path = f"pages/{pub.slug}/{published:%Y/%m}/{_slug(title)}-{index}.html"
    spec = PageSpec(
        index=index,
        publication=pub,
        path=path,
        title=title,
        summary=sentence(rng, pub.lang, topical=0.5),
        author=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        published=published,
        section=rng.choice(UI[pub.lang]["sections"].split()),
    )
    return spec, rng


def _nav(rng: random.Random, pub: Publication, links: int) -> str:
    sections = UI[pub.lang]["sections"].split()
    items = []
    for number in range(links):
        section = sections[number % len(sections)]
        sub = " ".join(rng.choices(WORDS[pub.lang], k=2))
        href = f"/{pub.slug}/{section.lower()}/{number}/"
        items.append(f'<li><a href="{href}">{escape(sub)}</a></li>')
    return "\n".join(items)


def _css(rng: random.Random, rules: int) -> str:
    return "\n".join(
        f".c{rng.randrange(10**6):x} .m-{number} "
        f"{{{';'.join(f'{p}:{rng.randrange(40)}px' for p in rng.sample(CSS_PROPS, 3))}}}"
        for number in range(rules)
    )


def _state(rng: random.Random, pub: Publication, items: int) -> str:
    """An inline application-state blob, as single-page-app news sites embed."""
    teasers = [
        {
            "id": rng.randrange(10**9),
            "slug": _slug(" ".join(rng.choices(WORDS[pub.lang], k=6))),
            "headline": " ".join(rng.choices(WORDS[pub.lang], k=8)),
            "tracking": {"pos": number, "ab": rng.choice("ABC"), "score": rng.random()},
        }
        for number in range(items)
    ]
    return json.dumps({"site": pub.slug, "teasers": teasers, "flags": {"paywall": False}})


def _comments(rng: random.Random, lang: str, count: int) -> str:
    return "\n".join(
        f'<li class="comment"><span class="who">{rng.choice(FIRST_NAMES)}'
        f"{rng.randrange(100)}</span> <time>{rng.randrange(1, 59)} min</time>"
        f"<p>{escape(paragraph(rng, lang, (1, 3)))}</p>"
        f'<button class="reply">↩</button> <button class="like">♥ {rng.randrange(50)}</button></li>'
        for _ in range(count)
    )


def _related(rng: random.Random, pub: Publication, count: int) -> str:
    return "\n".join(
        f'<li><a href="/{pub.slug}/story/{rng.randrange(10**6)}.html">'
        f"{escape(' '.join(rng.choices(WORDS[pub.lang], k=7)))}</a></li>"
        for _ in range(count)
    )


def _body(rng: random.Random, spec: PageSpec) -> str:
    lang = spec.publication.lang
    ui = UI[lang]
    parts = []
    for number in range(rng.randint(5, 18)):
        if number and number % 4 == 0:
            parts.append(f"<h2>{escape(sentence(rng, lang)[:-1])}</h2>")
        parts.append(f"<p>{escape(paragraph(rng, lang))}</p>")
        if number == 2:
            parts.append(
                '<aside class="newsletter-inline"><h3>Newsletter</h3>'
                f"<p>{escape(ui['newsletter'])}</p>"
                '<form action="/newsletter" method="post"><input type="email" name="email">'
                "<button>OK</button></form></aside>"
            )
        if number == 4:
            parts.append(
                f'<div class="related-inline"><strong>{ui["related"]}</strong><ul>'
                f"{_related(rng, spec.publication, 3)}</ul></div>"
            )
        if number == 6 and rng.random() < 0.3:
            rows = "".join(
                f"<tr><td>{escape(rng.choice(WORDS[lang]))}</td><td>{rng.randrange(1000)}</td></tr>"
                for _ in range(rng.randint(3, 8))
            )
            parts.append(f"<table class='data'>{rows}</table>")
    return "\n".join(parts)


def render_page(seed: int, index: int) -> tuple[PageSpec, bytes]:
    """Page `index` of the corpus, encoded in its publication's charset."""
    spec, rng = page_spec(seed, index)
    pub = spec.publication
    ui = UI[pub.lang]
    target = int(math.exp(rng.uniform(math.log(MIN_BYTES), math.log(MAX_BYTES))))
    iso = spec.published.isoformat()
    url = f"https://www.{pub.slug}.example/{spec.path.removeprefix('pages/')}"
    charset_meta = (
        f'<meta charset="{pub.charset}">'
        if index % 5
        else f'<meta http-equiv="Content-Type" content="text/html; charset={pub.charset}">'
    )
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": spec.title,
            "datePublished": iso,
            "author": {"@type": "Person", "name": spec.author},
            "publisher": {"@type": "Organization", "name": pub.name},
        },
        ensure_ascii=False,
    )
    head = f"""<!DOCTYPE html>
<html lang="{pub.lang}">
<head>
{charset_meta}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(spec.title)} | {pub.name}</title>
<meta name="description" content="{escape(spec.summary)}">
<meta name="author" content="{spec.author}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(spec.title)}">
<meta property="og:site_name" content="{pub.name}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{iso}">
<meta property="article:section" content="{spec.section}">
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="/{pub.slug}/static/site.css">
<style>@@CSS@@</style>
<script type="application/ld+json">{ld}</script>
<script async src="/{pub.slug}/static/analytics.js"></script>
<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{"section":"{spec.section}"}});</script>
</head>
<body class="page-article">
<div id="cookie-consent" class="consent-banner" role="dialog"><p>{escape(ui["cookie"])}</p>
<button class="btn-accept">{ui["accept"]}</button></div>
<header class="site-header"><a class="logo" href="/{pub.slug}/">{pub.name}</a>
<nav class="main-nav"><ul>
@@NAV@@
</ul></nav></header>
<main id="content">
<nav class="breadcrumbs"><ol><li><a href="/{pub.slug}/">Home</a></li>
<li><a href="/{pub.slug}/{spec.section.lower()}/">{spec.section}</a></li></ol></nav>
<article class="story" itemscope itemtype="https://schema.org/NewsArticle">
<header class="story-header"><span class="kicker">{spec.section}</span>
<h1 class="headline" itemprop="headline">{escape(spec.title)}</h1>
<p class="standfirst">{escape(spec.summary)}</p>
<div class="byline">{ui["by"]} <a rel="author" href="/{pub.slug}/authors/{_slug(spec.author)}">\
{spec.author}</a> <time datetime="{iso}">{spec.published:%d.%m.%Y %H:%M}</time></div>
<ul class="share-tools"><li><a href="#">Facebook</a></li><li><a href="#">X</a></li>\
<li><a href="#">Email</a></li></ul></header>
<figure class="lead-image"><img src="/{pub.slug}/img/{index}.jpg" alt="" width="1200">
<figcaption>{escape(sentence(rng, pub.lang, 0))}</figcaption></figure>
<div class="story-body" itemprop="articleBody">
{_body(rng, spec)}
</div>
<ul class="tags">{"".join(f"<li>{escape(t)}</li>" for t in rng.sample(TOPICS[pub.lang], 3))}</ul>
</article>
<section class="related"><h2>{ui["related"]}</h2><ul>
@@RELATED@@
</ul></section>
<section class="comments"><h2>{ui["comments"]}</h2><ol>
@@COMMENTS@@
</ol></section>
</main>
<aside class="sidebar"><div class="ad-slot" data-slot="mpu-1"></div></aside>
<footer class="site-footer"><ul>@@FOOTER@@</ul><p>© 2026 {pub.name}</p></footer>
<script>window.__STATE__=@@STATE@@;</script>
</body>
</html>
"""
    # Share what is left of the size target between the parts real pages pad with.
    # The parts come out about a fifth longer than asked (markup, escaped characters).
    spare = max(0, target - len(head)) * 5 // 6
    padding = {
        "@@CSS@@": _css(rng, spare // 5 // 60),
        "@@NAV@@": _nav(rng, pub, 10 + spare // 20 // 60),
        "@@RELATED@@": _related(rng, pub, 5 + spare // 20 // 70),
        "@@COMMENTS@@": _comments(rng, pub.lang, spare // 5 // 400),
        "@@FOOTER@@": _nav(rng, pub, 10 + spare // 20 // 60),
        "@@STATE@@": _state(rng, pub, spare * 2 // 5 // 120),
    }
    filled = head
    for marker, text in padding.items():
        filled = filled.replace(marker, text)
    return spec, filled.encode(pub.charset, errors="xmlcharrefreplace")


def render_feed(pub: Publication, number: int, specs: list[PageSpec]) -> bytes:
    """RSS 2.0 for some pages of one publication, newest first, in its charset."""
    items = "\n".join(
        f"""<item>
<title>{escape(spec.title)}</title>
<link>{BASE}/{spec.path}</link>
<guid isPermaLink="false">{pub.slug}-{spec.index}</guid>
<pubDate>{format_datetime(spec.published)}</pubDate>
<author>desk@{pub.slug}.example ({spec.author})</author>
<category>{spec.section}</category>
<description>{escape(spec.summary)}</description>
</item>"""
        for spec in sorted(specs, key=lambda s: s.published, reverse=True)
    )
    xml = f"""<?xml version="1.0" encoding="{pub.charset}"?>
<rss version="2.0">
<channel>
<title>{pub.name} ({number})</title>
<link>{BASE}/pages/{pub.slug}/</link>
<description>{pub.name}: latest stories.</description>
<language>{pub.lang}</language>
{items}
</channel>
</rss>
"""
    return xml.encode(pub.charset, errors="xmlcharrefreplace")


def write_corpus(folder: Path, pages: int, seed: int = 7) -> dict[str, object]:
    """Write the corpus under `folder` and return its manifest.

    A corpus written before with the same generator, size and seed is reused;
    one that differs has its pages and feeds replaced.
    """
    manifest_path = folder / "corpus.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        wanted = {"generator": GENERATOR, "pages": pages, "seed": seed}
        if all(manifest.get(key) == value for key, value in wanted.items()):
            return manifest
        for part in ("pages", "feeds"):
            shutil.rmtree(folder / part, ignore_errors=True)
    by_publication: dict[str, list[PageSpec]] = {p.slug: [] for p in PUBLICATIONS}
    total = 0
    for index in range(pages):
        spec, content = render_page(seed, index)
        target = folder / spec.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        total += len(content)
        by_publication[spec.publication.slug].append(spec)
    feeds = []
    (folder / "feeds").mkdir(parents=True, exist_ok=True)
    for pub in PUBLICATIONS:
        specs = by_publication[pub.slug]
        for number, start in enumerate(range(0, len(specs), ITEMS_PER_FEED), start=1):
            path = f"feeds/{pub.slug}-{number:03d}.xml"
            (folder / path).write_bytes(
                render_feed(pub, number, specs[start : start + ITEMS_PER_FEED])
            )
            feeds.append({"name": f"{pub.slug}-{number:03d}", "path": path})
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="ascii")
    manifest = {
        "generator": GENERATOR,
        "seed": seed,
        "pages": pages,
        "bytes": total,
        "feeds": feeds,
    }
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    manifest = write_corpus(args.folder, args.pages, args.seed)
    print(
        f"{manifest['pages']} pages, {manifest['bytes'] / 1e6:.1f} MB, "
        f"{len(manifest['feeds'])} feeds in {args.folder}"  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
