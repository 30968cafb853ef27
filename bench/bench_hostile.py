"""Peak memory on hostile input: an empty run, the hostile inbox, and the bomb feeds.

Each case is a `mediawatch` command run as a subprocess with its own
warehouse and Prefect home: an empty folder, the inbox's good pages alone
(which start the extraction workers the empty run does not), the whole
inbox, and the bomb feeds. The peak summed RSS of each process tree
(Prefect's ephemeral API server included) is sampled every 0.1 s. The inbox
is `hostile_inputs.write_inbox` at full size (a 200 MB page and a WARC
record inflating to 1.5 GB, with `limits.max_file_bytes` at 20 MB); the
feeds are served on loopback: `gzip, gzip` and brotli and deflate bodies
inflating to 2 GiB, a JSON Feed nested 100,000 deep, and one good feed.

    .venv/bin/python bench/bench_hostile.py [--workdir data/bench-hostile]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import hostile_inputs
import yaml
from proctree import TreeSampler

from mediawatch.demo import LocalHTTPServer

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
MB = 1 << 20
INFLATED = 2 << 30


@contextmanager
def serve(routes: dict[str, tuple[bytes, dict[str, str]]]) -> Iterator[str]:
    """Serve fixed (body, headers) routes on a free loopback port; yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body, headers = routes.get(self.path, (b"not found", {}))
            self.send_response(200 if self.path in routes else 404)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the run's fetch_log has every exchange."""

    server = LocalHTTPServer(("127.0.0.1", 0), Handler)
    # The client hangs up on a refused bomb mid-body: expected, not worth a traceback.
    server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def feed_routes(base: str) -> dict[str, tuple[bytes, dict[str, str]]]:
    """The bomb feeds, the too-deep feed, and a good feed with one page."""
    xml = {"Content-Type": "application/rss+xml"}
    good = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title><item>'
        f"<title>Harbour vote</title><link>{base}/good/story.html</link></item></channel></rss>"
    ).encode()
    return {
        "/gzip-gzip.xml": (
            hostile_inputs.gzip_bomb(INFLATED, 2),
            xml | {"Content-Encoding": "gzip, gzip"},
        ),
        "/brotli.xml": (hostile_inputs.brotli_bomb(INFLATED), xml | {"Content-Encoding": "br"}),
        "/deflate.xml": (
            hostile_inputs.deflate_bomb(INFLATED),
            xml | {"Content-Encoding": "deflate"},
        ),
        "/deep.json": (hostile_inputs.deep_json_feed(), {"Content-Type": "application/feed+json"}),
        "/good.xml": (good, xml),
        "/good/story.html": (hostile_inputs.article("Harbour vote"), {"Content-Type": "text/html"}),
    }


def peak_rss(workdir: Path, name: str, args: list[str], settings: dict) -> float:
    """Run `mediawatch ARGS` with fresh data under `workdir`; its tree's peak RSS in MB."""
    data = workdir / "runs" / name
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    config = data / "mediawatch.yaml"
    settings = {"data_dir": str(data), "warehouse": str(data / "w.duckdb"), **settings}
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    env = {
        **os.environ,
        "PREFECT_HOME": str(workdir / "prefect-home"),
        # A loaded machine can take longer than Prefect's default 20 s to start its API.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    }
    command = [str(BIN / "mediawatch"), *args, "--config", str(config)]
    with (data / "log.txt").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, env=env, cwd=ROOT)
        sampler = TreeSampler(process.pid, interval=0.1).start()
        process.wait()
    peak = sampler.stop()
    if process.returncode != 0:
        raise SystemExit(f"{name} failed (exit {process.returncode}); see {data / 'log.txt'}")
    return peak.rss / MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench-hostile")
    parser.add_argument("--big-mb", type=int, default=200, help="size of the oversized page")
    parser.add_argument("--warc-mb", type=int, default=1536, help="inflated WARC record")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    inbox = workdir / f"inbox-{args.big_mb}-{args.warc_mb}"
    empty = workdir / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    if not (inbox / "passwd.html").is_symlink():  # made last; writing the rest takes minutes
        shutil.rmtree(inbox, ignore_errors=True)
        hostile_inputs.write_inbox(
            inbox, workdir / "elsewhere", big=args.big_mb * MB, warc_inflated=args.warc_mb * MB
        )
    good = workdir / "good"
    good.mkdir(exist_ok=True)
    for number in range(1, len(hostile_inputs.GOOD_NAMES) + 2):
        (good / f"good-{number}.html").write_bytes(hostile_inputs.article(f"Vote {number}"))
    limits = {"limits": {"max_file_bytes": 20 * MB}}
    baseline = peak_rss(workdir, "empty", ["pages", str(empty)], limits)
    good_peak = peak_rss(workdir, "good", ["pages", str(good)], limits)
    inbox_peak = peak_rss(workdir, "inbox", ["pages", str(inbox)], limits)
    routes: dict[str, tuple[bytes, dict[str, str]]] = {}
    with serve(routes) as base:
        routes.update(feed_routes(base))
        names = ["gzip-gzip.xml", "brotli.xml", "deflate.xml", "deep.json", "good.xml"]
        sources = [{"name": name.split(".")[0], "url": f"{base}/{name}"} for name in names]
        http = {"allow_private": ["127.0.0.1"], "min_host_delay": 0, "retries": 0}
        feeds_peak = peak_rss(
            workdir, "bombs", ["run", "--all"], {"sources": sources, "http": http}
        )
    print(
        f"hostile input, peak RSS of the process tree (Prefect's API server included): "
        f"empty run {baseline:.0f} MB; its good pages alone {good_peak:.0f} MB "
        f"(+{good_peak - baseline:.0f}, the extraction workers); hostile inbox "
        f"{inbox_peak:.0f} MB (+{inbox_peak - baseline:.0f}); bomb feeds {feeds_peak:.0f} MB "
        f"(+{feeds_peak - baseline:.0f})",
        flush=True,
    )


if __name__ == "__main__":
    main()
