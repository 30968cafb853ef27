"""GX Data Docs in the data folder: one page per validated batch and table, and an index.

Every batch's suite results are stored as JSON under `<data_dir>/gx/validations`
(they accumulate, so the index lists every run), and after a run the pages of
that run are rendered to `<data_dir>/data_docs/` (open `index.html`). The GX
context is file-based but built in code: no `great_expectations.yml`, no
analytics, no progress bars, nothing fetched from the network. great_expectations
is imported only when results are stored or pages built: it costs seconds. The
pages' views are GX's own with their Jinja templates compiled once per process
(`mediawatch.data_docs_views`), not once per build.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mediawatch.errors import MediawatchError

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )
    from great_expectations.data_context import AbstractDataContext

STORES = "gx"
SITE = "data_docs"
_SITE_NAME = "local_site"
_LOCK = threading.Lock()


class DataDocsError(MediawatchError):
    """Validation results could not be stored or the pages not written; the data is unaffected."""


def site_index(data_dir: Path) -> Path:
    """Where the Data Docs index page of this data folder is."""
    return data_dir / SITE / "index.html"


def _view(name: str) -> dict[str, str]:
    """A view of `mediawatch.data_docs_views`: GX's own, with templates compiled once."""
    return {"module_name": "mediawatch.data_docs_views", "class_name": name}


def prepare() -> None:
    """Compile Data Docs' page templates now (the command daemon, before it forks runs)."""
    from mediawatch.data_docs_views import compile_templates

    compile_templates()


@functools.cache
def _context(data_dir: Path) -> AbstractDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        ProgressBarsConfig,
    )

    stores = FilesystemStoreBackendDefaults(root_directory=str(data_dir / STORES))
    stores.data_docs_sites = {
        _SITE_NAME: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(data_dir / SITE),
            },
            "site_section_builders": {"validations": {"view": _view("PageView")}},
            "site_index_builder": {
                "class_name": "DefaultSiteIndexBuilder",
                "view": _view("IndexPageView"),
            },
        }
    }
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=stores,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "batch"


def store_results(
    data_dir: Path,
    run_id: str,
    batch: str,
    results: Sequence[ExpectationSuiteValidationResult],
    validated_at: datetime,
) -> None:
    """Keep one batch's suite results (one per table) for the run's Data Docs."""
    if not results:
        return
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.exceptions import GreatExpectationsError

    with _LOCK:
        try:
            store = _context(data_dir.resolve()).validation_results_store
            for result in results:
                key = ValidationResultIdentifier(
                    ExpectationSuiteIdentifier(result.suite_name),
                    RunIdentifier(run_name=run_id, run_time=validated_at),
                    _slug(batch),
                )
                store.set(key, result)
        except (OSError, GreatExpectationsError) as exc:
            raise DataDocsError(f"cannot store validation results in {data_dir}: {exc}") from exc


def build(data_dir: Path, run_id: str) -> Path:
    """Render the run's validation pages and the index; return the index page."""
    from great_expectations.exceptions import GreatExpectationsError

    with _LOCK:
        try:
            context = _context(data_dir.resolve())
            keys = [
                key
                for key in context.validation_results_store.list_keys()
                if key.run_id.run_name == run_id
            ]
            context.build_data_docs(site_names=[_SITE_NAME], resource_identifiers=keys)
        except (OSError, GreatExpectationsError) as exc:
            raise DataDocsError(f"cannot build Data Docs in {data_dir / SITE}: {exc}") from exc
    return site_index(data_dir)
