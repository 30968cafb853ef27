"""Line-level boilerplate filter: drop site furniture left in an extracted body.

Extractors keep the odd newsletter prompt, share bar or photo credit that sits
between paragraphs. The patterns are data (`mediawatch/defaults/boilerplate.yaml`)
and match whole short lines only, so a real paragraph that mentions
"subscribe" is never touched.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from mediawatch.errors import ConfigError

DEFAULT_RULES_FILE = Path(__file__).parent.parent / "mediawatch" / "defaults" / "boilerplate.yaml"

# Bullets, separators and trailing punctuation that decorate furniture lines.
_DECORATION = " \t\u00a0•·|>»›:.!-–—"


@dataclass(frozen=True, slots=True)
class BoilerplateRules:
    """Compiled furniture patterns, one full-line regex per category, and their union.

    The union answers "is it furniture at all?" in one regex pass per line;
    the category is looked up only for lines that are.
    """

    max_line_chars: int
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    union: re.Pattern[str]


def _compile(category: str, sources: object, path: Path) -> re.Pattern[str]:
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ConfigError(f"{path}: rules.{category} must be a list of regex strings")
    try:
        return re.compile("|".join(f"(?:{s})" for s in sources), re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{path}: rules.{category} has an invalid regex: {exc}") from exc


def read_rules_file(path: Path, what: str) -> object:
    """The parsed YAML of a rules data file; ConfigError if it cannot be read or parsed."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc


def load_rules(path: Path) -> BoilerplateRules:
    """Read and compile a boilerplate rules file; raise ConfigError naming the bad key."""
    raw = read_rules_file(path, "boilerplate rules")
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), dict):
        raise ConfigError(f"{path}: expected a mapping with a `rules` mapping")
    max_chars = raw.get("max_line_chars")
    if not isinstance(max_chars, int) or max_chars < 1:
        raise ConfigError(f"{path}: max_line_chars must be a positive integer")
    patterns = tuple(
        (category, _compile(category, sources, path)) for category, sources in raw["rules"].items()
    )
    union = re.compile("|".join(f"(?:{p.pattern})" for _, p in patterns), re.IGNORECASE)
    return BoilerplateRules(max_line_chars=max_chars, patterns=patterns, union=union)


@cache
def default_rules() -> BoilerplateRules:
    """The shipped rules, compiled once per process."""
    return load_rules(DEFAULT_RULES_FILE)


def _normalise(line: str) -> str:
    return " ".join(line.split()).strip(_DECORATION)


def boilerplate_kind(line: str, rules: BoilerplateRules | None = None) -> str | None:
    """The furniture category a whole line belongs to, or None for content."""
    rules = rules or default_rules()
    if len(line) > 4 * rules.max_line_chars:  # too long even before spaces are squeezed
        return None
    candidate = _normalise(line)
    if not candidate or len(candidate) > rules.max_line_chars:
        return None
    if not rules.union.fullmatch(candidate):
        return None
    for category, pattern in rules.patterns:
        if pattern.fullmatch(candidate):
            return category
    return None


def strip_boilerplate(text: str, rules: BoilerplateRules | None = None) -> str:
    """Remove furniture lines and repeated short lines; keep paragraph breaks.

    A short line (credit, caption, label) that occurs more than once is dropped
    everywhere; a long paragraph that repeats (a pull quote) keeps its first
    occurrence. Runs of blank lines left behind collapse into one.
    """
    rules = rules or default_rules()
    lines = text.splitlines()
    counts = Counter(_normalise(line) for line in lines)
    seen: set[str] = set()
    kept: list[str] = []
    for line in lines:
        key = _normalise(line)
        if not key:
            if kept and kept[-1]:
                kept.append("")
            continue
        repeated = counts[key] > 1
        short = len(key) <= rules.max_line_chars
        if (repeated and (short or key in seen)) or boilerplate_kind(line, rules):
            continue
        seen.add(key)
        kept.append(line.strip())
    return "\n".join(kept).strip()
