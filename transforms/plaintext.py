"""Plain-text articles: recover headline, standfirst, byline, dates and body from a browser copy.

People save stories by copying a whole page out of a browser into a `.txt`:
menus, breadcrumbs, newsletter prompts, partner headlines and footers come
with the story. Every line is a block, classified in the spirit of jusText's
context-sensitive algorithm (length, stop-word density for the text's
language from jusText's lists, sentence shape, runs of short unpunctuated
lines, the class of the neighbours); the story is the good blocks. The header
is found by structure: the byline/date cluster nearest the start of the
story, with the headline and standfirst next to it. Phrase patterns
(`transforms/boilerplate.py`) only make a last pass. Keyword lists and
thresholds are data: `mediawatch/defaults/textcopy.yaml`.

Date rules: times without a zone are taken as UTC; a date without a time is
midnight UTC. Numeric dates like 03/08/2022 are read day-first (the
European convention of most monitored sources) unless the first number cannot
be a day-first month reading, i.e. 08/23/2022 is read as 23 August. Month
and weekday names are read in English and in the text's language
(dateparser's tables); the time may come before the date ("3:04 PM EDT Mar
2, 2018"); two-digit years ("27 Mar 20", "11.03.17") only in a short stamp.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from mediawatch.errors import ConfigError
from transforms.boilerplate import boilerplate_kind, read_rules_file, strip_boilerplate

RULES_FILE = Path(__file__).parent.parent / "mediawatch" / "defaults" / "textcopy.yaml"

# --- data tables -----------------------------------------------------------

NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "al"})
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
    "et": -5,
    "ct": -6,
    "mt": -7,
    "pt": -8,
}
_ENGLISH_MONTHS = (
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
)
_MONTH_KEYS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ENGLISH_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*"
# Between a date and its time: "3 Aug 2022, 10:56", "Diciembre 6, 2020 - 07:32", "... | 10:56".
_BEFORE_TIME = r"(?:\s*[,|–—-])?\s+"
_TIME = (
    r"(?:" + _BEFORE_TIME + r"(?:(?:at|à|um|a las|alle|om|às)\s+)?"
    r"(?P<H>\d{1,2})[:.h](?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*(?P<tz>(?:"
    + "|".join(ZONE_OFFSETS)
    + r")\b|[+-]\d{2}:?\d{2}))?)?"
)
# A time before the date: "3:04 PM EDT Mar 2, 2018", "11:25 PM - 10 Jul 2020", "10:56, 3 Aug 2022".
_TIME_FIRST = (
    r"(?<![\d:./])(?P<H>\d{1,2})[:.h](?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*(?P<tz>(?:"
    + "|".join(ZONE_OFFSETS)
    + r")\b|[+-]\d{2}:?\d{2}))?"
    + _BEFORE_TIME
    + r"(?:(?:on|le|am|el|il)\s+)?"
)
# Connectors between day, month and year in other languages ("3 de agosto de 2022", "3. Mai").
_LINK = r"(?:\.|er|º|°)?\s*(?:(?:de|del|di)\s+)?"
_ISO = (
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<tz>z|[+-]\d{2}:?\d{2}|utc|gmt)?)?"
)
# Year first: 2020年7月1日 10時00分, 2020.08.27 20:27, 2020. 06. 04. 11:27, 2020/7/11.
_YEAR_FIRST = (
    r"(?P<y>\d{4})(?:年\s*|\.\s*|/)(?P<m>\d{1,2})(?:月\s*|\.\s*|/)(?P<d>\d{1,2})(?:日|\.)?"
    r"(?:\s*\([^)]{1,4}\))?"
    r"(?:\s+(?P<H>\d{1,2})(?::|時)(?P<M>\d{2})分?)?"
)
_NUMERIC = r"(?P<n1>\d{1,2})[/.](?P<n2>\d{1,2})[/.](?P<y>\d{4})" + _TIME
# Two-digit years only in a stamp's shape: "11.03.17", "11/03/17 10:56" (both separators alike).
_NUMERIC_SHORT = (
    r"(?<![\d.:/])(?P<n1>\d{2})(?P<sep>[/.])(?P<n2>\d{2})(?P=sep)(?P<y>\d{2})(?![\d.:/])" + _TIME
)
_TOKEN = re.compile(r"\w+")
_NAME_TOKEN = re.compile(r"[^\W\d_][\w'’.\-]*")
_NAME_LIST_SPLIT = re.compile(r"\s*(?:,|\band\b|\bund\b|\bet\b|\by\b|\be\b|&)\s*", re.IGNORECASE)
_IN_PLACE = re.compile(r"\s+in\s+[A-Z][\w\- ]{1,40}$")
_HANDLE = re.compile(r"\s*[,|·]?\s*@\w+\s*$")
_BULLET = re.compile(r"^(?:[*•\-–—·▪►+o]|\d{1,2}[.)])\s+")
_FULL_STOP = (".", "。", "．")
# "... a big deal. How does": a word's end, a stop, a capital: a line of two sentences.
_SENTENCE_BREAK = re.compile(r"[^\W\d_]{3}[)\"”’]?[.!?]\s+[\"“]?[A-ZÀ-ÖØ-ÞΑ-ΩА-Я]")
_FINAL = tuple(".!?…。！？:;\"'”»)")
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\ball rights reserved\b", re.IGNORECASE)
_LINE_SPLIT = re.compile(r"\r\n|\n|\r")
_CELL_SPLIT = re.compile(r"\t| {3,}")
_INK = re.compile(r"\S+")
_GUTTER = re.compile(rb"\x00{3,}")  # 3+ positions blank on every line of a table
# A plain first word, maybe ending its sentence ("consequat. Duis"), not "www.x.cn".
_CONTINUATION = re.compile(r"[^\W\d_]+(?:[\s,;]|[.!?](?:\s|$)|$)")
_NAVIGATION = re.compile(
    r" \| .* \| | [>»] |^[«‹]|[»›]$|^\d+ (?:minutes?|hours?|days?|weeks?) ago$| [•·] ",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_URL_EARLIEST = datetime(1995, 1, 1)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d\d(?![\d:])")  # 6:18, 18:45; not 1:2:3
_TWO_DIGITS = re.compile(r"\d\d")
_LABEL = re.compile(r"([\w-]+)\s*:")
_CJK_NAME = re.compile(r"[\u3400-\u9fff]{2,4}(?: [\u3400-\u9fff]{1,3})?")  # 王小明, 山田 太郎
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")  # kana and CJK ideographs

GOOD, NEAR, SHORT, BAD = "good", "near", "short", "bad"
STORY_GAP = 5  # the story runs on over a partner box or a gallery of up to 5 lines
LANGUAGE_SAMPLE_WORDS = 3000  # enough to tell the language, bounded cost on long pages
# Date formats with a two-digit year: read in short stamps, never inside longer text.
SHORT_YEAR_FORMATS = 2
LOOSE_DATE_LINES = 12  # how far from the headline a date inside a longer line is looked for
LEARNED_MIN_LINES = 12  # below this a copy is too short for the learned block pass
COMMENTS_AFTER_CHARS = 400  # story text above a comments header before the thread is cut
STAMP_MAX_CHARS = 100  # a comment's name-and-date line is short
THREAD_SPAN = 30  # lines below one comment stamp in which the next is looked for
THREAD_DAYS = timedelta(days=7)  # the furthest apart two comments of one thread are dated
STORY_SAMPLE_WORDS = 400  # the story's opening words, which a headline's words recur in
# A line of at least this many words, this share of them capitalised (or not
# words: "&", "|"), without final punctuation, is a menu rendered as one line.
FLAT_MENU_WORDS = 12
FLAT_MENU_SHARE = 0.8
TITLE_CASE_SHARE = 0.75  # of a line's words capitalised: a Title Case headline
# A headline's story overlap is over at least this many content words, so a
# section label ("Local News", "Money") does not score as high as a headline.
OVERLAP_MIN_WORDS = 4
# The units of a relative stamp read ("N <unit> ago"); months and years are too coarse.
RELATIVE_UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
HEADLINE_AFTER_START = 12  # lines past the story's start a headline over its byline is sought
# A layout table (see `_table_columns`): this many lines or more, all padded to one width
# of at least TABLE_MIN_WIDTH, with columns set apart by 3+ blank positions (`_GUTTER`);
# on at most TABLE_ROW_SHARE of its lines does the first column hold text beside another's.
TABLE_MIN_LINES = 4
TABLE_MIN_WIDTH = 40
TABLE_ROW_SHARE = 0.5
# What the learned block pass sees of a line (bench/train_textcopy.py; weights in textcopy.yaml).
BLOCK_FEATURES = (
    "justext_good",
    "log_length",
    "stop_density",
    "final",
    "bullet",
    "furniture",
    "position",
    "previous_good",
    "next_good",
    "previous_length",
    "next_length",
    "digits",
    "capitalised",
    "repeated",
    "in_story",
    "before_story",
    "after_story",
)
# What the headline ranker sees of a candidate line; its weights are learned
# (bench/train_textcopy.py --model title) and shipped in textcopy.yaml.
TITLE_FEATURES = (
    "rule_pick",
    "before_story",
    "closeness",
    "log_words",
    "headline_length",
    "full_stop",
    "other_final",
    "capitalised",
    "all_caps",
    "story_overlap",
    "near_meta",
    "good_block",
    "repeated",
    "digits",
    "separator",
    "title_like",
    "strong",
    "short_neighbours",
    "label",
    "menu_run",
    "interface_words",
    "meta_adjacent",
    "after_story",
    "title_rank",
    "dated",
    "bracketed",
    "over_meta",
    "pick_over_meta",
    "after_meta",
)


@dataclass(frozen=True, slots=True)
class TextArticle:
    """What a plain-text copy of an article yields: header fields and the prose body."""

    title: str | None
    standfirst: str | None
    author: str | None
    published_at: datetime | None
    updated_at: datetime | None
    body: str


@dataclass(frozen=True, slots=True)
class TextRules:
    """The compiled `textcopy.yaml`: stop words per language, thresholds, header keywords."""

    stop_index: dict[str, tuple[str, ...]]  # word -> language codes whose stop list has it
    stoplists: dict[str, frozenset[str]]
    length_low: int
    length_high: int
    stopwords_low: float
    stopwords_high: float
    stop_share: float  # least share of the copy's words in its stop list for the list to count
    min_furniture_run: int
    copyright_max_chars: int
    header_window: int
    byline_prefixes: re.Pattern[str]
    published_prefixes: re.Pattern[str]
    updated_prefixes: re.Pattern[str]
    role: re.Pattern[str]
    credit: re.Pattern[str]
    segment_split: re.Pattern[str]
    comments_start: re.Pattern[str]
    interface_words: frozenset[str]  # words of page controls ("print", "share"), a ranker feature
    title_weights: tuple[float, ...]  # per TITLE_FEATURES, then the bias
    block_weights: tuple[float, ...]  # per BLOCK_FEATURES, then the bias


def _words(raw: dict, key: str, path: Path) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{path}: {key} must be a list of non-empty strings")
    return tuple(sorted((v.lower() for v in value), key=len, reverse=True))


def _number(raw: dict, key: str, path: Path, kind: type) -> float:
    value = raw.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{path}: {key} must be a positive number")
    return kind(value)


def _prefixes(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for "a line starting with one of `words`" (whole words, then an optional colon)."""
    return re.compile(
        r"(?:" + "|".join(map(re.escape, words)) + r")(?!\w)[ :：/／\t]*", re.IGNORECASE
    )


