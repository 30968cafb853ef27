"""The learned topic stage saved beside a taxonomy: where it lives, and loading it.

`mediawatch taxonomy train` writes `<taxonomy>.model.pkl` next to the taxonomy
file; when that file is there, every flow that classifies (ingest, pages,
reprocess, reclassify) adds the model's labels to the rules' labels. Loading
the pickle imports scikit-learn, so a setup without a model never pays for it.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING

from mediawatch.errors import TaxonomyError

if TYPE_CHECKING:
    from transforms.topic_model import TopicModel


def model_path(taxonomy: Path) -> Path:
    """Where the learned stage of a taxonomy is saved: beside it, `<name>.model.pkl`."""
    return taxonomy.with_name(taxonomy.stem + ".model.pkl")


def load_model(taxonomy: Path) -> TopicModel:
    """The learned stage saved beside a taxonomy (written by `taxonomy train`: trusted input)."""
    path = model_path(taxonomy)
    try:
        with path.open("rb") as saved:
            return pickle.load(saved)
    except OSError as exc:
        raise TaxonomyError(
            f"no model for {taxonomy}: {exc.strerror}; run `mediawatch taxonomy train`"
        ) from exc
    except (pickle.UnpicklingError, AttributeError, EOFError) as exc:
        raise TaxonomyError(
            f"{path} is not a model `mediawatch taxonomy train` wrote ({exc}); train it again"
        ) from exc


def saved_model(taxonomy: Path) -> TopicModel | None:
    """The learned stage beside a taxonomy, or None when it has none."""
    return load_model(taxonomy) if model_path(taxonomy).is_file() else None
