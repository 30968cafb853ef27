"""The Prefect UI's pages of the latest runs, opened by a headless Chromium: their text, and PNGs.

The UI is a JavaScript app: what it shows exists only once a browser has run
it, so checking the API is not checking the pages. Chromium's own command
line does both jobs, with no driver library and no browser download:
`--dump-dom` prints the DOM after the app has loaded its data (tests read its
text), `--screenshot` saves a PNG (the README shows them; `make screenshots`).
Any Chromium or Chrome on PATH will do (Debian: `apt-get install chromium`).
The pages are those of Prefect's default UI, under `/v2`.

`python -m mediawatch.ui_pages DIR` saves the pages of the latest `ingest`
run, its table and Markdown artifacts, the latest digest and the
deployments, from the running local server (`mediawatch server start`),
as `DIR/<name>.png`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from lxml import html
from PIL import Image

from mediawatch.errors import MediawatchError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Virtual time the app gets to fetch and draw its data: the browser skips idle waits, so this
# costs little real time on a quiet machine.
_BUDGET_MS = 20_000
_TIMEOUT_SECONDS = 120.0
_WINDOW = (1280, 900)
_DEPLOYMENT = "poll-feeds"
T = TypeVar("T")
_PNG_COLOURS = 255  # a palette (fast octree: keeps a chart's colours) makes small PNGs


class BrowserError(MediawatchError):
    """The headless browser is missing, failed, or a page the UI should have is not there."""


@dataclass(frozen=True)
class Page:
    """One page of the UI: `name` is its screenshot's file stem; `ready` an XPath that
    matches once the app has drawn the page's data."""

    name: str
    url: str
    ready: str


