"""The one shared HTTP client: polite, bounded, retrying and SSRF-guarded batch fetching.

`fetch_all` takes a batch of `FetchRequest`s and returns one `FetchResult` per request,
in request order. It never raises for a per-URL problem: a failure is a `FetchError`
whose `reason` is a stable name for counting and whose `retryable` says whether trying
again later could help. All HTTP of the project goes through this module (ruff bans
httpx elsewhere), so its limits, robots.txt handling and address guard cannot be skipped.

Policy decisions, in one place:

- Address guard: every hop's host is resolved once per `fetch_all` call and refused if
  *any* of its addresses is not globally routable (loopback, private, link-local,
  multicast, reserved, unspecified, shared; IPv4-mapped IPv6 is unwrapped first) unless
  the host name or the address is in `allow_private`. Connections go to the checked
  address through a pinned network backend, so DNS rebinding cannot slip in between the
  check and the connect. Environment proxies are ignored for the same reason.
- robots.txt (pages only): a 2xx body is obeyed; a 4xx other than 429, or a fetch that
  fails for a non-transient reason (too many redirects, too large), allows everything;
  a 429, a 5xx or a transient failure (timeout, connection error) disallows the whole
  origin for the rest of the call. This is Google's documented behaviour.
- `total_timeout` bounds one HTTP exchange (one attempt of one hop, body included);
  retries and redirects are further exchanges with their own budget.
- An optional `TimeBudget`, shared by a run's calls, bounds the seconds spent per host
  (exchanges and backoff waits) and in all; a URL past it is `DeferredError`.
- `FetchResult.attempts` holds the HTTP exchanges made for the request (robots.txt
  exchanges included, on the first request that needed them); a URL refused before
  any exchange (bad scheme, DNS, blocked address, robots) has none.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import random
import socket
import ssl
import time
import urllib.robotparser
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar, Literal

import brotli
import httpcore
import httpx

from mediawatch.settings import HttpSettings

__all__ = [
    "BadSchemeError",
    "BadUrlError",
    "BlockedAddressError",
    "ConnectFailedError",
    "DeferredError",
    "DnsError",
    "FetchAttempt",
    "FetchError",
    "FetchRequest",
    "FetchResult",
    "FetchTimeoutError",
    "HttpStatusError",
    "ProtocolError",
    "RedirectLoopError",
    "Resolver",
    "RobotsDisallowedError",
    "TimeBudget",
    "TooLargeError",
    "TooManyRedirectsError",
    "afetch_all",
    "fetch_all",
    "system_resolver",
]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RESOLVER_THREADS = 8

_RobotRules = urllib.robotparser.RobotFileParser
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]
"""Host name to IP address strings; raises `OSError` (usually `socket.gaierror`) on failure."""


# --- errors -------------------------------------------------------------------------


class FetchError(Exception):
    """Why one URL could not be fetched: `reason` for counting, `retryable` for scheduling."""

    reason: ClassVar[str] = "fetch"
    default_retryable: ClassVar[bool] = False

    def __init__(self, message: str, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = self.default_retryable if retryable is None else retryable


class FetchTimeoutError(FetchError):
    """Connect, read or total time limit exceeded."""

    reason = "timeout"
    default_retryable = True


class ConnectFailedError(FetchError):
    """The TCP (or TLS) connection could not be established."""

    reason = "connect"
    default_retryable = True


class DnsError(FetchError):
    """The host name does not resolve; retryable only for temporary resolver failures."""

    reason = "dns"


class TooLargeError(FetchError):
    """The body is larger than `max_bytes`, declared or counted while streaming."""

    reason = "too_large"


class HttpStatusError(FetchError):
    """The final response is neither 2xx nor 304; retryable for 5xx, 408 and 429."""

    reason = "http_status"


class TooManyRedirectsError(FetchError):
    """More than `max_redirects` redirects."""

    reason = "too_many_redirects"


class RedirectLoopError(FetchError):
    """A redirect points back to a URL already visited for this request."""

    reason = "redirect_loop"


class BlockedAddressError(FetchError):
    """The host resolves to an address the SSRF guard refuses."""

    reason = "blocked_address"


class BadSchemeError(FetchError):
    """The URL (or a redirect target) is not http or https."""

    reason = "bad_scheme"


class BadUrlError(FetchError):
    """The URL (or a redirect target) cannot be parsed or has no host."""

    reason = "bad_url"


class RobotsDisallowedError(FetchError):
    """robots.txt of the page's origin disallows our user agent."""

    reason = "robots_disallowed"


