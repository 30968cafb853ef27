"""The retention task: prune old archive files and fetch_log rows at the end of a run.

Runs when `retention.after_runs` is true and a retention period is set; see
`mediawatch/retention.py` for the rules. A prune that cannot finish (a busy
warehouse, a file that cannot be deleted) is a warning: the run's own work is
done, and the next run tries again.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mediawatch import retention
from mediawatch.errors import WarehouseError
from mediawatch.settings import Settings
from mediawatch.warehouse import Warehouse


@task(name="prune", cache_policy=NO_CACHE)
def prune_old_data(settings: Settings, warehouse: Warehouse) -> None:
    """Delete what the retention settings no longer keep and log what went."""
    logger = get_run_logger()
    try:
        pruned = retention.prune(settings, warehouse)
    except (WarehouseError, OSError) as exc:
        logger.warning("retention: pruning skipped this time: %s", exc)
        return
    for line in retention.describe(pruned, dry_run=False):
        logger.info("retention: %s", line)
