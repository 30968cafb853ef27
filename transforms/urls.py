"""URL canonicalisation and the stable article id derived from it.

The same story reached through a feed link with `utm_*` tags, a redirect or a
saved page must get one id, so every stage keys articles by the canonical URL.
courlan does the heavy lifting (case, default ports, tracking parameters,
query order); we add dot-segment removal and drop fragments.
"""

from __future__ import annotations

import hashlib
import posixpath
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url


class InvalidURL(ValueError):
    """The string is not an absolute http(s) URL."""


def canonicalize(url: str) -> str:
    """Return the canonical form of an http(s) URL, or raise InvalidURL."""
    candidate = url.strip()
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise InvalidURL(f"not an absolute http(s) URL: {url!r}")
    try:
        normalized = normalize_url(candidate)
    except ValueError as exc:
        raise InvalidURL(f"cannot normalise URL {url!r}: {exc}") from exc
    parts = urlsplit(normalized)
    path = posixpath.normpath(parts.path) if parts.path else "/"
    if parts.path.endswith("/") and not path.endswith("/"):
        path += "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def article_id(canonical_url: str) -> str:
    """A stable 16-hex-digit id for an article: the start of sha256(canonical URL)."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]
