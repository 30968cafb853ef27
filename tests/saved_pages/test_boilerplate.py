"""The line filter drops furniture and repeated credits and leaves prose alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediawatch.errors import ConfigError
from transforms.boilerplate import boilerplate_kind, load_rules, strip_boilerplate

PROSE = (
    "The harbour authority said on Tuesday that ferry crossings to Varnholm would resume "
    "once the storm damage to the northern pier had been assessed by engineers."
)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Sign up to our morning briefing", "newsletter"),
        ("Enter your email address", "newsletter"),
        ("Subscribe", "newsletter"),
        ("SUBSCRIBE NOW!", "newsletter"),
        ("Content from our partners", "sponsored"),
        ("Sponsored", "sponsored"),
        ("Promoted stories", "sponsored"),
        ("Related stories", "related"),
        ("Read more: Ferry routes to reopen after storm", "related"),
        ("More on this story", "related"),
        ("Home > World > Europe", "related"),
        ("Listen to this article", "related"),
        ("We use cookies to improve your experience on our site.", "cookies"),
        ("Accept all", "cookies"),
        ("Share this article", "share"),
        ("Follow us on Twitter and Facebook", "share"),
        ("Facebook Twitter WhatsApp Email", "share"),
        ("I am a: Journalist / Researcher / Student / Other", "role_picker"),
        ("Journalist / Researcher / Other", "role_picker"),
        ("Photo: Tomas Varga / Getty Images", "credits"),
        ("Image caption, Crews at the northern pier", "credits"),
        ("Advertisement", "advertisement"),
        ("Story continues below advertisement", "advertisement"),
        ("Comments (12)", "comments"),
        ("Log in to comment", "comments"),
        ("• Share •", "share"),
    ],
)
def test_furniture_lines_are_recognised(line: str, kind: str) -> None:
    assert boilerplate_kind(line) == kind


@pytest.mark.parametrize(
    "line",
    [
        PROSE,
        "Readers who subscribe to the print edition will get the supplement on Sunday.",
        "Share prices in Varnholm fell.",
    ],
)
def test_prose_mentioning_furniture_words_is_content(line: str) -> None:
    assert boilerplate_kind(line) is None


def test_long_paragraph_starting_like_a_banner_survives() -> None:
    long_line = "We use cookies " + "and other trackers, the regulator found, " * 6
    assert boilerplate_kind(long_line) is None
    assert strip_boilerplate(long_line) == long_line.strip()


def test_strip_keeps_prose_and_paragraph_breaks() -> None:
    text = "\n".join(
        [
            "Share this article",
            PROSE,
            "",
            "Advertisement",
            "",
            "",
            "Ferry operators said they expected to subscribe to a new weather service.",
            "Sign up to our morning briefing",
            "Enter your email",
            "Comments (3)",
        ]
    )
    assert strip_boilerplate(text) == (
        PROSE + "\n\nFerry operators said they expected to subscribe to a new weather service."
    )


def test_repeated_short_lines_are_dropped_everywhere() -> None:
    credit = "Lena Ostrova for the Varnholm Courier"
    text = f"{PROSE}\n{credit}\nSecond paragraph of the story.\n{credit}\nThird paragraph."
    assert strip_boilerplate(text) == f"{PROSE}\nSecond paragraph of the story.\nThird paragraph."


def test_repeated_long_paragraph_keeps_first_occurrence() -> None:
    quote = f"{PROSE} {PROSE}"
    text = f"{quote}\nShort middle line.\n{quote}"
    assert strip_boilerplate(text) == f"{quote}\nShort middle line."


def test_custom_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("max_line_chars: 40\nrules:\n  house:\n    - 'courier extra'\n")
    rules = load_rules(path)
    assert boilerplate_kind("Courier Extra", rules) == "house"
    assert boilerplate_kind("Subscribe", rules) is None
    assert strip_boilerplate("Courier extra\nKeep me.", rules) == "Keep me."


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("rules: [1]\n", "`rules` mapping"),
        ("max_line_chars: 0\nrules: {a: ['x']}\n", "max_line_chars"),
        ("max_line_chars: 10\nrules: {a: ['(']}\n", "rules.a has an invalid regex"),
        ("max_line_chars: 10\nrules: {a: 'x'}\n", "rules.a must be a list"),
        ("rules: [\n", "not valid YAML"),
    ],
)
def test_bad_rules_file_is_named(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=fragment) as info:
        load_rules(path)
    assert str(path) in str(info.value)
