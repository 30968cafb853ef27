"""Prefect flows: thin orchestration of the transforms, one module per flow.

Prefect's local ephemeral server logs a spurious "database is locked"
traceback when its analytics are on; the project's default is off. This is
the one place the environment is touched, before Prefect is first imported,
and where Prefect's noisy loggers are quietened.
"""

import logging
import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect's event sender says "Still processing items" while it flushes at exit: it
# still sends them all, so the line is only noise at the end of every run.
logging.getLogger("EventsWorker").setLevel(logging.ERROR)
