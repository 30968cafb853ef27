"""The systemd units shown in the README are the files in deploy/systemd/, comments aside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHOWN = ["mediawatch-serve.service", "mediawatch-worker.service"]


def settings_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("unit", SHOWN)
def test_readme_shows_the_unit_file(unit: str) -> None:
    block = re.search(rf"`deploy/systemd/{re.escape(unit)}`.*?```ini\n(.*?)```", README, re.S)
    assert block, f"README shows no ini block after deploy/systemd/{unit}"
    assert settings_lines(block.group(1)) == settings_lines(
        (ROOT / "deploy" / "systemd" / unit).read_text(encoding="utf-8")
    )


def test_every_unit_runs_from_the_checkout_venv() -> None:
    for path in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
        (start,) = re.findall(r"^ExecStart=(\S+)", path.read_text(encoding="utf-8"), re.M)
        assert start.startswith("/opt/mediawatch/.venv/bin/"), path.name
