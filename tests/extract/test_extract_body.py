"""The body of an HTML page: recall's text is fetched only when precision's looks incomplete.

The pages are invented. trafilatura's precision setting finds the whole story
on pages this simple, so where a test needs precision to have dropped
paragraphs (as it does on real pages with unusual layouts), it cuts
precision's text down and lets the recall setting run for real.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from trafilatura import load_html
from trafilatura.settings import Document

import transforms.extract as extract_module
from schemas.records import Article, Page
from transforms.extract import extract

URL = "https://news.example.org/2026/ferry"
PARAGRAPHS = [
    f"Paragraph {n}: the harbour board said the night ferry would keep running through the "
    "winter, because the crossing is the only way home for the island's workers."
    for n in range(1, 7)
]
FURNITURE = [f"Lifeboat crew {n} rescues a family off the north cliffs" for n in range(40)]


def page(story: str, extra: str = "") -> bytes:
    """A news page: a menu, the story in an article, `extra` markup after it."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Ferry</title></head>"
        "<body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<main><article><h1>Night ferry saved</h1>{story}</article></main>{extra}"
        "<script>var tracking = 'x'.repeat(100000);</script></body></html>"
    ).encode()


STORY_HTML = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)


def run(content: bytes) -> Article:
    result = extract(Page("eval", URL, content, datetime(2026, 1, 1, tzinfo=UTC)))
    assert isinstance(result, Article)
    return result


@pytest.fixture
def settings_run(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The trafilatura settings `extract` runs, in order ("precision", "recall", ...)."""
    calls: list[str] = []
    real = extract_module._extraction

    def spy(tree: Any, url: str, **focus: bool) -> Document | None:
        calls.append(next(iter(focus), "balanced").removeprefix("favor_"))
        return real(tree, url, **focus)

    monkeypatch.setattr(extract_module, "_extraction", spy)
    return calls


def test_a_page_precision_covers_pays_no_second_pass(settings_run: list[str]) -> None:
    extra = "<aside><ul>" + "".join(f"<li><a href='/s'>{t}</a></li>" for t in FURNITURE[:5])
    article = run(page(STORY_HTML, extra + "</ul></aside>"))
    assert settings_run == ["precision"]
    assert article.body.splitlines() == PARAGRAPHS


def test_story_paragraphs_precision_dropped_come_back_from_recall(
    monkeypatch: pytest.MonkeyPatch, settings_run: list[str]
) -> None:
    real = extract_module._extraction

    def precision_keeps_a_scrap(tree: Any, url: str, **focus: bool):
        doc = real(tree, url, **focus)
        if focus.get("favor_precision") and doc is not None:
            doc.text = PARAGRAPHS[0]
        return doc

    monkeypatch.setattr(extract_module, "_extraction", precision_keeps_a_scrap)
    article = run(page(STORY_HTML))
    assert article.body.splitlines() == PARAGRAPHS


def _recall_says(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """The recall setting's text is `text` (precision's own run is not used here)."""

    def recall(tree: Any, url: str, **focus: bool) -> Document:
        assert focus == {"favor_recall": True}
        doc = Document()
        doc.text = text
        return doc

    monkeypatch.setattr(extract_module, "_extraction", recall)


def test_recall_sweeping_in_furniture_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    story = PARAGRAPHS * 2  # a real story, not a scrap
    precise = "\n".join(story)
    paragraphs = "".join(f"<p>{text}</p>" for text in [*story, *FURNITURE * 5])
    tree = load_html(page(paragraphs))
    _recall_says(monkeypatch, "\n".join([*story, *FURNITURE * 3]))
    assert len(precise) >= extract_module._SCRAP_CHARS
    assert len(precise) < extract_module._INCOMPLETE_SHARE * extract_module._visible_chars(tree)
    assert extract_module._recall_text(tree, URL, precise) == precise


def test_recall_is_taken_when_precision_kept_a_scrap_of_a_long_story(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    story = "\n".join(PARAGRAPHS * 4)
    tree = load_html(page("".join(f"<p>{t}</p>" for t in PARAGRAPHS * 4)))
    _recall_says(monkeypatch, story)
    assert extract_module._recall_text(tree, URL, PARAGRAPHS[0]) == story


def test_recall_finding_nothing_keeps_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    tree = load_html(page("".join(f"<p>{t}</p>" for t in PARAGRAPHS * 4)))
    _recall_says(monkeypatch, "")
    assert extract_module._recall_text(tree, URL, PARAGRAPHS[0]) == PARAGRAPHS[0]


def test_visible_text_leaves_out_scripts_and_styles() -> None:
    tree = load_html(
        "<html><head><style>p { color: red }</style></head><body><p>Four words of text.</p>"
        "<script>var x = 1;</script><noscript>Enable scripts</noscript></body></html>"
    )
    assert extract_module._visible_chars(tree) == len("Four words of text.")


@pytest.mark.parametrize(
    "opening",
    [
        "<!DOCTYPE htm\n  <div id='header'><a href='/'>Home</a></div>",  # a crawl cut at its start
        "<text id='https://news.example.org/2026/ferry' title='Night ferry saved'>",  # a wrapper
    ],
)
def test_a_page_opening_without_html_still_gives_its_story(opening: str) -> None:
    """trafilatura rejects such a page as not HTML; its story is read all the same."""
    content = f"{opening}<div class='story'><h2>Night ferry saved</h2>{STORY_HTML}</div></text>"
    article = run(content.encode())
    assert article.body.splitlines() == PARAGRAPHS
    assert article.title == "Night ferry saved"


def _lines(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("markup", "heading"),
    [
        # A linked subheading in a block of its own, as on a list of reviewed games:
        # precision deletes the block for its link density.
        (
            "<div><h3><a href='https://games.example.org/tide'>“Tidewater” ($30)</a></h3></div>",
            "“Tidewater” ($30)",
        ),
        # A subheading in its own <header>, as on product pages (precision drops <header>).
        ("<header><h2>Der Fahrplan im Winter</h2></header>", "Der Fahrplan im Winter"),
    ],
)
def test_a_subheading_between_kept_paragraphs_stays_in_the_body(markup: str, heading: str) -> None:
    story = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3]) + markup
    story += "<div class='video'><iframe src='https://video.example.org/1'></iframe></div>"
    story += "".join(f"<p>{p}</p>" for p in PARAGRAPHS[3:])
    lines = _lines(run(page(story)).body)
    assert lines == [*PARAGRAPHS[:3], heading, *PARAGRAPHS[3:]]


def test_a_heading_over_links_the_body_left_out_is_not_added() -> None:
    related = (
        "<section><h3>More from the harbour</h3><ul>"
        + "".join(f"<li><a href='/story/{n}'>{text}</a></li>" for n, text in enumerate(FURNITURE))
        + "</ul></section>"
    )
    body = run(page(STORY_HTML + related)).body
    assert "More from the harbour" not in body
    assert _lines(body)[: len(PARAGRAPHS)] == PARAGRAPHS
