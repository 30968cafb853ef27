"""What people read about runs and periods: run summaries and the digest, as text and chart.

Pure functions: they take records already read from the warehouse and return
Markdown, HTML or PNG bytes. The Prefect artifacts (`flows/artifacts.py`) and
the digest flow (`flows/digest.py`) publish what these return.
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.records import RunSummary
from transforms.wording import plural

COUNT_COLUMNS = (
    "items_seen",
    "new",
    "updated",
    "unchanged",
    "quarantined",
    "failed",
    "deferred",
)
"""The per-source counts of the run table artifact; `items_seen` is shown as `polled`."""

_CHART_TOPICS = 8


def source_table(summary: RunSummary) -> list[dict[str, object]]:
    """One row per source and a total row: the counts a run table artifact shows."""
    return [
        {
            "source": row.source,
            **{"polled" if c == "items_seen" else c: getattr(row, c) for c in COUNT_COLUMNS},
        }
        for row in [*summary.sources, summary.total()]
    ]


def _md(text: object) -> str:
    """Text made safe for a Markdown table cell or link text."""
    escaped = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    for char in "[]*_`<>":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def run_markdown(
    summary: RunSummary,
    topics: Sequence[tuple[str, int]],
    quarantine_reasons: Sequence[tuple[str, int]],
    alerts: Sequence[tuple[str, int, int]] = (),
) -> str:
    """The run's outcome for people: totals, topics, quarantine, failures and alerts.

    `alerts` rows are (subscription, delivered now, still pending).
    """
    total = summary.total()
    lines = [
        f"# {summary.flow} run",
        "",
        f"{total.new} new, {total.updated} updated, {total.unchanged} unchanged, "
        f"{total.quarantined} quarantined, {total.failed} failed "
        f"(from {plural(len(summary.sources), 'source')}).",
        *(
            [f"{plural(total.deferred, 'article')} deferred: spooled while the warehouse was busy."]
            if total.deferred
            else []
        ),
        "",
        "## Topics",
        "",
    ]
    if topics:
        lines += ["| topic | articles |", "|---|---:|"]
        lines += [f"| {_md(label)} | {count} |" for label, count in topics]
    else:
        lines.append("No new or changed article was labelled in this run.")
    lines += ["", "## Quarantine", ""]
    if quarantine_reasons:
        lines += ["| failed expectation | articles |", "|---|---:|"]
        lines += [f"| {_md(name)} | {count} |" for name, count in quarantine_reasons]
    else:
        lines.append("Nothing was quarantined.")
    lines += ["", "## Failures", ""]
    if summary.failures:
        lines += ["| source | stage | reason | retryable | message |", "|---|---|---|---|---|"]
        lines += [
            f"| {_md(f.source)} | {f.stage} | {_md(f.reason)} | {'yes' if f.retryable else 'no'} "
            f"| {_md(f.message)} |"
            for f in summary.failures
        ]
    else:
        lines.append("No source, feed or page failed.")
    if alerts:
        lines += ["", "## Alerts", "", "| alert | delivered | pending |", "|---|---:|---:|"]
        lines += [f"| {_md(name)} | {sent} | {waiting} |" for name, sent, waiting in alerts]
    return "\n".join(lines) + "\n"


# --- digest ---------------------------------------------------------------------------


@dataclass(slots=True)
class Story:
    """One new story under a topic: the best-scoring copy and how many copies there were."""

    title: str
    url: str
    source: str
    labels: list[str]
    score: float
    copies: int = 1


@dataclass(slots=True)
class Digest:
    """What happened in a period: volume per topic per time bucket, sources, top stories.

    `volume` rows are (topic, bucket start, articles); `bucket` is "hour" or "day".
    """

    start: datetime
    end: datetime
    bucket: str
    articles: int
    volume: list[tuple[str, datetime, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    stories: dict[str, list[Story]] = field(default_factory=dict)


def period_buckets(digest: Digest) -> list[datetime]:
    """Every bucket start of the period, so that quiet hours or days show as zero."""
    step = timedelta(hours=1) if digest.bucket == "hour" else timedelta(days=1)
    first = digest.start.replace(minute=0, second=0, microsecond=0)
    if digest.bucket == "day":
        first = first.replace(hour=0)
    return [first + step * n for n in range(int((digest.end - first) / step) + 1)]


def volume_chart(digest: Digest) -> bytes:
    """A PNG line chart of articles per topic per bucket (the busiest topics only).

    matplotlib is imported here, not with the module: every pipeline command
    imports this module, only the digest draws, and it costs 0.5-1.5 s.
    """
    series: dict[str, dict[datetime, int]] = defaultdict(dict)
    for topic, bucket, count in digest.volume:
        series[topic][bucket] = count
    busiest = sorted(series, key=lambda t: (-sum(series[t].values()), t))[:_CHART_TOPICS]
    buckets = period_buckets(digest)
    # A bare Figure (no pyplot) renders with Agg and keeps no global state to close.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4), dpi=100)
    axes = figure.subplots()
    for topic in busiest:
        axes.plot(buckets, [series[topic].get(b, 0) for b in buckets], marker="o", label=topic)
    axes.set_title(
        f"Articles per topic per {digest.bucket}, "
        f"{digest.start:%Y-%m-%d %H:%M} to {digest.end:%Y-%m-%d %H:%M} UTC"
    )
    axes.set_ylabel("articles")
    axes.set_ylim(bottom=0)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if busiest:
        axes.legend(loc="upper left", fontsize="small")
    else:
        axes.text(0.5, 0.5, "no articles in this period", ha="center", transform=axes.transAxes)
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def digest_markdown(digest: Digest, chart: bytes) -> str:
    """The digest as Markdown with the chart embedded: the Prefect artifact."""
    lines = [
        f"# Digest {digest.start:%Y-%m-%d %H:%M} to {digest.end:%Y-%m-%d %H:%M} UTC",
        "",
        f"{digest.articles} new articles.",
        "",
        f"![articles per topic]({_png_uri(chart)})",
        "",
        "## Top sources",
        "",
        "| source | new articles |",
        "|---|---:|",
        *(f"| {_md(name)} | {count} |" for name, count in digest.sources),
    ]
    for topic, stories in digest.stories.items():
        lines += ["", f"## {_md(topic)}", ""]
        lines += [
            f"- [{_md(s.title)}]({s.url}) ({_md(s.source)}"
            f"{f', {s.copies} copies' if s.copies > 1 else ''}): {_md(', '.join(s.labels))}"
            for s in stories
        ]
    return "\n".join(lines) + "\n"


def digest_html(digest: Digest, chart: bytes) -> str:
    """The digest as a standalone HTML page with the chart embedded."""
    esc = html.escape
    title = f"mediawatch digest {digest.start:%Y-%m-%d %H:%M} to {digest.end:%Y-%m-%d %H:%M} UTC"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "td,th{padding:.2em .8em;text-align:left}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>{digest.articles} new articles.</p>",
        f'<img alt="articles per topic per {esc(digest.bucket)}" src="{_png_uri(chart)}">',
        "<h2>Top sources</h2>",
        "<table><tr><th>source</th><th>new articles</th></tr>",
        *(f"<tr><td>{esc(name)}</td><td>{count}</td></tr>" for name, count in digest.sources),
        "</table>",
    ]
    for topic, stories in digest.stories.items():
        parts += [f"<h2>{esc(topic)}</h2>", "<ul>"]
        parts += [
            f'<li><a href="{esc(s.url)}">{esc(s.title)}</a> ({esc(s.source)}'
            f"{f', {s.copies} copies' if s.copies > 1 else ''}): {esc(', '.join(s.labels))}</li>"
            for s in stories
        ]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
