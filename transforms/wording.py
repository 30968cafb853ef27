"""Counts in words for summaries and run names: "1 item", "2 items", never "1 items"."""


def plural(count: int, noun: str) -> str:
    """`count` and `noun`, with an "s" unless there is exactly one."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