class DeferredError(FetchError):
    """The run's or the host's time budget is spent: the URL waits for the next run."""

    reason = "deferred"
    default_retryable = True


class ProtocolError(FetchError):
    """The server broke HTTP: dropped the connection mid-exchange, bad framing or encoding."""

    reason = "protocol"


# --- records ------------------------------------------------------------------------


@dataclass(slots=True)
class FetchRequest:
    """One URL to fetch; `etag`/`last_modified` make it a conditional GET.

    A `body` makes it a POST of that body (a webhook delivery), under the same
    guard, limits and retries; a redirect is followed with the same POST.
    """

    url: str
    kind: Literal["feed", "page", "webhook"] = "page"
    etag: str | None = None
    last_modified: str | None = None
    respect_robots: bool | None = None  # None = settings default; robots applies to pages only
    body: bytes | None = None
    content_type: str = "application/json"


@dataclass(slots=True)
class FetchAttempt:
    """One HTTP exchange, a row of the fetch_log table; `error_class` is a `FetchError.reason`.

    `kind` is the request's kind, or "robots" for a robots.txt exchange made on its behalf.
    """

    url: str
    kind: str
    status: int | None
    bytes: int
    duration: float
    error_class: str | None
    error_message: str | None
    started_at: datetime


@dataclass(slots=True)
class FetchResult:
    """The outcome for one request: content, or a classified error, plus every exchange made.

    `ok` means no error (a 304 is ok, with `content` None); `url` is the final URL after
    redirects, or the URL where the failure happened.
    """

    request: FetchRequest
    url: str
    status: int | None
    headers: dict[str, str]
    content: bytes | None
    fetched_at: datetime
    attempts: list[FetchAttempt]
    error: FetchError | None
    raw_file: str | None = None  # set by mediawatch.archive: the WARC file and offset
    raw_offset: int | None = None  # of the archived response record

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass(slots=True)
class _Response:
    """One completed exchange, before the caller decides what its status means."""

    status: int
    headers: dict[str, str]
    content: bytes | None


@dataclass(slots=True)
class _Trace:
    """What one request did so far: the URL being fetched and the exchanges made."""

    url: httpx.URL
    kind: str = "page"
    attempts: list[FetchAttempt] = field(default_factory=list)
    body: bytes | None = None  # POSTed when set


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _retryable_status(status: int) -> bool:
    """Statuses worth another try: server errors, request timeout and rate limiting."""
    return status >= 500 or status in (408, 429)


def _host(url: httpx.URL) -> str:
    """The host as sent on the wire (IDNA-encoded, lower case), the key of per-host state."""
    return url.raw_host.decode("ascii")


# --- address guard ------------------------------------------------------------------


