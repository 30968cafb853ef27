"""Which shard polls a feed: `shard: i/N` splits the feeds among N runs, each feed in one.

A feed belongs to the shard that scores highest for it, the score being a
SHA-1 of the shard number and the feed's canonical URL (rendezvous hashing).
That is the same on every machine and in every run (Python's `hash()` is
salted per process, so it is not used), spreads feeds evenly, and when N
grows to N+1 only about 1/(N+1) of the feeds move to another shard, where
`hash % N` would move nearly all of them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from transforms.urls import InvalidURL, canonicalize

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 1000

T = TypeVar("T")


class InvalidShard(ValueError):
    """A shard spec that is not `i/N` with 1 <= i <= N <= MAX_SHARDS."""


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(spec: str) -> Shard:
    """`"2/3"` -> Shard(2, 3); anything else raises InvalidShard saying what is expected."""
    match = _SPEC.match(spec)
    if match is None:
        raise InvalidShard(f"expected i/N such as 2/3, got {spec!r}")
    index, count = int(match[1]), int(match[2])
    if not 1 <= count <= MAX_SHARDS:
        raise InvalidShard(f"N must be between 1 and {MAX_SHARDS}, got {spec!r}")
    if not 1 <= index <= count:
        raise InvalidShard(f"i must be between 1 and N, got {spec!r}")
    return Shard(index, count)


def feed_key(url: str) -> str:
    """The feed's canonical URL (no tracking parameters, case folded), else the URL stripped."""
    try:
        return canonicalize(url)
    except InvalidURL:
        return url.strip()


def shard_of(url: str, count: int) -> int:
    """The 1-based shard of `count` that polls the feed at `url`."""
    key = feed_key(url).encode("utf-8")
    return max(
        range(1, count + 1),
        key=lambda index: hashlib.sha1(b"%d\0" % index + key, usedforsecurity=False).digest(),
    )


def in_shard(items: Sequence[T], shard: Shard | None, url: Callable[[T], str]) -> list[T]:
    """The items (feeds) whose `url` falls in `shard`, in their order; all of them for None."""
    if shard is None or shard.count == 1:
        return list(items)
    return [item for item in items if shard_of(url(item), shard.count) == shard.index]
