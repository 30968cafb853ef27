"""The page's tree: trafilatura's `load_html`, its whole-page clean-up run only where it is needed.

`_parse` skips `load_html`'s scan for characters XML forbids on a page
without any, and repeats its other steps; these invented pages take each of
those steps, so the two must give the same tree (or both none).
"""

from __future__ import annotations

import pytest
from lxml.html import tostring
from trafilatura import load_html

from transforms.extract import _parse

STORY = "<p>The ferry to the island runs twice a day from the first of May.</p>"
PAGES = {
    "plain page": f"<html><head><title>Ferry</title></head><body>{STORY}</body></html>",
    "control characters": f"<html><body><p>Ferry\x00 times\x0b\x1f</p>{STORY}</body></html>",
    "XML noncharacters": f"<html><body><p>Ferry \ufffe times \uffff</p>{STORY}</body></html>",
    "doctype with a slash": (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/x.dtd">\n'
        f"<html><body>{STORY}</body></html>"
    ),
    "self-closing html tag": f'<html lang="en"/>\n<body>{STORY}</body>',
    "encoding declaration": (
        f'<?xml version="1.0" encoding="utf-8"?><html><body>{STORY}</body></html>'
    ),
    "no html at all": "Ferry times: twice a day.",
    "one comment": "<!-- nothing here -->",
    "non-ASCII text": "<html><body><p>Fähre nach Sylt: zweimal täglich — ab Mai.</p></body></html>",
}


@pytest.mark.parametrize("html", PAGES.values(), ids=PAGES.keys())
def test_the_tree_is_load_htmls(html: str) -> None:
    ours, theirs = _parse(html), load_html(html)
    assert (ours is None) == (theirs is None)
    if theirs is not None:
        assert tostring(ours, encoding="unicode") == tostring(theirs, encoding="unicode")
