"""Feed sharding: every feed in exactly one shard, the same everywhere, shards balanced."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from transforms.shard import InvalidShard, Shard, in_shard, parse_shard, shard_of

URLS = [f"https://site-{n % 37}.example.org/feeds/{n}/rss.xml" for n in range(3000)]


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_every_feed_lands_in_exactly_one_shard(count: int) -> None:
    shards = [in_shard(URLS, Shard(i, count), str) for i in range(1, count + 1)]
    flat = [url for shard in shards for url in shard]
    assert sorted(flat) == sorted(URLS)
    assert len(set(flat)) == len(flat)


def test_shards_are_balanced() -> None:
    sizes = Counter(shard_of(url, 3) for url in URLS)
    assert set(sizes) == {1, 2, 3}
    assert all(abs(size - 1000) < 100 for size in sizes.values()), sizes


def test_the_same_feed_in_another_spelling_is_in_the_same_shard() -> None:
    plain = "https://news.example.org/rss.xml"
    assert shard_of(plain, 5) == shard_of("HTTPS://News.Example.org:443/rss.xml?utm_source=x", 5)


def test_assignment_is_stable_across_processes() -> None:
    """A fresh interpreter (another hash salt) assigns the same shards: no use of hash()."""
    script = f"from transforms.shard import shard_of;print([shard_of(u, 4) for u in {URLS[:50]!r}])"
    other = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert other.stdout.strip() == str([shard_of(u, 4) for u in URLS[:50]])


def test_a_new_shard_moves_only_its_share_of_feeds() -> None:
    """From 3 to 4 shards about a quarter of the feeds move, all to the new shard."""
    moved = [url for url in URLS if shard_of(url, 3) != shard_of(url, 4)]
    assert all(shard_of(url, 4) == 4 for url in moved)
    assert 0.18 < len(moved) / len(URLS) < 0.32


@pytest.mark.parametrize(
    ("spec", "expected"), [("1/1", Shard(1, 1)), ("2/3", Shard(2, 3)), (" 3 / 3 ", Shard(3, 3))]
)
def test_parse_shard(spec: str, expected: Shard) -> None:
    assert parse_shard(spec) == expected
    assert str(expected) == spec.replace(" ", "")


@pytest.mark.parametrize("spec", ["0/3", "4/3", "1/0", "2", "a/b", "1/2/3", "1/1001"])
def test_parse_shard_refuses(spec: str) -> None:
    with pytest.raises(InvalidShard, match=r"i/N|between"):
        parse_shard(spec)
