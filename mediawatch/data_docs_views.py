"""Data Docs page views whose Jinja templates are compiled once per process, not per build.

GX makes new views, each with a Jinja environment of its own, for every Data
Docs build, so every run compiled GX's page templates again: about 1 CPU-s of
the run's main thread, more than the run's validation. These views keep the
compiled templates in one in-memory Jinja bytecode cache shared by every
environment of the process. Jinja keys each entry by the template's name and
checks its source's checksum, so a changed template is compiled again. The
command daemon fills the cache before it forks its runs (`mediawatch.data_docs.prepare`).
`mediawatch.data_docs` names these classes in the site's configuration; GX
imports this module, and with it great_expectations, only to build pages.
"""

from __future__ import annotations

from typing import Any

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates by Jinja's bucket key, for the life of the process."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Give the bucket the code compiled earlier, if any (Jinja then checks its checksum)."""
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep what Jinja just compiled."""
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED = _MemoryBytecodeCache()


class _SharedTemplates:
    """Mixin for a GX Jinja view: its environment loads templates through `COMPILED`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = COMPILED  # type: ignore[attr-defined]


class PageView(_SharedTemplates, DefaultJinjaPageView):
    """GX's validation-result page view, with shared compiled templates."""


class IndexPageView(_SharedTemplates, DefaultJinjaIndexPageView):
    """GX's index page view, with shared compiled templates."""


def compile_templates() -> int:
    """Compile every page template GX ships into the cache now; return how many."""
    env = PageView().env
    names = env.list_templates(extensions=["j2"])
    for name in names:
        env.get_template(name)
    return len(names)
