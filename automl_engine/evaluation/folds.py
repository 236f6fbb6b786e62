"""Cross-validation folds chosen as Azure AutoML does, stratified where it applies."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import (
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)

from automl_engine.task import Task

HOLDOUT_FRACTION = 0.1


def n_splits_for(n_rows: int) -> int:
    """10 folds under 1,000 rows, 5 under 20,000, a single holdout (returned as 1) above."""
    if n_rows < 1000:
        return 10
    if n_rows < 20000:
        return 5
    return 1


def make_folds(y, task: str, n_splits: int | None = None,
               random_state: int | None = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """List of (train_indices, test_indices).

    Parameters
    ----------
    y : array-like
        The target; used for stratification in classification.
    task : str
        "binary", "multiclass" or "regression".
    n_splits : int, optional
        Number of folds; ``None`` chooses by size; 1 means a 10% holdout.
    """
    y = np.asarray(y)
    n = len(y)
    n_splits = n_splits_for(n) if n_splits is None else int(n_splits)
    index = np.arange(n)
    stratify = task != Task.REGRESSION
    if stratify:
        _, counts = np.unique(y, return_counts=True)
        smallest = int(counts.min())
        if n_splits > 1 and smallest < n_splits:
            n_splits = max(2, smallest) if smallest >= 2 else n_splits
            stratify = smallest >= 2
    if n_splits == 1:
        splitter_cls = StratifiedShuffleSplit if stratify else ShuffleSplit
        splitter = splitter_cls(n_splits=1, test_size=HOLDOUT_FRACTION, random_state=random_state)
    elif stratify:
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    else:
        splitter = KFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return [(train, test) for train, test in splitter.split(index, y if stratify else None)]
