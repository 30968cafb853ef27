"""trafilatura's fallback comparison (readability, jusText) runs only where it can change
precision's result: a page whose story is most of its text is not read a second time.

The pages are invented.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lxml.etree import tostring
from trafilatura import load_html
from trafilatura.external import try_readability
from trafilatura.utils import trim

import transforms.extract as extract_module
from schemas.records import Article, Page
from transforms.extract import extract

URL = "https://news.example.org/2026/ferry"
PARAGRAPHS = [
    f"Paragraph {n}: the harbour board said the night ferry would keep running through the "
    "winter, because the crossing is the only way home for the island's workers."
    for n in range(1, 7)
]
STORY = "\n".join(PARAGRAPHS)
# The story in an article: precision finds all of it.
WHOLE_STORY = (
    "<html><head><title>Ferry</title><script>var t = 'x'.repeat(9000);</script></head><body>"
    "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>Night ferry saved</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article></body></html>"
)
# A one-line teaser in the article, the story in plain divs after it: precision keeps the
# teaser alone (under trafilatura's minimum size), the fallback finds the story.
TEASER_ONLY = (
    "<html><body><article><p>Short story of the ferry, forty words.</p></article><div>"
    + "".join(f"<div><span>{p}</span></div>" for p in PARAGRAPHS)
    + "</div></body></html>"
)


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The focus of each extraction whose result went to trafilatura's fallback comparison."""
    calls: list[str] = []
    real = extract_module.compare_extraction

    def spy(*args: Any) -> Any:
        calls.append(args[-1].focus)
        return real(*args)

    monkeypatch.setattr(extract_module, "compare_extraction", spy)
    return calls


def run(html: str) -> Article:
    result = extract(Page("eval", URL, html.encode(), datetime(2026, 1, 1, tzinfo=UTC)))
    assert isinstance(result, Article)
    return result


def test_a_story_that_is_most_of_the_page_skips_the_fallback(compared: list[str]) -> None:
    assert run(WHOLE_STORY).body == STORY
    assert compared == []


def test_a_result_under_the_minimum_size_still_gets_the_fallbacks_story(
    compared: list[str],
) -> None:
    assert run(TEASER_ONLY).body == STORY
    assert compared[0] == "precision"


@pytest.mark.parametrize("html", [WHOLE_STORY, TEASER_ONLY])
def test_readable_chars_bound_readabilitys_text(html: str) -> None:
    """The gate's measure is never below readability's own text (it would skip a page where
    readability wins): here even with a video iframe readability writes a word into."""
    html = html.replace("</body>", "<iframe src='https://www.youtube.com/embed/x'></iframe></body>")
    tree = load_html(html)
    bound = extract_module._readable_chars(tree)
    text = trim(tostring(try_readability(load_html(html)), method="text", encoding="unicode"))
    assert 0 < len(text) <= bound


def test_readable_chars_leave_out_scripts() -> None:
    tree = load_html(WHOLE_STORY)
    with_script = len(" ".join(tree.text_content().split()))
    assert extract_module._readable_chars(tree) == with_script - len("var t = 'x'.repeat(9000);")
