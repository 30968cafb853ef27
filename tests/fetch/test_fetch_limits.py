"""Limits of the client: body size, total timeout, redirects, retries and politeness."""

from __future__ import annotations

import itertools
import threading
import time
from email.utils import formatdate

import pytest

from mediawatch.http import FetchRequest, fetch_all


def _drip(handler) -> None:
    """Send one byte every 0.2 s until the client hangs up."""
    try:
        while True:
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        return


def _endless_chunks(handler) -> None:
    """Send 8 KiB chunks of a chunked body forever, until the client hangs up."""
    chunk = b"2000\r\n" + b"y" * 0x2000 + b"\r\n"
    try:
        while True:
            handler.wfile.write(chunk)
    except OSError:
        return


def test_declared_oversized_body_is_refused_before_reading(loopback, reply, make_settings):
    """The body never arrives; only refusing on Content-Length gives too_large, not timeout."""
    stall = threading.Event()
    url = loopback.add(
        "/huge", reply(200, lambda handler: stall.wait(5), {"Content-Length": str(10**9)})
    )

    try:
        [result] = fetch_all([FetchRequest(url)], make_settings(max_bytes=1024))
    finally:
        stall.set()

    assert result.error.reason == "too_large"
    assert not result.error.retryable
    assert result.content is None
    assert url in result.error.message
    assert len(loopback.hits("/huge")) == 1


def test_endless_chunked_body_is_cut_at_the_cap(loopback, reply, make_settings):
    url = loopback.add("/endless", reply(200, _endless_chunks, {"Transfer-Encoding": "chunked"}))

    [result] = fetch_all([FetchRequest(url)], make_settings(max_bytes=64 * 1024))

    assert result.error.reason == "too_large"
    assert result.status == 200
    assert result.attempts[0].bytes < 10 * 64 * 1024


def test_body_at_the_cap_is_accepted(loopback, reply, make_settings):
    url = loopback.add("/exact", reply(200, b"z" * 2048))

    [result] = fetch_all([FetchRequest(url)], make_settings(max_bytes=2048))

    assert result.ok and len(result.content) == 2048


def test_drip_feed_is_cut_off_by_the_total_timeout(loopback, reply, make_settings):
    """Each byte arrives well within the read timeout; only the total timeout can stop it."""
    url = loopback.add("/drip", reply(200, _drip))

    [result] = fetch_all(
        [FetchRequest(url)], make_settings(read_timeout=2.0, total_timeout=1.0, retries=0)
    )

    assert result.error.reason == "timeout"
    assert result.error.retryable
    assert "total timeout" in result.error.message


def _redirect(to: str, reply):
    return reply(302, b"", {"Location": to})


def test_redirect_chain_within_the_limit(loopback, reply, make_settings):
    loopback.add("/r1", _redirect("/r2", reply))
    loopback.add("/r2", _redirect(loopback.url("/r3"), reply))
    loopback.add("/r3", reply(301, b"", {"Location": "final#part"}))
    final = loopback.add("/final", reply(200, b"arrived"))

    [result] = fetch_all([FetchRequest(loopback.url("/r1"))], make_settings(max_redirects=3))

    assert result.ok and result.content == b"arrived"
    assert result.url == final
    assert [attempt.status for attempt in result.attempts] == [302, 302, 301, 200]


def test_too_many_redirects(loopback, reply, make_settings):
    for hop in range(4):
        loopback.add(f"/h{hop}", _redirect(f"/h{hop + 1}", reply))
    loopback.add("/h4", reply(200, b"too far"))

    [result] = fetch_all([FetchRequest(loopback.url("/h0"))], make_settings(max_redirects=3))

    assert result.error.reason == "too_many_redirects"
    assert not result.error.retryable
    assert loopback.hits("/h4") == []


def test_redirect_loop(loopback, reply, make_settings):
    loopback.add("/a", _redirect("/b", reply))
    loopback.add("/b", _redirect("/a", reply))

    [result] = fetch_all([FetchRequest(loopback.url("/a"))], make_settings(max_redirects=10))

    assert result.error.reason == "redirect_loop"
    assert [len(loopback.hits(path)) for path in ("/a", "/b")] == [1, 1]