def _model_weights(raw: dict, key: str, names: tuple[str, ...], path: Path) -> tuple[float, ...]:
    """A learned model's weights, one per feature name, then the bias."""
    model = raw.get(key)
    weights = model.get("weights") if isinstance(model, dict) else None
    if not isinstance(weights, dict) or set(weights) != set(names):
        raise ConfigError(f"{path}: {key}.weights must give a number for each of {names}")
    values = [*(weights[name] for name in names), model.get("bias")]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ConfigError(f"{path}: {key} weights and bias must be numbers")
    return tuple(float(v) for v in values)


def load_text_rules(path: Path) -> TextRules:
    """Read and check a text-copy rules file; raise ConfigError naming the bad key."""
    raw = read_rules_file(path, "text-copy rules")
    if not isinstance(raw, dict) or not isinstance(raw.get("languages"), dict):
        raise ConfigError(f"{path}: languages must map jusText stop-list names to language codes")
    import justext  # imported when a text copy is first read, not by every extraction worker

    known = justext.get_stoplists()
    stoplists: dict[str, frozenset[str]] = {}
    for name, code in raw["languages"].items():
        if name not in known or not isinstance(code, str):
            raise ConfigError(f"{path}: languages.{name} is not a jusText stop list with a code")
        stoplists[code] = frozenset(justext.get_stoplist(name))
    index: dict[str, list[str]] = {}
    for code, words in stoplists.items():
        for word in words:
            index.setdefault(word, []).append(code)
    updated = _words(raw, "updated_prefixes", path)
    roles = "|".join(map(re.escape, _words(raw, "role_words", path)))
    credits = "|".join(map(re.escape, _words(raw, "credit_words", path)))
    glue = "|".join(re.escape(p) for p in updated)
    bylines = _words(raw, "byline_prefixes", path)
    labels = "|".join(re.escape(p) for p in bylines if _UNSPACED.search(p))
    return TextRules(
        stop_index={word: tuple(codes) for word, codes in index.items()},
        stoplists=stoplists,
        length_low=int(_number(raw, "length_low", path, int)),
        length_high=int(_number(raw, "length_high", path, int)),
        stopwords_low=_number(raw, "stopwords_low", path, float),
        stopwords_high=_number(raw, "stopwords_high", path, float),
        stop_share=_number(raw, "stop_share", path, float),
        min_furniture_run=int(_number(raw, "min_furniture_run", path, int)),
        copyright_max_chars=int(_number(raw, "copyright_max_chars", path, int)),
        header_window=int(_number(raw, "header_window", path, int)),
        byline_prefixes=_prefixes(bylines),
        published_prefixes=_prefixes(_words(raw, "published_prefixes", path)),
        updated_prefixes=_prefixes(updated),
        role=re.compile(r",\s+(?:[\w'’\- ]+\s)?(?:" + roles + r")\b.*$", re.IGNORECASE),
        credit=re.compile(r"\b(?:" + roles + "|" + credits + r")\b", re.IGNORECASE),
        # Segments of a meta line: "|", "•", "·" and spaced dash separators, an update
        # stamp even when glued to what precedes it ("August 3, 2022updated 09 Mar 2023"),
        # and a Chinese/Japanese field label after a space ("来源：X 作者：Y 责任编辑：Z").
        segment_split=re.compile(
            r"\s*[|•·]\s*|\s+[/—–]\s+|(?<![^\W\d_])(?<!last )(?<!zuletzt )\s*(?=(?:"
            + glue
            + r")\b)"
            + (rf"|\s+(?=(?:{labels})\s*[:：])" if labels else ""),
            re.IGNORECASE,
        ),
        comments_start=re.compile(
            "|".join(f"(?:{p})" for p in _words(raw, "comments_start", path)), re.IGNORECASE
        ),
        interface_words=frozenset(_words(raw, "interface_words", path)),
        title_weights=_model_weights(raw, "title_model", TITLE_FEATURES, path),
        block_weights=_model_weights(raw, "block_model", BLOCK_FEATURES, path),
    )


@cache
def default_text_rules() -> TextRules:
    """The shipped rules, read once per process."""
    return load_text_rules(RULES_FILE)


# --- dates -----------------------------------------------------------------


@cache
def _locale_info(lang: str) -> dict:
    """dateparser's table of month and weekday names for `lang` (loaded lazily, as justext)."""
    from dateparser.languages.loader import default_loader

    return default_loader.get_locale(lang).info


def _local_names(lang: str | None, keys: tuple[str, ...]) -> dict[str, int]:
    """`lang`'s names (lower case, 3+ letters) for `keys` -> their number from 1; {} for English."""
    if not lang or lang == "en":
        return {}
    info = _locale_info(lang)
    return {
        name.lower().rstrip("."): number
        for number, key in enumerate(keys, 1)
        for name in info.get(key, ())
        if len(name) >= 3 and not name.isdigit()
    }


@cache
def _month_names(lang: str | None) -> dict[str, int]:
    """Month names (lower case) -> month number: English, plus `lang`'s from dateparser."""
    names = {name: number for number, group in enumerate(_ENGLISH_MONTHS, 1) for name in group}
    for name, number in _local_names(lang, _MONTH_KEYS).items():
        names.setdefault(name, number)
    return names


def _alternatives(names: list[str]) -> str:
    return "|".join(sorted(names, key=len, reverse=True))