def system_resolver(host: str) -> list[str]:
    """Resolve `host` with the operating system's resolver (blocking; run in a thread)."""
    return [info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


def _is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses.

    `is_global` already excludes loopback, private, link-local, unspecified and shared
    (100.64/10) space; multicast and reserved ranges have to be excluded explicitly.
    """
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _parse_ip(text: str) -> IPAddress | None:
    """The address in `text`, IPv4-mapped IPv6 unwrapped so it is judged (and used) as IPv4."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class _AddressGuard:
    """Checks URLs before any connection and remembers the approved address of each host."""

    def __init__(self, settings: HttpSettings, resolver: Resolver) -> None:
        self._resolver = resolver
        self._timeout = settings.connect_timeout
        self._allowed_hosts: set[str] = set()
        self._allowed_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in settings.allow_private:
            try:
                self._allowed_networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._allowed_hosts.add(entry.lower().rstrip("."))
        self._approved: dict[str, str] = {}
        self._executor = ThreadPoolExecutor(_RESOLVER_THREADS, thread_name_prefix="resolve")

    def close(self) -> None:
        """Stop waiting for lookups; a hung system resolver must not hold up the batch."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def check(self, url: httpx.URL) -> None:
        """Raise unless `url` is http(s) and its host resolves only to permitted addresses."""
        if url.scheme not in ("http", "https"):
            raise BadSchemeError(f"{url}: only http and https URLs are fetched")
        host = _host(url)
        if not host:
            raise BadUrlError(f"{url}: the URL has no host")
        if host in self._approved:
            return
        addresses = await self._resolve(url, host)
        allowed_name = host.rstrip(".") in self._allowed_hosts
        for address in addresses:
            if not (allowed_name or _is_public(address) or self._allowed_address(address)):
                raise BlockedAddressError(
                    f"{url}: {host} resolves to {address}, which is not a public address "
                    "(add it to http.allow_private to allow it)"
                )
        self._approved[host] = str(addresses[0])

    def address_for(self, host: str) -> str:
        """The address `check` approved for `host`; connecting anywhere else is refused."""
        try:
            return self._approved[host]
        except KeyError:
            raise httpcore.ConnectError(f"{host} was not checked by the address guard") from None

    def _allowed_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self._allowed_networks)

    async def _resolve(self, url: httpx.URL, host: str) -> list[IPAddress]:
        literal = _parse_ip(host)
        if literal is not None:
            return [literal]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._timeout):
                found = await loop.run_in_executor(self._executor, self._resolver, host)
        except TimeoutError:
            raise DnsError(f"{url}: resolving {host} timed out", retryable=True) from None
        except UnicodeError as exc:
            raise BadUrlError(f"{url}: invalid host name {host!r}") from exc
        except OSError as exc:
            temporary = isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN
            raise DnsError(f"{url}: cannot resolve {host}: {exc}", temporary) from exc
        addresses = [parsed for parsed in map(_parse_ip, found) if parsed is not None]
        if not addresses:
            raise DnsError(f"{url}: {host} has no IP address")
        return addresses


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to the address the guard approved, never re-resolving the name.

    TLS still uses the host name (SNI and certificate check), because httpcore passes the
    URL's host to `start_tls`; only the socket's destination is pinned.
    """

    def __init__(self, guard: _AddressGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Sequence[tuple[int, int, int | bytes]] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_tcp(
            self._guard.address_for(host), port, timeout, local_address, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context of every fetch (certificates checked against certifi's CAs), made once.

    Making one reads and parses the whole CA bundle, about 35 ms of CPU: once
    per process, not twice per `fetch_all` call (the transport httpx builds
    and the pool that replaces its own), which a run with nothing new paid
    for nothing. The command daemon makes it before it forks its runs.
    """
    return httpx.create_ssl_context(trust_env=False)


def _pinned_transport(settings: HttpSettings, guard: _AddressGuard) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connection pool connects only to guard-approved addresses.

    httpx does not take a network backend, so the pool it builds is replaced by an
    equivalent one that has ours (`tests/fetch` has a test that fails if this stops working).
    """
    transport = httpx.AsyncHTTPTransport(verify=tls_context(), trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls_context(),
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
        network_backend=_PinnedBackend(guard),
    )
    return transport


# --- time budgets -------------------------------------------------------------------


class TimeBudget:
    """Seconds a run may spend fetching: in all (`run_seconds`) and per host (`host_seconds`).

    One budget is shared by every `fetch_all` call of a run. The run's clock
    starts when the budget is made; a host is charged the wall time of each of
    its exchanges and of each backoff wait. None is no bound.
    """

    def __init__(self, run_seconds: float | None, host_seconds: float | None) -> None:
        self._deadline = None if run_seconds is None else time.monotonic() + run_seconds
        self._host_seconds = host_seconds
        self._spent: dict[str, float] = {}

    @classmethod
    def of(cls, settings: HttpSettings) -> TimeBudget:
        return cls(settings.run_budget, settings.host_budget)

    def left(self, host: str) -> float:
        """Seconds left for `host` (inf when unbounded); 0 or less means spent."""
        left = float("inf")
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
        if self._host_seconds is not None:
            left = min(left, self._host_seconds - self._spent.get(host, 0.0))
        return left

    def charge(self, host: str, seconds: float) -> None:
        self._spent[host] = self._spent.get(host, 0.0) + seconds

    def check(self, url: httpx.URL) -> float:
        """The seconds left for the host of `url`; raise `DeferredError` when none are."""
        left = self.left(_host(url))
        if left <= 0:
            raise DeferredError(f"{url}: the time budget of this run or host is spent")
        return left


# --- politeness ---------------------------------------------------------------------


class _HostGate:
    """Per-host politeness: at most `limit` exchanges in flight, starts `delay` seconds apart."""

    def __init__(self, limit: int, delay: float) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._spacing = asyncio.Lock()
        self._delay = delay
        self._next_start = 0.0

    @asynccontextmanager
    async def turn(self, everyone: asyncio.Semaphore) -> AsyncIterator[None]:
        """Hold a host slot and a global slot, then wait out the spacing and stamp the start.

        The start is stamped while both slots are held, so the spacing is exact; the price
        is that a host may keep its own slots' share of the global limit idle while waiting.
        """
        async with self._slots, everyone:
            async with self._spacing:
                wait = self._next_start - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start = time.monotonic() + self._delay
            yield


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), if valid."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _backoff(settings: HttpSettings, attempt: int, retry_after: str | None) -> float:
    """Delay before retry number `attempt + 1`: the server's hint, else jittered exponential."""
    hinted = _retry_after(retry_after, _utcnow())
    if hinted is not None:
        return min(hinted, settings.backoff_max)
    ceiling = min(settings.backoff_max, settings.backoff_base * 2**attempt)
    return random.uniform(ceiling / 2, ceiling)


# --- robots.txt ---------------------------------------------------------------------


def _blanket_rules(*, transient: bool) -> _RobotRules:
    """Rules for an unusable robots.txt: disallow all while the failure may pass, else allow."""
    rules = _RobotRules()
    rules.disallow_all = transient
    rules.allow_all = not transient
    return rules


# --- exchanges ----------------------------------------------------------------------


def _classify(exc: httpx.RequestError, url: httpx.URL, settings: HttpSettings) -> FetchError:
    """Map an httpx failure to a `FetchError`, deciding whether a retry could help."""
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchTimeoutError(f"{url}: no connection within {settings.connect_timeout}s")
    if isinstance(exc, httpx.TimeoutException):
        return FetchTimeoutError(f"{url}: timed out ({detail})")
    if isinstance(exc, httpx.ConnectError):
        return ConnectFailedError(f"{url}: cannot connect ({detail})")
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError):
        return ProtocolError(f"{url}: connection broke mid-exchange ({detail})", retryable=True)
    return ProtocolError(f"{url}: {detail}")


_PIECE = 64 * 1024  # the most any decoding step outputs at once
_MAX_ENCODINGS = 2  # Content-Encoding layers accepted; more is a refused response


class _ZlibLayer:
    """gzip or deflate (zlib-wrapped or raw), inflated at most `_PIECE` bytes per step."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._inflate: zlib._Decompress | None = None
        self._head = b""  # deflate's first bytes, until there are two to tell the format by

    def _start(self, data: bytes) -> zlib._Decompress:
        """The decompressor; deflate is zlib-wrapped by the RFC, but raw in the wild too."""
        if self._gzip:
            return zlib.decompressobj(zlib.MAX_WBITS | 16)
        wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._inflate is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return
            self._inflate = self._start(data)
        inflate = self._inflate
        while not inflate.eof:
            out = inflate.decompress(data, _PIECE)
            data = inflate.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _PIECE:
                return


class _BrotliLayer:
    """brotli, through its streaming API with an output limit of `_PIECE` per step."""

    def __init__(self) -> None:
        self._inflate = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        out = self._inflate.process(data, output_buffer_limit=_PIECE)
        while True:
            if out:
                yield out
            if self._inflate.can_accept_more_data() or self._inflate.is_finished():
                return
            out = self._inflate.process(b"", output_buffer_limit=_PIECE)


_Layer = _ZlibLayer | _BrotliLayer


def _layers(response: httpx.Response, url: httpx.URL) -> list[_Layer]:
    """The decoding steps of a response, outermost first; too many stacked is refused.

    Unknown and identity codings pass through, as httpx does.
    """
    names = [
        name.strip().lower()
        for name in response.headers.get("content-encoding", "").split(",")
        if name.strip().lower() not in ("", "identity")
    ]
    if len(names) > _MAX_ENCODINGS:
        raise ProtocolError(f"{url}: {len(names)} stacked content encodings ({', '.join(names)})")
    layers: list[_Layer] = []
    for name in reversed(names):  # the last coding applied is undone first
        if name in ("gzip", "x-gzip", "deflate"):
            layers.append(_ZlibLayer(name))
        elif name == "br":
            layers.append(_BrotliLayer())
    return layers


def _decoded(layers: Sequence[_Layer], data: bytes) -> Iterator[bytes]:
    """`data` through every layer, each step's output bounded, so no bomb inflates at once."""
    if not layers:
        if data:
            yield data
        return
    for piece in layers[0].decode(data):
        yield from _decoded(layers[1:], piece)


async def _read_capped(response: httpx.Response, url: httpx.URL, limit: int) -> bytes:
    """Read and decode the body, aborting as soon as it exceeds `limit` bytes.

    The body is decoded here, not by httpx: httpx inflates each received chunk in
    one call, so a few KB of stacked gzip or brotli would become gigabytes in
    memory before any size check. Each step here outputs at most `_PIECE` bytes.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"{url}: Content-Length {declared} exceeds the {limit}-byte limit")
    layers = _layers(response, url)
    chunks: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            for chunk in _decoded(layers, raw):
                size += len(chunk)
                if size > limit:
                    raise TooLargeError(f"{url}: body exceeds the {limit}-byte limit")
                chunks.append(chunk)
    except (zlib.error, brotli.error) as exc:
        raise ProtocolError(f"{url}: the body is not valid {_coding(response)} ({exc})") from exc
    return b"".join(chunks)


def _coding(response: httpx.Response) -> str:
    return response.headers.get("content-encoding", "").strip() or "data"


class _Fetcher:
    """One `fetch_all` call's shared state: client, guard, host gates and robots cache."""

    def __init__(
        self, settings: HttpSettings, resolver: Resolver, budget: TimeBudget | None = None
    ) -> None:
        self._settings = settings
        self._budget = budget
        self._guard = _AddressGuard(settings, resolver)
        self._client = httpx.AsyncClient(
            transport=_pinned_transport(settings, self._guard),
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            follow_redirects=False,
            trust_env=False,
        )
        self._everyone = asyncio.Semaphore(settings.max_connections)
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[tuple[str, str, int | None], asyncio.Future[_RobotRules]] = {}

    async def __aenter__(self) -> _Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._client.aclose()
        self._guard.close()

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one request; every per-URL failure ends up in the result, never raised."""
        trace = _Trace(httpx.URL(), kind=request.kind, body=request.body)
        status: int | None = None
        headers: dict[str, str] = {}
        content: bytes | None = None
        error: FetchError | None = None
        try:
            trace.url = self._parse(request.url)
            response = await self._follow(trace, self._request_headers(request), request)
            status, headers, content = response.status, response.headers, response.content
            if not (200 <= status < 300 or status == 304):
                error = HttpStatusError(
                    f"{trace.url}: HTTP {status}", retryable=_retryable_status(status)
                )
        except FetchError as exc:
            error = exc
            status = trace.attempts[-1].status if trace.attempts else None
        return FetchResult(
            request=request,
            url=str(trace.url) or request.url,
            status=status,
            headers=headers,
            content=content,
            fetched_at=_utcnow(),
            attempts=trace.attempts,
            error=error,
        )

    @staticmethod
    def _parse(url: str) -> httpx.URL:
        try:
            return httpx.URL(url).copy_with(fragment=None)
        except httpx.InvalidURL as exc:
            raise BadUrlError(f"{url}: not a valid URL ({exc})") from exc

    @staticmethod
    def _request_headers(request: FetchRequest) -> dict[str, str]:
        headers = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        if request.body is not None:
            headers["Content-Type"] = request.content_type
        return headers

    def _obeys_robots(self, request: FetchRequest | None) -> bool:
        if request is None or request.kind != "page":
            return False
        if request.respect_robots is None:
            return self._settings.respect_robots
        return request.respect_robots

    async def _follow(
        self, trace: _Trace, headers: dict[str, str], request: FetchRequest | None
    ) -> _Response:
        """Fetch `trace.url`, following redirects by hand so every hop passes the guard.

        `request` is None for robots.txt itself, which is never checked against robots.
        """
        seen = {str(trace.url)}
        while True:
            await self._guard.check(trace.url)
            if self._obeys_robots(request) and not await self._robots_allow(trace):
                raise RobotsDisallowedError(f"{trace.url}: disallowed by robots.txt")
            response = await self._with_retries(trace, headers)
            location = response.headers.get("location")
            if response.status not in _REDIRECT_STATUSES or location is None:
                return response
            if len(seen) > self._settings.max_redirects:
                raise TooManyRedirectsError(
                    f"{trace.url}: more than {self._settings.max_redirects} redirects"
                )
            try:
                target = trace.url.join(location).copy_with(fragment=None)
            except httpx.InvalidURL as exc:
                raise BadUrlError(f"{trace.url}: invalid redirect to {location!r}") from exc
            if str(target) in seen:
                raise RedirectLoopError(f"{trace.url}: redirect loop back to {target}")
            seen.add(str(target))
            trace.url = target

    async def _robots_allow(self, trace: _Trace) -> bool:
        """Whether robots.txt of the origin of `trace.url` lets us fetch it (fetched once)."""
        url = trace.url
        origin = (url.scheme, _host(url), url.port)
        rules = self._robots.get(origin)
        if rules is None:
            rules = asyncio.get_running_loop().create_future()
            self._robots[origin] = rules
            try:
                rules.set_result(await self._load_robots(url, trace))
            except DeferredError as exc:  # no time left for the origin: its pages wait too
                rules.set_exception(exc)
        return (await rules).can_fetch(self._settings.user_agent, str(url))

    async def _load_robots(self, page: httpx.URL, trace: _Trace) -> _RobotRules:
        """Fetch and parse robots.txt for `page`'s origin; its exchanges join `trace`."""
        robots = _Trace(page.copy_with(path="/robots.txt", query=None), kind="robots")
        try:
            response = await self._follow(robots, {}, None)
        except DeferredError:
            raise
        except FetchError as exc:
            return _blanket_rules(transient=exc.retryable)
        finally:
            trace.attempts.extend(robots.attempts)
        if not 200 <= response.status < 300:
            return _blanket_rules(transient=_retryable_status(response.status))
        rules = _RobotRules()
        rules.parse((response.content or b"").decode("utf-8", "replace").splitlines())
        return rules

    async def _with_retries(self, trace: _Trace, headers: dict[str, str]) -> _Response:
        """One hop, retried on transient failures and retryable statuses with backoff."""
        attempt = 0
        while True:
            try:
                response = await self._exchange(trace, headers)
            except DeferredError:
                raise
            except FetchError as exc:
                if not exc.retryable or attempt >= self._settings.retries:
                    raise
                retry_after = None
            else:
                if not _retryable_status(response.status) or attempt >= self._settings.retries:
                    return response
                retry_after = response.headers.get("retry-after")
            await self._wait(trace.url, _backoff(self._settings, attempt, retry_after))
            attempt += 1

    async def _wait(self, url: httpx.URL, seconds: float) -> None:
        """Sleep before a retry, charged to the host; defer if its budget cannot cover it."""
        if self._budget is not None:
            if self._budget.check(url) <= seconds:
                raise DeferredError(f"{url}: the time budget is spent before the next try")
            self._budget.charge(_host(url), seconds)
        await asyncio.sleep(seconds)

    async def _exchange(self, trace: _Trace, headers: dict[str, str]) -> _Response:
        """One GET under the politeness limits, recorded as a `FetchAttempt` in `trace`."""
        gate = self._gates.setdefault(
            _host(trace.url), _HostGate(self._settings.max_per_host, self._settings.min_host_delay)
        )
        limit = self._settings.total_timeout
        if self._budget is not None:
            self._budget.check(trace.url)
        async with gate.turn(self._everyone):
            if self._budget is not None:
                limit = min(limit, self._budget.check(trace.url))
            attempt = FetchAttempt(
                url=str(trace.url),
                kind=trace.kind,
                status=None,
                bytes=0,
                duration=0.0,
                error_class=None,
                error_message=None,
                started_at=_utcnow(),
            )
            trace.attempts.append(attempt)
            start = time.monotonic()
            try:
                return await self._get(trace.url, headers, attempt, trace.body, limit)
            except FetchError as exc:
                attempt.error_class, attempt.error_message = exc.reason, exc.message
                raise
            finally:
                attempt.duration = time.monotonic() - start
                if self._budget is not None:
                    self._budget.charge(_host(trace.url), attempt.duration)

    async def _get(
        self,
        url: httpx.URL,
        headers: dict[str, str],
        attempt: FetchAttempt,
        body: bytes | None,
        limit: float,
    ) -> _Response:
        """The bare GET (POST of `body` if given) within `limit` seconds.

        `limit` is the total timeout, or less when the time budget has less
        left: then running out of it defers the URL instead of failing it.
        Status and size go into `attempt` as they become known.
        """
        method = "GET" if body is None else "POST"
        try:
            async with (
                asyncio.timeout(limit),
                self._client.stream(method, url, headers=headers, content=body) as response,
            ):
                attempt.status = response.status_code
                try:
                    body = await _read_capped(response, url, self._settings.max_bytes)
                finally:
                    attempt.bytes = response.num_bytes_downloaded
        except TimeoutError:
            if limit < self._settings.total_timeout:
                raise DeferredError(
                    f"{url}: the time budget ran out {limit:.1f}s into the exchange"
                ) from None
            raise FetchTimeoutError(
                f"{url}: response not complete within the total timeout of "
                f"{self._settings.total_timeout}s"
            ) from None
        except httpx.RequestError as exc:
            raise _classify(exc, url, self._settings) from exc
        if response.status_code >= 400:
            attempt.error_class = HttpStatusError.reason
            attempt.error_message = f"{url}: HTTP {response.status_code}"
        return _Response(
            status=response.status_code,
            headers=dict(response.headers.items()),
            content=None if response.status_code == 304 else body,
        )


# --- entry points -------------------------------------------------------------------


async def afetch_all(
    requests: Sequence[FetchRequest],
    settings: HttpSettings,
    resolver: Resolver = system_resolver,
    budget: TimeBudget | None = None,
) -> list[FetchResult]:
    """`fetch_all` for callers already inside an event loop."""
    async with _Fetcher(settings, resolver, budget) as fetcher:
        return list(await asyncio.gather(*(fetcher.fetch(request) for request in requests)))


def fetch_all(
    requests: Sequence[FetchRequest],
    settings: HttpSettings,
    resolver: Resolver = system_resolver,
    budget: TimeBudget | None = None,
) -> list[FetchResult]:
    """Fetch a batch with one shared client; one result per request, in request order.

    Never raises for a per-URL problem. `resolver` exists so tests can resolve names
    without a network; production code leaves it alone. With a `budget`, a URL
    whose host (or run) has spent its time is not fetched: its error is
    `DeferredError`, retryable.
    """
    return asyncio.run(afetch_all(requests, settings, resolver, budget))