def test_server_errors_are_retried_then_reported(loopback, reply, make_settings):
    url = loopback.add("/storm", reply(500, b"boom"))

    [result] = fetch_all([FetchRequest(url)], make_settings(retries=2))

    assert len(loopback.hits("/storm")) == 3
    assert result.error.reason == "http_status"
    assert result.error.retryable
    assert result.status == 500
    assert [attempt.error_class for attempt in result.attempts] == ["http_status"] * 3


def test_server_error_then_success(loopback, reply, make_settings):
    answers = iter([reply(503, b"busy"), reply(200, b"fine")])
    url = loopback.add("/flaky", lambda handler: next(answers))

    [result] = fetch_all([FetchRequest(url)], make_settings(retries=2))

    assert result.ok and result.content == b"fine"
    assert [attempt.status for attempt in result.attempts] == [503, 200]


@pytest.mark.parametrize("status", [404, 403, 410])
def test_client_errors_are_not_retried(loopback, reply, make_settings, status):
    url = loopback.add("/gone", reply(status, b"no"))

    [result] = fetch_all([FetchRequest(url)], make_settings(retries=3))

    assert len(loopback.hits("/gone")) == 1
    assert result.error.reason == "http_status"
    assert not result.error.retryable
    assert result.status == status


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_honoured(loopback, reply, make_settings, form):
    answers = iter([None, reply(200, b"welcome back")])

    def limited(handler):
        answer = next(answers)
        if answer is not None:
            return answer
        wait = "1" if form == "seconds" else formatdate(time.time() + 2, usegmt=True)
        return reply(429, b"slow down", {"Retry-After": wait})

    url = loopback.add("/limited", limited)

    [result] = fetch_all([FetchRequest(url)], make_settings(retries=1, backoff_max=5.0))

    assert result.ok
    first, second = loopback.hits("/limited")
    assert second.at - first.at >= 1.0


def test_retry_after_is_capped_by_backoff_max(loopback, reply, make_settings):
    answers = iter([reply(429, b"", {"Retry-After": "3600"}), reply(200, b"ok")])
    url = loopback.add("/limited", lambda handler: next(answers))

    [result] = fetch_all([FetchRequest(url)], make_settings(retries=1, backoff_max=0.1))

    assert result.ok
    assert len(loopback.hits("/limited")) == 2


def test_connection_refused_is_retried_and_reported(make_settings, closed_port):
    [result] = fetch_all(
        [FetchRequest(f"http://127.0.0.1:{closed_port}/feed")], make_settings(retries=2)
    )

    assert result.error.reason == "connect"
    assert result.error.retryable
    assert result.status is None
    assert len(result.attempts) == 3
    assert {attempt.error_class for attempt in result.attempts} == {"connect"}


def test_requests_to_one_host_are_spaced(loopback, reply, make_settings):
    urls = [loopback.add(f"/p{n}", reply(200, b"page")) for n in range(4)]

    results = fetch_all(
        [FetchRequest(url) for url in urls], make_settings(min_host_delay=0.3, max_per_host=4)
    )

    assert all(result.ok for result in results)
    # The client's own start stamps: the loopback server's arrival times also carry its
    # threads' scheduling, which on a loaded machine delayed one arrival past the next's gap.
    starts = sorted(attempt.started_at for result in results for attempt in result.attempts)
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 0.25  # 0.3 s apart by the gate; the margin is the clock reads around it


@pytest.mark.parametrize(("total", "per_host"), [(1, 4), (4, 1)])
def test_concurrency_limits(loopback, reply, make_settings, total, per_host):
    in_flight, peak, lock = [0], [0], threading.Lock()

    def counted(handler):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return reply(200, b"done")

    urls = [loopback.add(f"/c{n}", counted) for n in range(4)]

    results = fetch_all(
        [FetchRequest(url) for url in urls],
        make_settings(max_connections=total, max_per_host=per_host),
    )

    assert all(result.ok for result in results)
    assert peak[0] == 1
