"""URL canonicalisation: one story, one id, however the link was decorated."""

import pytest

from transforms.urls import InvalidURL, article_id, canonicalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://News.Example.ORG:80/a/b.html", "http://news.example.org/a/b.html"),
        (
            "https://example.org/story?utm_source=rss&utm_medium=feed&id=7",
            "https://example.org/story?id=7",
        ),
        ("https://example.org/story?fbclid=abc&gclid=def", "https://example.org/story"),
        ("https://example.org/a/./b/../c.html#comments", "https://example.org/a/c.html"),
        ("https://example.org/s?b=2&a=1", "https://example.org/s?a=1&b=2"),
        ("  https://example.org  ", "https://example.org/"),
        ("https://example.org/section/", "https://example.org/section/"),
    ],
)
def test_canonicalize(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


@pytest.mark.parametrize("raw", ["ftp://example.org/x", "javascript:alert(1)", "/relative", ""])
def test_canonicalize_rejects_non_http(raw: str) -> None:
    with pytest.raises(InvalidURL):
        canonicalize(raw)


def test_article_id_is_stable_and_tracking_blind() -> None:
    plain = article_id(canonicalize("https://example.org/story"))
    tagged = article_id(canonicalize("https://EXAMPLE.org/story?utm_campaign=x#top"))
    assert plain == tagged
    assert len(plain) == 16
    assert int(plain, 16) >= 0
    assert plain != article_id(canonicalize("https://example.org/other"))