@cache
def _date_formats(lang: str | None) -> tuple[tuple[re.Pattern[str], dict[str, int]], ...]:
    """The date patterns for `lang` (English month and weekday names always included)."""
    months = _month_names(lang)
    month = r"(?P<mon>" + _alternatives(list(map(re.escape, months))) + r")\.?"
    weekdays = [_ENGLISH_WEEKDAY, *map(re.escape, _local_names(lang, _WEEKDAY_KEYS))]
    weekday = r"(?:(?:" + _alternatives(weekdays) + r")\.?\s*[,،]?\s+)?"  # "Domingo," "الأربعاء،"
    day_month = weekday + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?" + _LINK + month
    # 3 Aug 2022, Wed 3 Aug 2022, 3rd August 2022, 3. März 2022, 3 de agosto de 2022
    day_month_year = day_month + r",?\s+" + _LINK + r"(?P<y>\d{4})"
    # August 3, 2022; Wednesday, Aug. 3, 2022; Domingo, Diciembre 6, 2020
    month_day_year = weekday + month + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"
    return tuple(
        (re.compile(pattern, re.IGNORECASE), months)
        for pattern in (
            _ISO,  # 2022-08-03, 2022-08-03T10:56:00Z, 2022-08-03 10:56+01:00
            _TIME_FIRST + day_month_year,
            _TIME_FIRST + month_day_year,
            day_month_year + _TIME,  # ... 10.56 BST, ... at 10:56 a.m. EDT, ... - 07:32
            month_day_year + _TIME,
            _YEAR_FIRST,
            _NUMERIC,  # 03/08/2022, 3.8.2022 10:56 (day-first unless impossible)
            # The SHORT_YEAR_FORMATS, last: "27 Mar 20 à 9:21", "11.03.17"
            day_month + r"\s+(?P<y>\d{2})(?![\d.:/])" + _TIME,
            _NUMERIC_SHORT,
        )
    )


def url_date(url: str | None) -> datetime | None:
    """The day written in an article's URL ("/2020/01/13/", "2020-01-13"), as midnight UTC.

    The last resort for a copy that shows no date: its sidecar URL often has one.
    htmldate's URL rule, bounded to 1995 .. now.
    """
    from htmldate.extractors import extract_url_date  # lazily, as justext
    from htmldate.utils import Extractor

    options = Extractor(
        False, datetime.now(UTC).replace(tzinfo=None), _URL_EARLIEST, False, "%Y-%m-%d"
    )
    found = extract_url_date(url, options) if url else None
    return datetime.fromisoformat(found).replace(tzinfo=UTC) if found else None


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


def _day_month(parts: dict[str, str | None], months: dict[str, int]) -> tuple[int, int]:
    if parts.get("mon"):
        return int(parts["d"] or 0), months[(parts["mon"] or "").lower()]
    if parts.get("m"):
        return int(parts["d"] or 0), int(parts["m"] or 0)
    first, second = int(parts["n1"] or 0), int(parts["n2"] or 0)
    return (second, first) if second > 12 else (first, second)


