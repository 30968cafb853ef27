"""What a run checks before it starts: the taxonomy compiles and every alert topic exists.

The CLI calls `checked_taxonomy` before it starts a flow, so a bad taxonomy or
alert subscription is one `Error:` line and never reaches Prefect's engine
(which would log a traceback first); each flow calls it again for runs
started by a deployment.
"""

from __future__ import annotations

from mediawatch.alerts import check_subscriptions
from mediawatch.settings import Settings
from transforms.classify import Taxonomy, load_taxonomy


def checked_taxonomy(settings: Settings) -> Taxonomy:
    """The compiled taxonomy of `settings`, after checking the alert topics against it."""
    taxonomy = load_taxonomy(settings.taxonomy)
    check_subscriptions(settings.alerts, taxonomy.labels)
    return taxonomy
