"""Benchmark the `.txt` path: CPU time of `parse_plain_text` per 10 KB of copied page text.

Builds whole-page browser copies of about 10, 50 and 200 KB from the invented
outline fixtures (en, de, fr, es; `tests/fixtures/saved/outline/`): their header
and footer around the story paragraphs, repeated with menus and partner
blocks in between, and a menu-heavy variant (three short furniture lines for
every paragraph: the costliest shape per byte). Prints single-core CPU
milliseconds per 10 KB for each, next to the target (<= 5 ms), and the
one-off cost of loading the rules (stop-word lists, month names).

    .venv/bin/python bench/bench_textcopy.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from transforms.plaintext import default_text_rules, parse_plain_text

OUTLINES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "saved" / "outline"
LANGUAGES = ("en", "de", "fr", "es")
SIZES_KB = (10, 50, 200)
TARGET_MS_PER_10KB = 5.0
MENU = ["Home", "World", "Business", "Technology", "Opinion", "Sport", "Culture", "Podcasts"]


def page_copy(lang: str, size_kb: int, menu_heavy: bool) -> str:
    """A copied page of about `size_kb` KB: outline header, repeated story and furniture, footer."""
    lines = (OUTLINES / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
    header, story, partners, footer = (
        lines[:8],
        lines[8:10] + lines[14:16],
        lines[10:14],
        lines[16:],
    )
    middle: list[str] = []
    while len("\n".join(header + middle + footer).encode()) < size_kb * 1000:
        for paragraph in story:
            middle.append(paragraph)
            if menu_heavy:
                middle.extend(MENU[len(middle) % 5 :][:3])
        middle.extend(partners + [f"* {item}" for item in MENU])
    return "\n".join(header + middle + footer)


def cpu_ms_per_10kb(text: str, seconds: float) -> float:
    """Mean CPU time of parsing `text`, repeated for at least `seconds`, per 10 KB."""
    runs, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds or runs < 3:
        parse_plain_text(text)
        runs += 1
    return 1000 * elapsed / runs / (len(text.encode()) / 10_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU time per measurement")
    args = parser.parse_args()
    start = time.process_time()
    default_text_rules()
    for lang in LANGUAGES:
        parse_plain_text(page_copy(lang, 10, menu_heavy=False))  # month names of each language
    print(f"text copies: rules loaded in {1000 * (time.process_time() - start):.0f} ms CPU (once)")
    print(f"{'page copy':<24}" + "".join(f"{f'{kb} KB':>10}" for kb in SIZES_KB))
    worst = 0.0
    for lang in LANGUAGES:
        for menu_heavy in (False, True):
            label = f"{lang} {'menu-heavy' if menu_heavy else 'story'}"
            cells = []
            for kb in SIZES_KB:
                cost = cpu_ms_per_10kb(page_copy(lang, kb, menu_heavy), args.seconds)
                worst = max(worst, cost)
                cells.append(f"{cost:>10.2f}")
            print(f"{label:<24}" + "".join(cells))
    verdict = "met" if worst <= TARGET_MS_PER_10KB else "MISSED"
    print(
        f"CPU ms per 10 KB on one core, worst {worst:.2f} "
        f"(target <= {TARGET_MS_PER_10KB:.0f}: {verdict})"
    )


if __name__ == "__main__":
    main()
