"""Prefect flows: thin orchestration of the transforms, one module per flow.

Prefect's local ephemeral server logs a spurious "database is locked"
traceback when its analytics are on; the project's default is off. This is
the one place the environment is touched, before Prefect is first imported.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
