"""Pipeline descriptors: what the catalogue says about each pipeline, as numbers.

The recommender's latent embeddings are learned from the performance matrix alone; with a
sparse matrix (each pipeline seen on a few dozen datasets) they transfer poorly to a new
dataset. The descriptors add what is known without any data — the family, the preprocessing
steps and the hyper-parameters — so that a score observed on one pipeline also informs its
near relatives (same family, neighbouring hyper-parameters).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from automl_engine.catalogue.enumerate import PipelineSpec

__all__ = ["pipeline_descriptors"]


def _features(spec: PipelineSpec) -> dict[str, float]:
    row = {f"family={spec.family}": 1.0}
    for step, choice in spec.prep.items():
        row[f"prep.{step}={choice}"] = 1.0
    for name, value in spec.params.items():
        if isinstance(value, (list, tuple)):
            value = str(value)
        if value is None or isinstance(value, (bool, str)):
            row[f"{spec.family}.{name}={value}"] = 1.0
        else:  # numeric hyper-parameters vary over orders of magnitude: their log, per family
            row[f"{spec.family}.{name}"] = float(np.log10(abs(value))) if value != 0 else 0.0
    return row


def pipeline_descriptors(specs: Iterable[PipelineSpec]) -> np.ndarray:
    """One row per pipeline: one-hot family and preprocessing choices, one-hot categorical and
    log10 numeric hyper-parameters (per family, 0 where they do not apply), each column standardised.

    Parameters
    ----------
    specs : iterable of PipelineSpec, in the order of the recommender's columns

    Returns
    -------
    ndarray of shape (n_pipelines, n_descriptors)

    Examples
    --------
    >>> from automl_engine.catalogue import load_catalogue
    >>> D = pipeline_descriptors(load_catalogue("regression"))
    >>> D.shape[0], bool(abs(D.mean(axis=0)).max() < 1e-9)
    (650, True)
    """
    frame = pd.DataFrame([_features(spec) for spec in specs]).fillna(0.0)
    frame = frame.reindex(sorted(frame.columns), axis=1)
    std = frame.std(ddof=0).replace(0.0, 1.0)
    return ((frame - frame.mean()) / std).to_numpy(dtype=float)
