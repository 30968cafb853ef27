"""Plain-text articles: recover headline, standfirst, byline and dates from a browser copy.

People save stories by copying them out of a browser into a `.txt`, which
keeps the header lines (headline, standfirst, "By ...", date lines) mixed
with leftovers such as breadcrumbs and share prompts. Only the first
`HEADER_LINES` paragraphs are searched for the header; everything else is
body, cleaned by the boilerplate filter.

Date rules: times without a zone are taken as UTC; a date without a time is
midnight UTC. Numeric dates like 03/08/2022 are read day-first (the
European convention of most monitored sources) unless the first number cannot
be a day-first month reading, i.e. 08/23/2022 is read as 23 August.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from transforms.boilerplate import boilerplate_kind, strip_boilerplate

HEADER_LINES = 15

# --- data tables -----------------------------------------------------------

BYLINE_PREFIXES = ("written by", "words by", "reporting by", "story by", "author", "by")
ROLE_WORDS = (
    "correspondent",
    "editor",
    "reporter",
    "writer",
    "columnist",
    "journalist",
    "contributor",
    "analyst",
)
NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "al"})
PUBLISHED_PREFIXES = ("first published on", "first published", "published on", "published")
PUBLISHED_PREFIXES += ("posted on", "posted", "date")
UPDATED_PREFIXES = ("last modified on", "last modified", "last updated on", "last updated")
UPDATED_PREFIXES += ("updated on", "updated", "modified")
ZONE_OFFSETS = {
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "bst": 1,
    "ist": 1,
    "cet": 1,
    "cest": 2,
    "eet": 2,
    "eest": 3,
    "msk": 3,
    "est": -5,
    "edt": -4,
    "cst": -6,
    "cdt": -5,
    "pst": -8,
    "pdt": -7,
}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_MONTH = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = (
    r"(?:,?\s+(?:at\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*(?P<tz>[a-z]{1,4}|[+-]\d{2}:?\d{2}))?)?"
)
DATE_FORMATS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # 2022-08-03, 2022-08-03T10:56:00Z, 2022-08-03 10:56+01:00
        r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
        r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
        r"\s*(?P<tz>z|[+-]\d{2}:?\d{2}|utc|gmt)?)?",
        # 3 Aug 2022, Wed 3 Aug 2022 10.56 BST, 3rd August 2022, 10:56am
        _WEEKDAY + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<y>\d{4})" + _TIME,
        # August 3, 2022; Wednesday, Aug. 3, 2022 at 10:56 a.m. EDT
        _WEEKDAY + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME,
        # 03/08/2022, 3.8.2022 10:56 (day-first unless impossible)
        r"(?P<n1>\d{1,2})[/.](?P<n2>\d{1,2})[/.](?P<y>\d{4})" + _TIME,
    )
)

_SEGMENT_SPLIT = re.compile(
    r"\s*[|•·]\s*|(?<!last)\s+(?=(?:last\s+)?(?:updated|modified)\b)", re.IGNORECASE
)
_NAME_TOKEN = re.compile(r"[^\W\d_][\w'’.\-]*")
_NAME_LIST_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*", re.IGNORECASE)
_ROLE = re.compile(
    r",\s+(?:[\w'’\- ]+\s)?(?:" + "|".join(ROLE_WORDS) + r")\b.*$",
    re.IGNORECASE,
)
_IN_PLACE = re.compile(r"\s+in\s+[A-Z][\w\- ]{1,40}$")


@dataclass(frozen=True, slots=True)
class TextArticle:
    """What a plain-text copy of an article yields: header fields and the prose body."""

    title: str | None
    standfirst: str | None
    author: str | None
    published_at: datetime | None
    updated_at: datetime | None
    body: str


# --- dates -----------------------------------------------------------------


def _zone(raw: str | None) -> timezone | None:
    """A fixed-offset zone for an abbreviation or +hh:mm; None if unknown."""
    if raw is None:
        return UTC
    key = raw.lower()
    if key in ZONE_OFFSETS:
        return timezone(timedelta(hours=ZONE_OFFSETS[key]))
    if key[0] in "+-" and key[1:].replace(":", "").isdigit():
        digits = key[1:].replace(":", "")
        sign = -1 if key[0] == "-" else 1
        return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return None


def _day_month(parts: dict[str, str | None]) -> tuple[int, int]:
    if parts.get("mon"):
        return int(parts["d"] or 0), MONTHS[parts["mon"].lower()]
    if parts.get("m"):
        return int(parts["d"] or 0), int(parts["m"])
    first, second = int(parts["n1"] or 0), int(parts["n2"] or 0)
    return (second, first) if second > 12 else (first, second)


def parse_date(text: str) -> datetime | None:
    """Parse a whole string as one date in a known format; a UTC datetime or None."""
    candidate = text.strip().rstrip(".")
    for pattern in DATE_FORMATS:
        match = pattern.fullmatch(candidate)
        if match is None:
            continue
        parts = match.groupdict()
        zone = _zone(parts.get("tz"))
        hour = int(parts.get("H") or 0)
        ampm = (parts.get("ampm") or "").lower()
        if ampm.startswith("p") and hour < 12:
            hour += 12
        elif ampm.startswith("a") and hour == 12:
            hour = 0
        day, month = _day_month(parts)
        try:
            local = datetime(
                int(parts["y"] or 0),
                month,
                day,
                hour,
                int(parts.get("M") or 0),
                int(parts.get("S") or 0),
                tzinfo=zone,
            )
        except ValueError:
            return None
        return local.astimezone(UTC) if zone is not None else None
    return None


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> str | None:
    """The rest of `text` after one of `prefixes` (and an optional colon), or None."""
    lowered = text.lower()
    for prefix in prefixes:
        if lowered.startswith(prefix) and (
            len(text) == len(prefix) or not text[len(prefix)].isalnum()
        ):
            return text[len(prefix) :].lstrip(" :\t")
    return None


# --- bylines ---------------------------------------------------------------


def _is_name(text: str, max_tokens: int) -> bool:
    """Two to `max_tokens` capitalised words, allowing particles such as "van" or "de"."""
    tokens = text.split()
    if not 2 <= len(tokens) <= max_tokens or not tokens[0][0].isupper():
        return False
    return all(
        _NAME_TOKEN.fullmatch(t) and (t[0].isupper() or t.lower() in NAME_PARTICLES) for t in tokens
    )


def parse_byline(text: str) -> str | None:
    """The author name(s) in a byline segment, joined by ", "; None if it is not one."""
    rest = _strip_prefix(text.strip(), BYLINE_PREFIXES)
    candidate = rest if rest is not None else text.strip()
    stripped = _IN_PLACE.sub("", _ROLE.sub("", candidate))
    if rest is None and stripped == candidate:
        return None  # a bare name needs a prefix, a role or a place to count as a byline
    # Without a "By" prefix, allow only short names so a Title Case headline is not a byline.
    max_tokens = 5 if rest is not None else 3
    names = [n for n in _NAME_LIST_SPLIT.split(stripped) if n]
    if not names or not all(_is_name(n, max_tokens) for n in names):
        return None
    return ", ".join(names)


# --- header ----------------------------------------------------------------


@dataclass(slots=True)
class _Meta:
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None


def _read_meta(line: str, meta: _Meta) -> bool:
    """Fold a byline/date line into `meta`; False (and `meta` unchanged) if it is prose."""
    found = _Meta()
    for segment in filter(None, (s.strip() for s in _SEGMENT_SPLIT.split(line))):
        updated = _strip_prefix(segment, UPDATED_PREFIXES)
        published = _strip_prefix(segment, PUBLISHED_PREFIXES)
        if updated is not None and (when := parse_date(updated)):
            found.updated = found.updated or when
        elif (when := parse_date(published if published is not None else segment)) is not None:
            found.published = found.published or when
        elif author := parse_byline(segment):
            found.author = found.author or author
        elif boilerplate_kind(segment) is None:
            return False
    if found == _Meta():
        return False
    meta.author = meta.author or found.author
    meta.published = meta.published or found.published
    meta.updated = meta.updated or found.updated
    return True


def parse_plain_text(text: str) -> TextArticle:
    """Split a plain-text article copy into header fields and a cleaned body.

    The headline is the first line of two or more words that is not furniture
    or metadata (single words above it are section labels). The standfirst is
    the first prose line between the headline and the last byline/date line of
    the header; other prose there stays in the body so no text is lost.
    """
    lines = [ln.strip() for ln in text.replace("\u00a0", " ").splitlines() if ln.strip()]
    meta = _Meta()
    title_at: int | None = None
    last_meta = -1
    prose: list[int] = []
    for index, line in enumerate(lines[:HEADER_LINES]):
        if boilerplate_kind(line) is not None:
            continue
        if _read_meta(line, meta):
            last_meta = index
        elif title_at is None:
            if len(line.split()) >= 2:
                title_at = index
        elif last_meta > title_at:
            break  # prose after the post-headline byline/date: the body has begun
        else:
            prose.append(index)
    header_end = max(last_meta, title_at if title_at is not None else -1)
    in_header = [i for i in prose if i < header_end]
    standfirst_at = in_header[0] if in_header else None
    body_lines = [lines[i] for i in in_header[1:]] + lines[header_end + 1 :]
    return TextArticle(
        title=lines[title_at] if title_at is not None else None,
        standfirst=lines[standfirst_at] if standfirst_at is not None else None,
        author=meta.author,
        published_at=meta.published,
        updated_at=meta.updated,
        body=strip_boilerplate("\n".join(body_lines)),
    )
