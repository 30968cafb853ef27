"""Time budgets in the HTTP client: a spent host or run defers its URLs, never fails them."""

from __future__ import annotations

import time
from typing import Any

from mediawatch.http import FetchRequest, TimeBudget, fetch_all


def test_a_spent_host_makes_no_exchange_and_the_url_is_retryable(loopback, reply, make_settings):
    url = loopback.add("/page", reply(200, b"<html>fine</html>"))
    budget = TimeBudget(run_seconds=None, host_seconds=1.0)
    budget.charge("127.0.0.1", 1.0)

    [result] = fetch_all([FetchRequest(url)], make_settings(), budget=budget)

    assert result.error is not None and result.error.reason == "deferred"
    assert result.error.retryable
    assert result.attempts == [] and loopback.hits("/page") == []


def test_the_budget_cuts_an_exchange_short_and_defers_it(
    loopback, reply, make_settings, hostile_inputs: Any
):
    url = loopback.add("/drip", reply(200, hostile_inputs.dripping(0.1)))
    budget = TimeBudget(run_seconds=None, host_seconds=0.5)
    start = time.monotonic()

    [result] = fetch_all([FetchRequest(url)], make_settings(total_timeout=30.0), budget=budget)

    assert result.error is not None and result.error.reason == "deferred"
    assert "ran out" in result.error.message and len(result.attempts) == 1
    assert time.monotonic() - start < 20, "cut by the budget, not the 30 s total timeout"


def test_a_deferred_robots_txt_defers_the_origin_pages_without_hanging(
    loopback, reply, make_settings
):
    urls = [loopback.add(f"/p{n}", reply(200, b"<html>fine</html>")) for n in range(3)]
    budget = TimeBudget(run_seconds=None, host_seconds=0.5)
    budget.charge("127.0.0.1", 0.5)

    results = fetch_all(
        [FetchRequest(url) for url in urls], make_settings(respect_robots=True), budget=budget
    )

    assert [r.error.reason for r in results if r.error] == ["deferred"] * 3