def find_browser() -> str | None:
    """The path of a Chromium or Chrome on PATH, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def _has_text(text: str) -> str:
    return f"//body//text()[contains(., {text!r})]"


def _browse(browser: str, url: str, *options: str, budget_ms: int = _BUDGET_MS) -> bytes:
    """Run the browser headless on `url` with `options`; its standard output."""
    with tempfile.TemporaryDirectory(prefix="mediawatch-browser-") as profile:
        command = [
            browser,
            "--headless=new",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={budget_ms}",
            *(["--no-sandbox"] if os.geteuid() == 0 else []),  # Chromium refuses root otherwise
            *options,
            url,
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"{browser} did not finish {url} in {_TIMEOUT_SECONDS:g} s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise BrowserError(f"{browser} failed on {url} (exit {done.returncode}): {tail}")
    return done.stdout


def rendered(browser: str, page: Page, *options: str, attempts: int = 3) -> html.HtmlElement:
    """The page's DOM once the app has drawn its data (`page.ready`), scripts and styles removed.

    `options` go to the browser as well (a screenshot is taken in the same
    visit). On a busy machine the app may not be done within the virtual
    time given: the page is opened again with twice the time, up to
    `attempts` times.
    """
    for attempt in range(attempts):
        budget = _BUDGET_MS * 2**attempt
        dom = _browse(browser, page.url, "--dump-dom", *options, budget_ms=budget)
        tree = html.fromstring(dom.decode("utf-8", "replace") or "<html></html>")  # UTF-8 out
        if tree.xpath(page.ready):
            for node in tree.xpath("//script | //style | //noscript"):
                node.drop_tree()
            return tree
    raise BrowserError(f"{page.url} did not show {page.ready} after {attempts} attempts")


def visible_text(tree: html.HtmlElement) -> str:
    """The text a reader sees on a rendered page, one space between its pieces."""
    return re.sub(r"\s+", " ", " ".join(tree.itertext())).strip()


def screenshot(browser: str, page: Page, target: Path) -> Path:
    """Save the page, once it shows its data, as a small PNG (a reduced palette) at `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    width, height = _WINDOW
    rendered(browser, page, f"--screenshot={target}", f"--window-size={width},{height}")
    if not target.is_file():
        raise BrowserError(f"{browser} saved no screenshot of {page.url}")
    with Image.open(target) as image:
        small = image.convert("RGB").quantize(_PNG_COLOURS, Image.Quantize.FASTOCTREE)
    small.save(target, optimize=True)
    return target


def _latest(read: Callable[..., Sequence[T]], missing: str, **query: object) -> T:
    """The first thing `read(**query)` finds; `BrowserError(missing)` if none."""
    found = read(**query, limit=1)
    if not found:
        raise BrowserError(missing)
    return found[0]


def latest_pages(api_url: str) -> list[Page]:
    """The UI pages of the latest ingest run, its artifacts, the latest digest, the deployments.

    And one deployment's page, with its schedule: `poll-feeds` (`show_deployments` first).

    Read from the API at `api_url` (the UI is at the same address without `/api`).
    """
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
        FlowFilter,
        FlowFilterName,
    )
    from prefect.client.schemas.sorting import ArtifactSort, FlowRunSort
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    ui = f"{api_url.removesuffix('/api')}/v2"
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        run = _latest(
            client.read_flow_runs,
            f"no ingest run on {api_url}: run `mediawatch demo` first",
            flow_filter=FlowFilter(name=FlowFilterName(any_=["ingest"])),
            sort=FlowRunSort.START_TIME_DESC,
        )
        try:
            feeds = client.read_deployment_by_name(f"ingest/{_DEPLOYMENT}")
        except ObjectNotFound as exc:
            raise BrowserError(f"no deployment ingest/{_DEPLOYMENT} on {api_url}") from exc
        artifacts = {
            artifact.key: artifact
            for artifact in client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
            )
        }
        digest = _latest(
            client.read_artifacts,
            f"no digest on {api_url}: run `mediawatch digest` first",
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["digest"])),
            sort=ArtifactSort.CREATED_DESC,
        )
    missing = {"ingest-source-counts", "ingest-summary"} - artifacts.keys()
    if missing:
        raise BrowserError(f"run {run.id} has no artifact {', '.join(sorted(missing))}")
    run_page, artifact = f"{ui}/runs/flow-run/{run.id}", f"{ui}/artifacts/artifact"
    return [
        Page("run", run_page, _has_text("Beginning flow run")),
        Page("run-task-runs", f"{run_page}?tab=TaskRuns", _has_text("fetch-pages [batch")),
        Page("run-artifacts", f"{run_page}?tab=Artifacts", _has_text("ingest-source-counts")),
        Page("artifact-table", f"{artifact}/{artifacts['ingest-source-counts'].id}", "//table//td"),
        Page("artifact-markdown", f"{artifact}/{artifacts['ingest-summary'].id}", "//h2"),
        Page("digest", f"{artifact}/{digest.id}", "//img[starts-with(@src, 'data:image/png')]"),
        Page("deployments", f"{ui}/deployments", _has_text(_DEPLOYMENT)),
        Page(
            f"deployment-{_DEPLOYMENT}",
            f"{ui}/deployments/deployment/{feeds.id}",
            _has_text("Every 15 minutes"),
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """`make screenshots`: show the deployments, then save every page of `latest_pages` as a PNG."""
    from mediawatch import local_server
    from mediawatch.deployments import show_deployments
    from mediawatch.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where the PNGs go")
    parser.add_argument("--config", type=Path, help="mediawatch settings (finds the server)")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        raise SystemExit(f"Error: no headless browser: install one of {', '.join(BROWSERS)}")
    api_url = local_server.running_api_url(load_settings(args.config))
    if api_url is None:
        raise SystemExit("Error: no local server runs: `mediawatch server start` first")
    try:
        show_deployments(api_url)
        for page in latest_pages(api_url):
            print(screenshot(browser, page, args.folder / f"{page.name}.png"), page.url)
    except MediawatchError as exc:
        raise SystemExit(f"Error: {exc}") from exc


if __name__ == "__main__":
    main()
