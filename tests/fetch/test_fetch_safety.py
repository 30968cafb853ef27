"""Safety and manners: the address guard, URL schemes, DNS failures and robots.txt."""

from __future__ import annotations

import pytest

from mediawatch.http import FetchRequest, fetch_all

BLOCKED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
]


def test_loopback_is_refused_without_allow_list(loopback, reply, make_settings):
    url = loopback.add("/secret", reply(200, b"secret"))

    [result] = fetch_all([FetchRequest(url)], make_settings(allow_private=[]))

    assert result.error.reason == "blocked_address"
    assert not result.error.retryable
    assert url in result.error.message
    assert result.attempts == []
    assert loopback.requests == []


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_refused(make_settings, fake_resolver, address):
    resolver = fake_resolver({"victim.test": [address]})

    [result] = fetch_all(
        [FetchRequest("http://victim.test/admin")], make_settings(allow_private=[]), resolver
    )

    assert result.error.reason == "blocked_address"
    assert "victim.test resolves to" in result.error.message


def test_one_blocked_address_among_public_ones_is_enough(make_settings, fake_resolver):
    resolver = fake_resolver({"mixed.test": ["8.8.8.8", "10.0.0.1"]})

    [result] = fetch_all([FetchRequest("http://mixed.test/")], make_settings(), resolver)

    assert result.error.reason == "blocked_address"


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.0/8"])
def test_allow_list_admits_addresses_and_networks(loopback, reply, make_settings, entry):
    url = loopback.add("/page", reply(200, b"internal"))

    [result] = fetch_all([FetchRequest(url)], make_settings(allow_private=[entry]))

    assert result.ok and result.content == b"internal"


def test_allow_list_admits_host_names(loopback, reply, make_settings, fake_resolver):
    loopback.add("/page", reply(200, b"intranet"))
    resolver = fake_resolver({"intranet.test": ["127.0.0.1"]})

    [result] = fetch_all(
        [FetchRequest(f"http://intranet.test:{loopback.port}/page")],
        make_settings(allow_private=["Intranet.test"]),
        resolver,
    )

    assert result.ok and result.content == b"intranet"


def test_ipv4_mapped_addresses_are_judged_as_ipv4(loopback, reply, make_settings, fake_resolver):
    """::ffff:127.0.0.1 is loopback: allowed by an IPv4 entry, and connected to over IPv4."""
    loopback.add("/page", reply(200, b"mapped"))
    resolver = fake_resolver({"mapped.test": ["::ffff:127.0.0.1"]})

    [result] = fetch_all(
        [FetchRequest(f"http://mapped.test:{loopback.port}/page")],
        make_settings(allow_private=["127.0.0.0/8"]),
        resolver,
    )

    assert result.ok and result.content == b"mapped"


@pytest.mark.parametrize("target", ["http://evil.test/meta", "http://169.254.169.254/latest"])
def test_redirect_to_a_blocked_address_is_refused(
    loopback, reply, make_settings, fake_resolver, target
):
    url = loopback.add("/jump", reply(302, b"", {"Location": target}))
    resolver = fake_resolver({"evil.test": ["10.9.8.7"]})

    [result] = fetch_all([FetchRequest(url)], make_settings(), resolver)

    assert result.error.reason == "blocked_address"
    assert result.url == target
    assert [attempt.url for attempt in result.attempts] == [url]


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/feed.xml", "gopher://example.org/1"]
)
def test_other_schemes_are_refused(make_settings, url):
    [result] = fetch_all([FetchRequest(url)], make_settings())

    assert result.error.reason == "bad_scheme"
    assert result.attempts == []


def test_redirect_to_another_scheme_is_refused(loopback, reply, make_settings):
    url = loopback.add("/jump", reply(301, b"", {"Location": "file:///etc/passwd"}))

    [result] = fetch_all([FetchRequest(url)], make_settings())

    assert result.error.reason == "bad_scheme"


def test_unknown_host_is_a_dns_failure(make_settings, fake_resolver):
    [result] = fetch_all(
        [FetchRequest("http://no-such-host.invalid/feed")], make_settings(), fake_resolver({})
    )

    assert result.error.reason == "dns"
    assert not result.error.retryable
    assert "no-such-host.invalid" in result.error.message
    assert result.attempts == []


ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def test_robots_disallows_pages_but_not_feeds(loopback, reply, make_settings):
    loopback.add("/robots.txt", reply(200, ROBOTS, {"Content-Type": "text/plain"}))
    for path in ("/private/a", "/private/feed.xml", "/public/b"):
        loopback.add(path, reply(200, b"content"))
    requests = [
        FetchRequest(loopback.url("/private/a")),
        FetchRequest(loopback.url("/public/b")),
        FetchRequest(loopback.url("/private/feed.xml"), kind="feed"),
        FetchRequest(loopback.url("/private/a"), respect_robots=False),
    ]

    results = fetch_all(requests, make_settings(respect_robots=True))

    assert results[0].error.reason == "robots_disallowed"
    assert not results[0].error.retryable
    assert [result.ok for result in results[1:]] == [True, True, True]
    assert len(loopback.hits("/robots.txt")) == 1
    assert len(loopback.hits("/private/a")) == 1  # only the request that opted out
    robots_attempts = [a for r in results for a in r.attempts if a.url.endswith("/robots.txt")]
    assert len(robots_attempts) == 1


def test_robots_is_ignored_when_disabled(loopback, reply, make_settings):
    loopback.add("/robots.txt", reply(200, ROBOTS))
    url = loopback.add("/private/a", reply(200, b"content"))

    [result] = fetch_all([FetchRequest(url)], make_settings(respect_robots=False))

    assert result.ok
    assert loopback.hits("/robots.txt") == []


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (403, True), (503, False)])
def test_robots_fetch_failures(loopback, reply, make_settings, status, allowed):
    """A missing robots.txt allows all; a failing server disallows for this run."""
    loopback.add("/robots.txt", reply(status, b"", {}))
    url = loopback.add("/page", reply(200, b"content"))

    [result] = fetch_all([FetchRequest(url)], make_settings(respect_robots=True, retries=1))

    assert result.ok is allowed
    if not allowed:
        assert result.error.reason == "robots_disallowed"
        assert loopback.hits("/page") == []