def _to_datetime(match: re.Match[str], months: dict[str, int]) -> datetime | None:
    parts = match.groupdict()
    zone = _zone(parts.get("tz"))
    hour = int(parts.get("H") or 0)
    ampm = (parts.get("ampm") or "").lower()
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    day, month = _day_month(parts, months)
    year = int(parts["y"] or 0)
    if year < 100:  # a two-digit year: 1970-2069
        year += 1900 if year >= 70 else 2000
    try:
        local = datetime(
            year,
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


def parse_date(text: str, lang: str | None = None) -> datetime | None:
    """Parse a whole string as one date in a known format; a UTC datetime or None."""
    candidate = text.strip().rstrip(".")
    for pattern, months in _date_formats(lang):
        if match := pattern.fullmatch(candidate):
            return _to_datetime(match, months)
    return None


def search_date(text: str, lang: str | None = None) -> datetime | None:
    """The first date written anywhere in `text` (a byline sentence, a dateline), or None."""
    if not _YEAR.search(text):
        return None
    found = [
        (match.start(), match, months)
        for pattern, months in _date_formats(lang)[:-SHORT_YEAR_FORMATS]
        if (match := pattern.search(text)) is not None
    ]
    for _, match, months in sorted(found, key=lambda item: item[0]):
        if (when := _to_datetime(match, months)) is not None:
            return when
    return None


@cache
def _relative_formats(lang: str | None) -> tuple[tuple[re.Pattern[str], timedelta], ...]:
    """dateparser's "N <unit> ago" patterns of English and `lang`, with each unit's length."""
    found = []
    for code in dict.fromkeys(("en", lang or "en")):
        table = _locale_info(code).get("relative-type-regex", {})
        for unit, length in RELATIVE_UNITS.items():
            if patterns := table.get(f"\\1 {unit} ago"):
                found.append((re.compile("|".join(patterns), re.IGNORECASE), length))
    return tuple(found)


def relative_age(text: str, lang: str | None = None) -> timedelta | None:
    """How long ago a relative stamp says ("2 hours ago", "vor 3 Tagen", "il y a 2 jours",
    "hace 3 horas"), or None when `text` is not one."""
    if not _DIGIT.search(text):
        return None
    candidate = text.strip().rstrip(".")
    for pattern, length in _relative_formats(lang):
        if match := pattern.fullmatch(candidate):
            number = next(group for group in match.groups() if group)
            return length * float(number.replace(",", "."))
    return None


def _word_count(text: str) -> int:
    """Words in `text`, a run of Chinese or Japanese counting as one word per two characters."""
    return sum(max(1, len(_UNSPACED.findall(token)) // 2) for token in _TOKEN.findall(text))


def find_date(text: str, lang: str | None = None) -> datetime | None:
    """A date inside a short meta segment ("Publié le 3 août 2022 à 10h56"), or None.

    At most four other words may surround it, so a sentence or a headline
    that mentions a date is not taken for a date line.
    """
    if not _TWO_DIGITS.search(text):  # every format has a year of two digits or four
        return None
    if (when := parse_date(text, lang)) is not None:
        return when
    formats = _date_formats(lang)
    if not _YEAR.search(text):
        formats = formats[-SHORT_YEAR_FORMATS:]
    for pattern, months in formats:
        if (match := pattern.search(text)) is not None:
            rest = pattern.sub(" ", text)  # a stamp written twice is still one date
            if _word_count(rest) <= 4:
                return _to_datetime(match, months)
    return None


def _strip_prefix(text: str, prefixes: re.Pattern[str]) -> str | None:
    """The rest of `text` after one of `prefixes` (and an optional colon), or None."""
    match = prefixes.match(text)
    return text[match.end() :] if match else None


# --- bylines ---------------------------------------------------------------


def _is_name(text: str, max_tokens: int) -> bool:
    """Two to `max_tokens` capitalised words, allowing particles such as "van" or "de"."""
    tokens = text.split()
    if not 2 <= len(tokens) <= max_tokens or not tokens[0][0].isupper():
        return False
    return all(
        _NAME_TOKEN.fullmatch(t) and (t[0].isupper() or t.lower() in NAME_PARTICLES) for t in tokens
    )


def _names(text: str, max_tokens: int) -> str | None:
    names = [n for n in _NAME_LIST_SPLIT.split(text) if n]
    if not names or not all(_is_name(n, max_tokens) for n in names):
        return None
    return ", ".join(names)


def parse_byline(text: str, rules: TextRules | None = None) -> str | None:
    """The author name(s) in a byline segment, joined by ", "; None if it is not one."""
    rules = rules or default_text_rules()
    rest = _strip_prefix(text.strip(), rules.byline_prefixes)
    candidate = _HANDLE.sub("", rest if rest is not None else text.strip())
    stripped = _IN_PLACE.sub("", rules.role.sub("", candidate))
    if rest is None and stripped == candidate:
        return None  # a bare name needs a prefix, a role or a place to count as a byline
    if rest is not None and _CJK_NAME.fullmatch(stripped):
        return stripped  # "作者：王小明", "記者 山田太郎"
    # Without a "By" prefix, allow only short names so a Title Case headline is not a byline.
    names = _names(stripped, 5 if rest is not None else 3)
    return names if names or rest is None else _leading_name(rest)


def _leading_name(text: str) -> str | None:
    """The name that opens a prefixed byline with more after it.

    "Jane Doe July 10, 2015", "Jane Doe@jdoe Updated ...", "Jane Doe (reporting) and ...":
    the capitalised words up to a month name, a handle, a comma or anything else.
    """
    months = _month_names(None)
    tokens: list[str] = []
    raws = text.split("@", 1)[0].split()
    for k, raw in enumerate(raws):
        token = raw.rstrip(",")
        dated = k + 1 < len(raws) and raws[k + 1][:1].isdigit()  # "June" is a name, "June 3" not
        if (dated and token.lower().rstrip(".") in months) or not _NAME_TOKEN.fullmatch(token):
            break
        if not (token[0].isupper() or token.lower() in NAME_PARTICLES):
            break
        tokens.append(token)
        if raw.endswith(","):
            break
    return " ".join(tokens) if 2 <= len(tokens) <= 5 else None


def bare_name(text: str) -> str | None:
    """A line that is only a person's name ("Jane Doe", "Jane Doe, @jdoe"); None otherwise."""
    return _names(_HANDLE.sub("", text.strip()), 4)


# --- blocks ----------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    """One line of the copy with the features the classifier uses."""

    text: str
    words: list[str]
    bullet: bool
    final: bool
    furniture: bool
    comments: bool  # opens readers' comments (see `_opens_comments`)
    stamp: bool  # a comment's date-and-time line (see `_comment_stamp`)
    cls: str = SHORT
    meta: bool = False  # a byline, date or credit line of the header window
    in_run: bool = False  # one of a run of short unpunctuated lines (a menu, a picker)
    density: float = 0.0  # share of the copy's language's stop words (0 without a stop list)


def detect_language(words: list[str], rules: TextRules) -> str | None:
    """The language whose stop words make up the largest share of `words` (lower case; 5%+)."""
    scores: Counter[str] = Counter()
    for word, count in Counter(words).items():
        for code in rules.stop_index.get(word, ()):
            scores[code] += count
    if not scores:
        return None
    code, hits = scores.most_common(1)[0]
    return code if hits >= 0.05 * len(words) else None


def _column_spans(rows: list[str]) -> list[tuple[int, int]]:
    """The column spans of a layout table's lines, or [] when it has one column or is a
    data table: one row per line, its first column labelling the row beside the others'
    text on most lines (a layout table's first column is a menu beside the story)."""
    width = len(rows[0])
    ink = bytearray(width)
    for row in rows:
        for mark in _INK.finditer(row):
            ink[mark.start() : mark.end()] = b"\x01" * (mark.end() - mark.start())
    left = ink.find(1)  # gutters start right of the table's first ink
    if left < 0:
        return []
    cuts = [m.span() for m in _GUTTER.finditer(ink, left) if m.end() < width]
    if not cuts:
        return []
    starts = [0, *(end for _, end in cuts)]
    spans = list(zip(starts, [start for start, _ in cuts] + [width], strict=True))
    first, rest = spans[0], spans[1:]
    inked = [
        (not row[slice(*first)].isspace(), any(not row[a:b].isspace() for a, b in rest))
        for row in rows
    ]
    labelled = sum(label and other for label, other in inked)
    return [] if labelled > TABLE_ROW_SHARE * sum(map(any, inked)) else spans


def _table_columns(lines: list[str]) -> list[str]:
    """The copy's lines with each layout table read column by column, as its page reads.

    A page laid out in a table (a menu column beside the story column) renders
    row by row, every line padded to the table's width: the menu's items and
    the story's lines alternate ("Europe      Press sceptical on Annapolis").
    Runs of lines of one width with blank gutters common to all are split at
    the gutters and each column's lines given in turn; a data table keeps its rows.
    """
    out: list[str] = []
    k = 0
    while k < len(lines):
        end = k + 1
        while end < len(lines) and len(lines[end]) == len(lines[k]):
            end += 1
        rows = lines[k:end]
        tall = end - k >= TABLE_MIN_LINES and len(lines[k]) >= TABLE_MIN_WIDTH
        spans = _column_spans(rows) if tall else []
        out.extend([row[a:b] for a, b in spans for row in rows] if spans else rows)
        k = end
    return out


def _cells(text: str) -> Iterator[tuple[str, bool]]:
    """The copy's non-empty cells (columns set apart by 3+ spaces or a tab), each with
    whether it opens its line: a cell next to another is no continuation of a sentence.
    Layout tables are read column by column (`_table_columns`)."""
    for physical in _table_columns(_LINE_SPLIT.split(text.replace("\u00a0", " "))):
        first = True
        for raw in _CELL_SPLIT.split(physical):
            if cell := raw.strip():
                yield cell, first
                first = False


def _joined_lines(text: str, rules: TextRules) -> list[str]:
    """The copy's non-empty lines, a line that continues a sentence joined to the one before.

    Hard-wrapped text and `<br>` breaks split paragraphs mid-sentence; a line
    starting in lower case after one without final punctuation continues it,
    unless it starts a byline or a date line ("by Jane Doe", "updated ...") or
    is an "o" list item (inscriptis marks nested lists so), or is a cell
    beside another rather than a line of its own. A byline prefix
    alone on its line ("By", "Written by") is joined to the name below it.
    """
    meta = (rules.byline_prefixes, rules.published_prefixes, rules.updated_prefixes)
    lines: list[str] = []
    for line, first_cell in _cells(text):
        continues = first_cell and line[0].islower() and _CONTINUATION.match(line) and lines
        continues = continues and not lines[-1].endswith(_FINAL) and not line.startswith("o ")
        if continues and not any(prefix.match(line) for prefix in meta):
            lines[-1] = f"{lines[-1]} {line}"
        elif lines and rules.byline_prefixes.fullmatch(lines[-1]) and bare_name(line):
            lines[-1] = f"{lines[-1]} {line}"  # "By" on a line of its own, the name below
        else:
            lines.append(line)
    return lines


def _blocks(text: str, rules: TextRules) -> list[_Block]:
    """One block per line; table cells (columns set apart by 3+ spaces or tabs) are lines too.

    Words are kept in lower case (for the stop lists); a line's fields are
    worked out once per distinct line (menus repeat), its word list shared.
    """
    blocks = []
    seen: dict[str, tuple[str, list[str], bool, bool, bool, bool, bool]] = {}
    for line in _joined_lines(text, rules):
        fields = seen.get(line)
        if fields is None:
            bullet = _BULLET.match(line)
            if bullet and line[0].isdigit() and _YEAR.search(line, 0, 30):
                bullet = None  # "3. August 2022" is a date, not list item 3
            content = line[bullet.end() :] if bullet else line
            furniture = _is_furniture(line, rules)
            fields = seen[line] = (
                content or line,
                _TOKEN.findall(content.lower()),
                bullet is not None,
                content.endswith(_FINAL),
                furniture,
                _opens_comments(content or line, furniture, rules),
                _comment_stamp(content or line),
            )
        blocks.append(_Block(*fields))
    return blocks


def _is_furniture(line: str, rules: TextRules) -> bool:
    """Markup left in the copy, a copyright line, or a line the phrase patterns know.

    A copyright notice is a short paragraph: a longer line holding one is a
    story run together with its page footer (a layout rendered as one line),
    which the classifier weighs as any other text.
    """
    notice = len(line) <= rules.copyright_max_chars and _COPYRIGHT.search(line)
    return line.startswith("<") or bool(notice) or boilerplate_kind(line) is not None


def _opens_comments(text: str, furniture: bool, rules: TextRules) -> bool:
    """A section header of readers' comments ("12 Comments", "Leave a Reply", "← Previous ...")."""
    return bool(rules.comments_start.match(text)) or (
        furniture and len(text) <= 40 and boilerplate_kind(text) == "comments"
    )


def _piped_menu(text: str, rules: TextRules) -> bool:
    """Links set apart by pipes ("Home | World | Sport"): 3+ items, short on average.

    A page laid out without block elements renders as a few very long lines,
    its menus and its story run together; such a line holds the story and is
    weighed as text, not thrown away for the pipes of its footer.
    """
    pipes = text.count(" | ")
    return pipes >= 2 and len(text) < (pipes + 1) * rules.length_low


def _initial_class(block: _Block, stop: frozenset[str] | None, rules: TextRules) -> str:
    """jusText's context-free class, with sentence shape standing in for links."""
    length = len(block.text)
    if block.furniture or _piped_menu(block.text, rules):
        return BAD
    # Without a stop list for the language, sentence shape decides.
    sentence_shape = rules.stopwords_high if block.final else 0.0
    density = sentence_shape if stop is None else block.density
    if length < rules.length_low:
        # A short whole sentence is near-good: its neighbours decide, furniture aside.
        sentence = block.final and len(block.words) >= 5 and density >= rules.stopwords_low
        return NEAR if sentence else SHORT
    if density >= rules.stopwords_high:
        return GOOD if length > rules.length_high or block.final else NEAR
    return NEAR if density >= rules.stopwords_low else BAD


def _flat_menu(block: _Block) -> bool:
    """A menu rendered as one line: many words, nearly all capitalised, no final punctuation."""
    tokens = block.text.split()
    if block.final or len(tokens) < FLAT_MENU_WORDS:
        return False
    capitalised = sum(t[0].isupper() or not t[0].isalpha() for t in tokens)
    return capitalised >= FLAT_MENU_SHARE * len(tokens)


def _mark_runs(blocks: list[_Block], rules: TextRules) -> None:
    """Runs of short lines without final punctuation are menus, link lists or pickers;
    so is a long line of capitalised link texts (a menu rendered as one line)."""
    for block in blocks:
        if _flat_menu(block):
            block.cls = BAD
            block.in_run = True
    run: list[_Block] = []
    for block in [*blocks, None]:
        if block is not None and len(block.text) < rules.length_low and not block.final:
            run.append(block)
            continue
        if len(run) >= rules.min_furniture_run:
            for member in run:
                member.cls = BAD
                member.in_run = True
        run = []


def _story_line(block: _Block) -> bool:
    """A kept sentence of the story, not a line introducing a list (which ends in a colon)."""
    return block.cls == GOOD and block.final and not block.text.endswith(":")


def _keep_colon_lists(blocks: list[_Block]) -> None:
    """A run of short lines right under a story line that ends in a colon ("mix
    together:", "were as follows:") and right over more story is the story's list
    (ingredients, steps, verdicts), not a menu; a line ending in a colon below the run
    that opens the next list is kept with it. The story must have begun above the
    colon line: a header's "click the links below for:" introduces a menu."""
    i, story_seen = 0, False
    while i < len(blocks):
        if not blocks[i].in_run:
            story_seen = story_seen or (i > 0 and _story_line(blocks[i - 1]))
            i += 1
            continue
        end = i
        while end < len(blocks) and blocks[end].in_run:
            end += 1
        after = blocks[end] if end < len(blocks) else None
        above = blocks[i - 1] if i else None
        if (
            story_seen
            and above is not None
            and above.cls == GOOD
            and above.text.endswith(":")
            and after is not None
            and (after.cls == GOOD or after.text.endswith(":"))
        ):
            for block in blocks[i:end]:
                block.cls = GOOD
            after.cls = GOOD
        i = end


def _nearest(blocks: list[_Block], step: int, ignore_near: bool, skip_furniture: bool) -> list[str]:
    """For each block, the class of the nearest decided block before (step -1) or after (+1).

    "Decided" is good or bad (and near-good unless `ignore_near`); an edge
    counts as bad. One pass over the blocks, so long menus cost linear time.
    """
    found = [BAD] * len(blocks)
    last = BAD
    order = range(len(blocks)) if step > 0 else range(len(blocks) - 1, -1, -1)
    for i in order:
        found[i] = last
        block = blocks[i]
        if skip_furniture and block.furniture:
            continue
        if block.cls in (GOOD, BAD) or (block.cls == NEAR and not ignore_near):
            last = block.cls
    return found


def _revise(blocks: list[_Block]) -> None:
    """jusText's context pass: short blocks, then near-good ones, take their neighbours' class."""
    before, after = _nearest(blocks, 1, True, False), _nearest(blocks, -1, True, False)
    before_near, after_near = _nearest(blocks, 1, False, False), _nearest(blocks, -1, False, False)
    new: dict[int, str] = {}
    for i, block in enumerate(blocks):
        if block.cls != SHORT:
            continue
        if before[i] == after[i]:
            new[i] = before[i]
        elif (before[i] == BAD and before_near[i] == NEAR) or (
            after[i] == BAD and after_near[i] == NEAR
        ):
            new[i] = GOOD
        else:
            new[i] = BAD
    for i, cls in new.items():
        blocks[i].cls = cls
    before, after = _nearest(blocks, 1, True, True), _nearest(blocks, -1, True, True)
    for i, block in enumerate(blocks):
        if block.cls == NEAR:
            block.cls = BAD if before[i] == after[i] == BAD else GOOD


def _good_runs(blocks: list[_Block], gap: int) -> list[list[int]]:
    """Good blocks in runs; a run goes on over at most `gap` other non-furniture blocks."""
    runs: list[list[int]] = []
    previous = -1
    others_before = [0]  # non-furniture blocks before each index
    for block in blocks:
        others_before.append(others_before[-1] + (not block.furniture))
    for i, block in enumerate(blocks):
        if block.cls != GOOD:
            continue
        others = others_before[i] - others_before[previous + 1]
        if runs and others <= gap:
            runs[-1].append(i)
        else:
            runs.append([i])
        previous = i
    return runs


def _longest(blocks: list[_Block], runs: list[list[int]]) -> list[int]:
    """The run with the most text: the story."""
    return max(runs, key=lambda run: sum(len(blocks[i].text) for i in run))


def _drop_islands(blocks: list[_Block], rules: TextRules, gap: int = 0) -> None:
    """A lone good paragraph amid furniture, after the story, is a sign-up or privacy notice.

    Story paragraphs come in runs (an advertisement or a credit between them
    does not count); a single one walled in by menus or pickers, below a
    longer run of story, is not part of it. `gap`: how many other lines a run
    may pass over (the learned pass splits runs at captions, so it allows some).
    """
    runs = _good_runs(blocks, gap)
    if len(runs) < 2:
        return
    longest = _longest(blocks, runs)
    for run in runs:
        if (
            len(run) == 1
            and run[0] > longest[-1]
            and len(blocks[run[0]].text) < 2 * rules.length_high
        ):
            blocks[run[0]].cls = BAD


def classify_blocks(text: str, rules: TextRules | None = None) -> tuple[list[_Block], str | None]:
    """The copy's lines, each classified good (story) or bad (furniture), and its language."""
    rules = rules or default_text_rules()
    blocks = _blocks(text, rules)
    sample = [w for b in blocks for w in b.words]
    sample = sample[:LANGUAGE_SAMPLE_WORDS]
    lang = detect_language(sample, rules)
    stop = rules.stoplists.get(lang) if lang else None
    if stop is not None and sum(map(stop.__contains__, sample)) < rules.stop_share * len(sample):
        stop = None  # a few chance hits (placeholder Latin, a language without a list)
    if stop is not None:
        densities: dict[str, float] = {}
        for block in blocks:
            if (density := densities.get(block.text)) is None:
                hits = sum(map(stop.__contains__, block.words))
                density = densities[block.text] = hits / max(1, len(block.words))
            block.density = density
    for block in blocks:
        block.cls = _initial_class(block, stop, rules)
    if stop is not None and not any(b.cls in (GOOD, NEAR) for b in blocks):
        for block in blocks:  # a language our stop lists do not know: sentence shape decides
            block.cls = _initial_class(block, None, rules)
    _mark_runs(blocks, rules)
    sentences = [b for b in blocks if b.cls != BAD and b.final]
    _revise(blocks)
    if not any(b.cls == GOOD for b in blocks):  # a note too short for context: keep its sentences
        for block in sentences:
            block.cls = GOOD
    _drop_islands(blocks, rules)
    _cut_comments(blocks, lang)
    _keep_colon_lists(blocks)
    return blocks, lang


def _cut_comments(blocks: list[_Block], lang: str | None) -> None:
    """Class the readers' comments below a story as bad, so a long thread is not taken for it."""
    for block in blocks[_comments_at(blocks, 0, lang) :]:
        block.cls = BAD


# --- header ----------------------------------------------------------------


@dataclass(slots=True)
class _Meta:
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    lines: list[int] = field(default_factory=list)
    age: timedelta | None = None  # a relative publication stamp: "2 hours ago", "vor 3 Tagen"


def _read_meta(line: str, rules: TextRules, lang: str | None) -> _Meta | None:
    """The byline/date fields of a line; None if it is prose or a headline.

    Besides dates and bylines a meta line may hold furniture and short odd
    segments ("1:39 PM", a desk name), but only when a date or byline was found.
    """
    found = _Meta()
    odd = False
    for segment in filter(None, (s.strip() for s in rules.segment_split.split(line))):
        updated = _strip_prefix(segment, rules.updated_prefixes)
        published = _strip_prefix(segment, rules.published_prefixes)
        dated = True
        stamp = published if published is not None else segment
        if updated is not None and (when := find_date(updated, lang)):
            found.updated = found.updated or when
        elif (when := find_date(stamp, lang)) is not None:
            found.published = found.published or when
        elif (age := relative_age(updated if updated is not None else stamp, lang)) is not None:
            found.age = found.age or (age if updated is None else None)
        else:
            dated = False
        # "By Jane Doe July 10, 2015": a byline may share its segment with the date.
        if author := parse_byline(segment, rules):
            found.author = found.author or author
        elif not dated and boilerplate_kind(segment) is None:
            if len(segment.split()) > 5:
                return None
            odd = True
    dates = (found.published, found.updated, found.age)
    nothing = found.author is None and dates == (None, None, None)
    return None if nothing or (odd and dates == (None, None, None)) else found


def _late_date(
    blocks: list[_Block], indexes: range, rules: TextRules, lang: str | None
) -> datetime | None:
    """The published date of the first short line among `indexes` that is only a date line."""
    for i in indexes:
        found = _read_meta(blocks[i].text, rules, lang) if len(blocks[i].text) <= 80 else None
        if found is not None and found.published is not None:
            return found.published
    return None


def _loose_date(blocks: list[_Block], anchor: int, low: int, lang: str | None) -> datetime | None:
    """A date written in a line next to the headline or story start, nearest first.

    The last resort when no byline/date line was found: a date inside a longer
    line ("Posted by Jane Doe on February 18, 2020 in Showbiz"), never in a
    copyright line, a line of prose or a long one.
    """
    window = range(max(low, anchor - LOOSE_DATE_LINES), min(len(blocks), anchor + LOOSE_DATE_LINES))
    for i in sorted(window, key=lambda i: abs(i - anchor)):
        block = blocks[i]
        if block.furniture or len(block.text) > 160 or (block.final and len(block.words) > 12):
            continue
        if (when := search_date(block.text, lang)) is not None:
            return when
    return None


def _page_date(blocks: list[_Block], lang: str | None) -> datetime | None:
    """The first line anywhere in the copy that is only a date (a stamp far from the story)."""
    for block in blocks:
        if not block.furniture and len(block.text) <= 60 and (when := find_date(block.text, lang)):
            return when
    return None


def _days_before(blocks: list[_Block], meta: _Meta, lang: str | None) -> datetime | None:
    """The day a relative stamp ("3 days ago") points to, counted back from the copy's own
    date: the first line elsewhere in it that is only a date (a masthead's "today").

    Whole days only, as the reference is a day: "2 hours ago" is that day. None when the
    copy shows no such date (the stamp was relative to a moment the copy does not keep).
    """
    age = meta.age or timedelta()
    own = [b for i, b in enumerate(blocks) if i not in meta.lines]
    today = _page_date(own, lang)
    return None if today is None else today - timedelta(days=age.days)


def _title_like(block: _Block) -> bool:
    """Shaped like a headline: 2-40 words (or a long unspaced CJK line), no final full stop."""
    text = block.text
    words = len(block.words)
    shaped = 2 <= words <= 40 or (words == 1 and len(text) >= 8 and not text.isascii())
    return (
        shaped
        and len(text) <= 250
        and not text.endswith((".", ":", ";"))
        and not block.bullet
        and not block.furniture
        and not block.meta
        and not _NAVIGATION.search(text)
        and not (text[0].islower() and text.split()[0].islower())  # "iTunes ..." may lead
    )


def _cluster(metas: dict[int, _Meta], start: int) -> _Meta:
    """Merge the meta lines into clusters (gaps of up to 3 lines); the one nearest `start`."""
    clusters: list[_Meta] = []
    for index in sorted(metas):
        meta = metas[index]
        if not clusters or index - clusters[-1].lines[-1] > 3:
            clusters.append(_Meta())
        merged = clusters[-1]
        merged.author = merged.author or meta.author
        merged.published = merged.published or meta.published
        merged.updated = merged.updated or meta.updated
        merged.age = merged.age or meta.age
        merged.lines.append(index)
    if not clusters:
        return _Meta()
    best = min(clusters, key=lambda c: min(abs(i - start) for i in c.lines))
    # A byline set apart from the date line ("By A" above the standfirst, the date below it).
    authors = [c for c in clusters if c.author is not None]
    if best.author is None and authors:
        best.author = min(authors, key=lambda c: abs(c.lines[0] - best.lines[0])).author
    return best


def _far_byline(blocks: list[_Block], start: int, rules: TextRules) -> str | None:
    """The author of the "By ..." line nearest above the story (or in its first lines,
    under a standfirst taken for story), however far: the last resort.

    Only a line opening with a byline prefix counts, so a bare Title Case line does not.
    """
    lines = (b.text for b in reversed(blocks[: start + 6]) if len(b.text) <= 120)
    prefixed = (line for line in lines if _strip_prefix(line, rules.byline_prefixes))
    return next(filter(None, (parse_byline(line, rules) for line in prefixed)), None)


def _by_line(block: _Block, rules: TextRules) -> bool:
    """A line that opens with a byline prefix ("By", "Von", "Por", ...)."""
    return _strip_prefix(block.text, rules.byline_prefixes) is not None


def _add_credits(blocks: list[_Block], meta: _Meta, rules: TextRules, lang: str | None) -> None:
    """Grow the cluster by the name and credit lines next to it; a bare name is the author,
    but a name line right above a "By ..." line of another name is a Title Case headline.

    Up to two lines each side are looked at, furniture lines passed over. A
    Title Case line with a stop word of the copy's language after its first
    word ("Fergie Cautious When Traveling") is a headline, not a name; the
    first word may be one (jusText's English list has "John").
    """
    stop = rules.stoplists.get(lang or "", frozenset()) - NAME_PARTICLES
    if not meta.lines:
        return
    for step, edge in ((-1, meta.lines[0]), (1, meta.lines[-1])):
        for i in range(edge + step, edge + 3 * step, step):
            if not 0 <= i < len(blocks):
                break
            block = blocks[i]
            if block.furniture:  # "Follow", "Share" between the name and the date
                continue
            headline = stop.intersection(block.words[1:])
            credit = rules.credit.search(block.text)  # "Games Editor" is a role, no name
            name = None if headline or credit else bare_name(block.text)
            if name and meta.author is None:
                meta.author = name
            elif name and name not in meta.author and step < 0 and _by_line(blocks[i + 1], rules):
                break  # "Remembering Dusty Cohl" right over "By Bruce Kirkland": a headline
            elif not (name or (len(block.words) <= 6 and rules.credit.search(block.text))):
                break
            meta.lines.append(i)
            block.meta = True
    meta.lines.sort()


def _text_lines(blocks: list[_Block], indexes: range, skip: set[int]) -> list[int]:
    """Up to three lines in the first eight of `indexes`: no furniture, meta or bullets."""
    found = []
    for i in list(indexes)[:8]:
        if i in skip or blocks[i].furniture or blocks[i].bullet:
            continue
        found.append(i)
        if len(found) == 3:
            break
    return found


def _strong(block: _Block) -> bool:
    """A headline of three words or more (or a long line of an unspaced script)."""
    return len(block.words) >= 3 or (len(block.text) >= 12 and " " not in block.text)


def _title_case(text: str) -> bool:
    """Most words capitalised, as English headlines are written and standfirsts are not."""
    tokens = [t for t in text.split() if t[0].isalpha()]
    return len(tokens) >= 4 and sum(t[0].isupper() for t in tokens) >= TITLE_CASE_SHARE * len(
        tokens
    )


def _pick(blocks: list[_Block], lines: list[int], upward: bool) -> tuple[int | None, int | None]:
    """Headline and standfirst among `lines` (reading order); search from the cluster's side.

    Headlines of three words or more come before shorter ones (section labels,
    "View gallery"). Two title-like lines in a row are headline and standfirst when the second
    is clearly longer and not in Title Case (then it is the headline under a menu item);
    otherwise the one nearer the cluster is the headline (the other is a related link or a
    section label).
    """
    order = list(range(len(lines) - 1, -1, -1) if upward else range(len(lines)))
    strong = [k for k in order if _strong(blocks[lines[k]])]
    for k in strong + [k for k in order if k not in strong]:
        if not _title_like(blocks[lines[k]]):
            continue
        upper = blocks[lines[k - 1]] if k else None
        here = blocks[lines[k]]
        if upward and upper is not None and _title_like(upper):
            longer = len(here.words) >= max(10, 1.5 * len(upper.words))
            if longer and len(upper.words) >= 3 and not _title_case(here.text):
                return lines[k - 1], lines[k]
        return lines[k], lines[k + 1] if k + 1 < len(lines) else None
    return None, None


def _headline(
    blocks: list[_Block], meta: _Meta, start: int, low: int
) -> tuple[int | None, int | None]:
    """Headline and standfirst indexes, found next to the byline/date cluster (or the story)."""
    skip = set(meta.lines)
    if meta.lines:
        first, last = meta.lines[0], meta.lines[-1]
        options = [
            (_text_lines(blocks, range(first + 1, last), skip), False),
            (_text_lines(blocks, range(first - 1, low - 1, -1), skip)[::-1], True),
            (_text_lines(blocks, range(last + 1, min(len(blocks), last + 3)), skip), False),
        ]
    else:
        options = [(_text_lines(blocks, range(start - 1, low - 1, -1), skip)[::-1], True)]
    for lines, upward in options:
        title_at, standfirst_at = _pick(blocks, lines, upward)
        if title_at is not None:
            after_meta = not meta.lines or title_at > meta.lines[-1]
            return title_at, None if after_meta and standfirst_at == start else standfirst_at
    nearest = [i for i in range(start - 1, low - 1, -1) if i not in skip]
    nearest = [i for i in nearest if _title_like(blocks[i])]
    return next((i for i in nearest if _strong(blocks[i])), next(iter(nearest), None)), None


def _story_words(blocks: list[_Block], start: int) -> frozenset[str]:
    """The opening words of the story (its good blocks from `start`), for headline overlap."""
    words: list[str] = []
    for block in blocks[start:]:
        if block.cls == GOOD:
            words.extend(block.words)
            if len(words) >= STORY_SAMPLE_WORDS:
                break
    return frozenset(words)


@dataclass(frozen=True, slots=True)
class _PageFacts:
    """What every headline candidate of one copy is compared with."""

    story: frozenset[str]  # the story's opening words
    counts: Counter[str]  # how often each line occurs
    stop: frozenset[str]
    interface: frozenset[str]
    rank: dict[int, int]  # strong title-like lines, counted outward from the header's anchor
    over_meta: frozenset[int]  # lines right above a byline or date line (see _above_meta)


def title_features(layout: _Layout, i: int, facts: _PageFacts) -> list[float]:
    """The TITLE_FEATURES of line `i` as a headline candidate (see the ranker)."""
    blocks, start, rule_pick = layout.blocks, layout.start, layout.title_at
    story, counts = facts.story, facts.counts
    block = blocks[i]
    text, words = block.text, block.words
    content = [w for w in words if len(w) > 2 and w not in facts.stop]
    tokens = text.split()
    neighbours = [blocks[j] for j in (i - 1, i + 1) if 0 <= j < len(blocks)]
    return [
        float(i == rule_pick),
        float(i < start),
        1.0 / (1 + abs(start - i)),
        math.log1p(len(words)),
        float(3 <= len(words) <= 20),
        float(text.endswith(".")),
        float(text.endswith(_FINAL) and not text.endswith(".")),
        sum(t[0].isupper() for t in tokens) / len(tokens),
        float(text.isupper()),
        sum(w in story for w in content) / max(len(content), OVERLAP_MIN_WORDS),
        float(any(abs(j - i) <= 2 for j in layout.meta.lines)),
        float(block.cls == GOOD),
        float(counts[text] > 1),
        len(_DIGIT.findall(text)) / len(text),
        float(" | " in text or " - " in text or " – " in text),
        float(_title_like(block)),
        float(_strong(block)),
        sum(len(b.words) <= 3 for b in neighbours) / max(1, len(neighbours)),
        float(tokens[0].endswith(":") or ": " in text[:16]),
        float(block.in_run),
        sum(w in facts.interface for w in words) / max(1, len(words)),
        float(any(abs(j - i) == 1 for j in layout.meta.lines)),
        float(i > start),
        1.0 / (1 + facts.rank[i]) if i in facts.rank else 0.0,
        float(search_date(text, layout.lang) is not None),
        float(text.startswith(("(", "[")) and text.endswith((")", "]"))),
        float(i in facts.over_meta),
        float(i in facts.over_meta and i == rule_pick),
        float(bool(layout.meta.lines) and i > layout.meta.lines[-1]),
    ]


def _above_meta(layout: _Layout, i: int, rules: TextRules) -> bool:
    """Whether the next line under `i` that is not furniture is a byline or date line: a
    headline sits right above its byline and date, a menu line or a related link does not."""
    below = next((b for b in layout.blocks[i + 1 : i + 4] if not b.furniture), None)
    if below is None or below.meta:
        return below is not None
    return len(below.text) <= 120 and _read_meta(below.text, rules, layout.lang) is not None


def _story_sentence(block: _Block) -> bool:
    """A line kept as story that ends in a full stop: prose, not a headline."""
    return block.cls == GOOD and block.text.endswith(_FULL_STOP)


def _header_sentence(block: _Block) -> bool:
    """A finished sentence between the headline and its byline/date lines, kept as story;
    not a teaser or a menu cut short by an ellipsis ("... And More...")."""
    return block.final and not block.furniture and not block.text.endswith(("...", "…"))


@cache
def _stamp_words(lang: str | None) -> frozenset[str]:
    """The words a date or time stamp is made of: month and weekday names (English and
    `lang`'s), "am"/"pm" and the time zones read."""
    weekdays = {day[:k] for day in _WEEKDAY_KEYS for k in (2, 3, 4, len(day))}
    local = _local_names(lang, _WEEKDAY_KEYS)
    return frozenset({*_month_names(lang), *weekdays, *local, *ZONE_OFFSETS, "am", "pm"})


def _stamp_only(text: str, lang: str | None) -> bool:
    """A date or time stamp, read or not ("Fri Dec 28, 6:09 PM ET" has no year): numbers
    and stamp words only. Never the headline."""
    tokens = _TOKEN.findall(text.lower())
    words = _stamp_words(lang)
    return any(t.isdigit() for t in tokens) and all(t.isdigit() or t in words for t in tokens)


def _interface_label(text: str, rules: TextRules) -> bool:
    """A line led by a page control's label ("Topics: ...", "Search: ..."), never a headline."""
    label = _LABEL.match(text)
    return label is not None and label.group(1).lower() in rules.interface_words


def _candidates(layout: _Layout, rules: TextRules) -> list[tuple[int, list[float]]]:
    """The header window's lines (and the story's first three, or further in up to
    `HEADLINE_AFTER_START` a strong title-like line over a byline) that could be the headline."""
    blocks, start = layout.blocks, layout.start
    lines = [
        i
        for i in range(layout.low, min(len(blocks), start + HEADLINE_AFTER_START))
        if not (blocks[i].meta or blocks[i].furniture)
        and not _NAVIGATION.search(blocks[i].text)
        and not _interface_label(blocks[i].text, rules)
        and not _stamp_only(blocks[i].text, layout.lang)
        and 1 <= len(blocks[i].words) <= 40
        and len(blocks[i].text) <= 250
    ]
    titled = {i for i in lines if _title_like(blocks[i]) and _strong(blocks[i])}
    # Below the story's first lines (captions taken for story), only a headline over its byline.
    lines = [i for i in lines if i < start + 3 or (i in titled and _above_meta(layout, i, rules))]
    # A sentence of the story ("... the computer.", "...的计算机。") or a line of several
    # sentences is prose, never the headline.
    lines = [
        i
        for i in lines
        if not (
            (i >= start and _story_sentence(blocks[i])) or _SENTENCE_BREAK.search(blocks[i].text)
        )
    ]
    anchor = layout.meta.lines[0] if layout.meta.lines else start
    strong = [i for i in lines if i in titled]
    facts = _PageFacts(
        story=_story_words(blocks, start),
        counts=Counter(b.text for b in blocks),
        stop=rules.stoplists.get(layout.lang or "", frozenset()),
        interface=rules.interface_words,
        # Outward from the anchor; of two lines as near, the structural pick first.
        rank={
            i: k
            for k, i in enumerate(
                sorted(strong, key=lambda i: (abs(i - anchor), i != layout.title_at))
            )
        },
        over_meta=frozenset(i for i in lines if _above_meta(layout, i, rules)),
    )
    return [(i, title_features(layout, i, facts)) for i in lines]


def _rank_title(layout: _Layout, rules: TextRules) -> tuple[int | None, bool]:
    """The headline: the candidate line that the learned ranker scores highest, and
    whether the ranker finds the structural pick headline-like too (a score above 0).

    The structural pick is one of the features; it stands alone only when no
    line is a candidate.
    """
    *weights, bias = rules.title_weights
    best, best_score, pick_likely = None, 0.0, False
    for i, features in _candidates(layout, rules):
        score = bias + sum(w * f for w, f in zip(weights, features, strict=True))
        pick_likely = pick_likely or (i == layout.title_at and score > 0)
        if best is None or score > best_score:
            best, best_score = i, score
    return (best if best is not None else layout.title_at), pick_likely


def _shape(text: str) -> tuple[float, float, float]:
    """A line's log length, share of digits and share of capitalised tokens."""
    tokens = text.split()
    return (
        math.log1p(len(text)),
        len(_DIGIT.findall(text)) / len(text),
        sum(t[0].isupper() for t in tokens) / max(1, len(tokens)),
    )


def block_features(blocks: list[_Block]) -> list[list[float]]:
    """The BLOCK_FEATURES of every line, after the jusText-style pass classified them.

    What depends on a line's text alone is worked out once per distinct line.
    """
    runs = _good_runs(blocks, STORY_GAP)
    story = _longest(blocks, runs) if runs else []
    first, last = (story[0], story[-1]) if story else (len(blocks), -1)
    counts = Counter(b.text for b in blocks)
    shapes = {text: _shape(text) for text in counts}
    good = [float(b.cls == GOOD) for b in blocks]
    length = [shapes[b.text][0] for b in blocks]
    edge = len(blocks) - 1
    rows = []
    for i, block in enumerate(blocks):
        _, digits, capitalised = shapes[block.text]
        rows.append(
            [
                good[i],
                length[i],
                block.density if block.words else 0.0,
                float(block.final),
                float(block.bullet),
                float(block.furniture),
                i / len(blocks),
                good[i - 1] if i else 0.0,
                good[i + 1] if i < edge else 0.0,
                length[i - 1] if i else 0.0,
                length[i + 1] if i < edge else 0.0,
                digits,
                capitalised,
                float(counts[block.text] > 1),
                float(first <= i <= last),
                float(i < first),
                float(i > last),
            ]
        )
    return rows


def _learned_pass(blocks: list[_Block], rules: TextRules, lang: str | None) -> None:
    """Re-class a copy's lines by the learned model over their and their neighbours' features.

    A copy of fewer than LEARNED_MIN_LINES lines (a note, a pasted story
    without its page) keeps the jusText-style classes; the model never keeps a
    menu run, a whole sentence right after story text (ads passed over) is
    story too, and a lone paragraph amid furniture below the story is not.
    """
    if len(blocks) < LEARNED_MIN_LINES:
        return
    *weights, bias = rules.block_weights
    features = block_features(blocks)
    before = [block.cls for block in blocks]
    for block, row in zip(blocks, features, strict=True):
        score = bias + sum(map(operator.mul, weights, row))
        block.cls = GOOD if score > 0 and not block.in_run else BAD
    previous = BAD
    for block in blocks:
        if block.furniture:
            continue
        if block.cls == BAD and previous == GOOD and block.final and len(block.words) >= 5:
            block.cls = GOOD
        previous = block.cls
    _drop_islands(blocks, rules, STORY_GAP)
    _cut_comments(blocks, lang)
    _keep_colon_lists(blocks)
    if not any(block.cls == GOOD for block in blocks):
        for block, cls in zip(blocks, before, strict=True):
            block.cls = cls


def block_candidates(text: str, rules: TextRules | None = None) -> list[tuple[str, list[float]]]:
    """Every line of a copy with its BLOCK_FEATURES (to train the learned block pass)."""
    rules = rules or default_text_rules()
    blocks, _ = classify_blocks(text, rules)
    rows = block_features(blocks)
    return [(block.text, row) for block, row in zip(blocks, rows, strict=True)]


@dataclass(slots=True)
class _Layout:
    """A classified copy with its story start, header window, byline/date cluster and headline."""

    blocks: list[_Block]
    lang: str | None
    start: int
    low: int
    meta: _Meta
    title_at: int | None
    standfirst_at: int | None


def _layout(text: str, rules: TextRules) -> _Layout | None:
    """Classify the copy's lines and find its header by structure; None for an empty copy.

    The story is the blocks the classifier keeps; the header is searched in the
    `header_window` lines before its first block (and a few after, where a
    standfirst may have come first).
    """
    blocks, lang = classify_blocks(text, rules)
    if not blocks:
        return None
    _learned_pass(blocks, rules, lang)
    runs = _good_runs(blocks, STORY_GAP)
    start = _longest(blocks, runs)[0] if runs else len(blocks)
    low = max(0, start - rules.header_window)
    # The header may run past a standfirst taken for story, not past a second story block.
    goods = (
        i
        for i in range(start + 1, min(len(blocks), start + 6))
        if blocks[i].cls == GOOD and (blocks[i].final or len(blocks[i].text) >= rules.length_low)
    )
    metas = {
        i: meta
        for i in range(low, next(goods, min(len(blocks), start + 6)))
        if len(blocks[i].text) <= 200
        and (meta := _read_meta(blocks[i].text, rules, lang)) is not None
    }
    for i in metas:
        blocks[i].meta = True
    meta = _cluster(metas, start)
    _add_credits(blocks, meta, rules, lang)
    meta.author = meta.author or _far_byline(blocks, start, rules)
    if meta.published is None:  # a date line under the first paragraphs ("21 Jan 2020")
        meta.published = _late_date(blocks, range(start, min(len(blocks), start + 8)), rules, lang)
    title_at, standfirst_at = _headline(blocks, meta, start, low)
    return _Layout(blocks, lang, start, low, meta, title_at, standfirst_at)


def title_candidates(text: str, rules: TextRules | None = None) -> list[tuple[str, list[float]]]:
    """Every headline candidate line of a copy with its TITLE_FEATURES (to train the ranker)."""
    rules = rules or default_text_rules()
    layout = _layout(text, rules)
    if layout is None:
        return []
    return [(layout.blocks[i].text, features) for i, features in _candidates(layout, rules)]


def _comment_stamp(text: str) -> bool:
    """A short line holding a date and a clock time: what heads each comment of a thread
    ("Jane — July 17th, 2012, 6:18 pm", "Posted by: Jan at 13.11.2012 09:31")."""
    return (
        len(text) <= STAMP_MAX_CHARS
        and ":" in text
        and bool(_CLOCK.search(text))
        and bool(_YEAR.search(text))
    )


def _comment_stamps(blocks: list[_Block], lang: str | None) -> dict[int, datetime]:
    """The stamp lines right over a sentence (a comment's head and text), with their dates."""
    found = {}
    for k in [k for k, block in enumerate(blocks[:-1]) if block.stamp]:
        below = blocks[k + 1]
        if (
            below.final
            and len(below.words) >= 5
            and (when := search_date(blocks[k].text, lang)) is not None
        ):
            found[k] = when
    return found


def _thread_at(stamps: dict[int, datetime], i: int) -> bool:
    """Whether a comment thread without a section header opens at line `i`: two of
    `stamps`, this one and another within THREAD_SPAN lines below, their dates at most
    THREAD_DAYS apart (replies follow a story within days; a listing of posts or events
    spreads over weeks)."""
    first = stamps.get(i)
    return first is not None and any(
        i + 2 <= k < i + THREAD_SPAN and abs(when - first) <= THREAD_DAYS
        for k, when in stamps.items()
    )


def _comments_at(blocks: list[_Block], start: int, lang: str | None) -> int:
    """Where the readers' comments begin below the story's start (the copy's end if none).

    Comments are prose too, so the classifier may keep them; their section header, or
    the first of a run of dated stamps over prose (a thread without a header), ends the
    story once at least COMMENTS_AFTER_CHARS of good sentences came before it: a
    "Comments" link in the header, or under an author's note above the story, does not
    cut the story.
    """
    seen = 0
    stamps = _comment_stamps(blocks, lang)
    # A thread whose first stamp comes before the story is the page itself (a forum).
    thread = next((k for k in sorted(stamps) if k > start and _thread_at(stamps, k)), None)
    for i in range(start, len(blocks)):
        if i > start and seen >= COMMENTS_AFTER_CHARS and (blocks[i].comments or i == thread):
            return i
        if blocks[i].cls == GOOD and blocks[i].final:
            seen += len(blocks[i].text)
    return len(blocks)


def parse_plain_text(text: str, rules: TextRules | None = None) -> TextArticle:
    """Split a plain-text page copy into header fields and the story's body."""
    rules = rules or default_text_rules()
    layout = _layout(text, rules)
    if layout is None:
        return TextArticle(None, None, None, None, None, "")
    blocks, meta = layout.blocks, layout.meta
    title_at, standfirst_at = layout.title_at, layout.standfirst_at
    ranked, pick_likely = _rank_title(layout, rules)
    # The ranker may prefer the standfirst (its words recur in the story): the pair stands
    # when the ranker finds the pick headline-like too, not when it is a share line paired
    # with the headline below it ("E-mail article Print view Share").
    if ranked != title_at and not (ranked == standfirst_at and pick_likely):
        title_at, standfirst_at = ranked, None
    published = meta.published or meta.updated  # an update stamp beats no date at all
    if published is None and meta.age is not None:
        published = _days_before(blocks, meta, layout.lang)
    if published is None:
        anchor = layout.start if title_at is None else title_at
        published = _loose_date(blocks, anchor, layout.low, layout.lang) or _page_date(
            blocks, layout.lang
        )
    end = _comments_at(blocks, layout.start, layout.lang)
    header = {*meta.lines, title_at, standfirst_at}
    header_end = max((i for i in header if i is not None), default=-1)
    top = title_at if title_at is not None else header_end
    # Sentences between the headline and the byline/date lines are kept: no text is lost.
    body = [
        block.text
        for i, block in enumerate(blocks[:end])
        if i not in header
        and (block.cls == GOOD or (top < i < header_end and _header_sentence(block)))
    ]
    if not body:  # a copy whose only story lines were taken for its header: they are the story
        body = [
            blocks[i].text
            for i in sorted(i for i in header if i is not None)
            if blocks[i].cls == GOOD
        ]
    return TextArticle(
        title=blocks[title_at].text if title_at is not None else None,
        standfirst=blocks[standfirst_at].text if standfirst_at is not None else None,
        author=meta.author,
        published_at=published,
        updated_at=meta.updated,
        body=strip_boilerplate("\n".join(body)),
    )
