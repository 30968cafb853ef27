"""Named exceptions the CLI turns into one clean `Error:` line."""


class MediawatchError(Exception):
    """Base class: an error the user can act on, shown without a traceback."""


class ConfigError(MediawatchError):
    """The settings file or a value in it is invalid."""


class TaxonomyError(MediawatchError):
    """The taxonomy file cannot be read or a topic query does not parse."""


class WarehouseError(MediawatchError):
    """The warehouse cannot be opened, migrated or written."""


class WarehouseLocked(WarehouseError):
    """Another process held the warehouse file through every retry."""
