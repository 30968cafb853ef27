"""trafilatura's metadata read once per page, without the licence search: the same fields.

`_page_metadata` repeats the steps of trafilatura's `extract_metadata` (less
the licence and host name, which nothing uses) so that the extraction workers
skip their cost. These invented pages take each step's path, so a trafilatura
release that changes a step shows here as a difference.
"""

from __future__ import annotations

import json

import pytest
from trafilatura import load_html
from trafilatura.metadata import extract_metadata

from transforms.extract import _DATE_PARAMS, _page_metadata

STORY = "".join(
    f"<p>Paragraph {n}: the lock keepers voted to extend the summer opening hours of the "
    "canal by two hours, starting on the first weekend of June.</p>"
    for n in range(1, 6)
)
JSON_LD = json.dumps(
    {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Canal opens longer in summer",
        "author": {"@type": "Person", "name": "Mira Okafor"},
        "datePublished": "2026-05-14T08:30:00+02:00",
        "publisher": {"@type": "Organization", "name": "Towpath Gazette"},
    }
)
PAGES = {
    "meta tags and JSON-LD": (
        "<html lang='en'><head><title>Canal opens longer | Towpath Gazette</title>"
        "<meta property='og:title' content='Canal opens longer in summer'>"
        "<meta name='description' content='Two more hours a day &amp; more boats.'>"
        "<meta property='og:site_name' content='@towpath'>"
        "<meta property='article:section' content='Waterways'>"
        f"<script type='application/ld+json'>{JSON_LD}</script></head>"
        f"<body><article><h1>Canal opens longer in summer</h1>{STORY}</article>"
        "<footer><a rel='license' href='https://creativecommons.org/licenses/by/4.0/'>CC</a>"
        "</footer></body></html>"
    ),
    "no metadata: read from the page": (
        "<html><head><title>Canal opens longer - towpath.example</title>"
        "<link rel='canonical' href='https://towpath.example/2026/05/14/canal-hours'></head>"
        "<body><div class='post-meta'><a href='/category/waterways/'>Waterways</a></div>"
        "<h1 class='entry-title'>Canal opens longer in summer</h1>"
        "<p class='byline'>By <span class='author'>Mira Okafor</span></p>"
        f"<article>{STORY}</article>"
        "<div class='tags'><a href='/tag/locks/'>locks</a><a href='/tag/boats/'>boats</a></div>"
        "</body></html>"
    ),
    "broken JSON-LD, one-word author": (
        "<html><head><title>canal news</title><meta name='author' content='admin'>"
        "<meta property='og:site_name' content='@towpath'>"
        '<script type=\'application/ld+json\'>{"@type": "NewsArticle", "headline": </script>'
        f"</head><body><h2>Canal opens longer</h2>{STORY}</body></html>"
    ),
    "tag links only, a subject meta tag": (
        "<html><head><title>Canal opens longer</title>"
        "<meta name='dc.subject' content='Waterways &amp; locks'></head>"
        f"<body><div class='post-meta'><a href='/news/'>News</a></div>{STORY}"
        "<div class='tags'><a href='/tags/locks/'>locks</a><a href='/about/'>About</a></div>"
        "</body></html>"
    ),
}
FIELDS = ("title", "author", "url", "date", "sitename", "description", "categories", "tags")


@pytest.mark.parametrize("html", PAGES.values(), ids=PAGES.keys())
def test_the_page_metadata_is_trafilaturas_less_the_licence(html: str) -> None:
    url = "https://towpath.example/news/canal-hours"
    ours = _page_metadata(load_html(html), url)
    theirs = extract_metadata(load_html(html), url, dict(_DATE_PARAMS))
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(theirs, f) for f in FIELDS}
    assert theirs.title, "each page should give trafilatura a title"
    assert ours.license is None
