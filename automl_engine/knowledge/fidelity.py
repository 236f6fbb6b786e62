"""The second fidelity in the recommender's matrix: scores measured on 5,000-row samples of large tables.

The build measures every corpus dataset on an 800-row sample (the first fidelity) and each dataset of
5,000 rows or more also on a 5,000-row sample, anchor pipelines only (the second fidelity, its own file).
:func:`combine_fidelities` merges the two into one matrix the recommender is fitted on, in one of these ways
(compared on the replay of benchmarks/fidelity_replay.py):

* ``first``: the first fidelity alone (the second is ignored);
* ``replace``: a large dataset's entries measured at 5,000 rows replace its 800-row ones;
* ``replace_centred``: the same, each replaced score shifted by the dataset's mean gap between its anchors'
  5,000-row and 800-row scores, so that the replaced entries keep the row's scale (more rows lift most
  pipelines: without the shift the anchors of a large dataset look better than its other pipelines only
  because they were measured on more rows) while their order among themselves follows the 5,000-row scores;
* ``stack``: the second-fidelity rows are datasets of their own beside the first-fidelity rows.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from automl_engine.knowledge.artifact import STATUS_CODES, Knowledge

FIDELITY_USES = ("first", "replace", "replace_centred", "stack")
SECOND_FIDELITY_ROWS = 5000
"""The build's second fidelity: a corpus dataset of this many rows or more is also evaluated on a sample of
this many rows (``BuildSettings.fidelity_rows``), exported to ``<task type>_at_5000_rows.npz``."""


def second_fidelity_path(folder, task_type: str, rows: int = SECOND_FIDELITY_ROWS) -> Path:
    """The file of the scores measured on ``rows``-row samples (the build's second fidelity)."""
    return Path(folder) / f"{task_type}_at_{rows}_rows.npz"


def base_name(name: str) -> str:
    """The corpus name of a dataset of either fidelity (``<name>@<rows>`` is the second's)."""
    return str(name).split("@", 1)[0]


def twin_rows(first: Knowledge, second: Knowledge) -> np.ndarray:
    """For each second-fidelity dataset, the row of its first-fidelity twin in ``first`` (−1 if it has none)."""
    row_of = {str(name): i for i, name in enumerate(first.datasets)}
    return np.array([row_of.get(base_name(name), -1) for name in second.datasets], dtype=np.intp)


def combine_fidelities(first: Knowledge, second: Knowledge | None, how: str = "replace_centred") -> Knowledge:
    """One matrix from both fidelities (see the module docstring for ``how``); ``first`` when there is no second.

    Both must have the same columns (load them with the same catalogue).
    """
    if how not in FIDELITY_USES:
        raise ValueError(f"how must be one of {FIDELITY_USES}, not {how!r}")
    if second is None or how == "first" or not len(second.datasets):
        return first
    if list(map(str, second.pipeline_ids)) != list(map(str, first.pipeline_ids)):
        raise ValueError("the two fidelities' matrices have different pipelines: load both with the same catalogue")
    if how == "stack":
        return replace(first, **{field: np.concatenate([getattr(first, field), getattr(second, field)])
                                 for field in ("datasets", "tasks", "splits", "scores", "status", "wall_times",
                                               "meta_features")},
                       cpu_hours=first.cpu_hours + second.cpu_hours)
    scores, status, times = first.scores.astype(float), first.status.copy(), first.wall_times.copy()
    ok = STATUS_CODES["ok"]
    for j, i in enumerate(twin_rows(first, second)):
        if i < 0:
            continue
        measured = second.status[j] != STATUS_CODES["unobserved"]
        shift = 0.0
        if how == "replace_centred":
            both = (second.status[j] == ok) & (status[i] == ok)
            shift = float(np.mean(second.scores[j, both] - scores[i, both])) if both.any() else 0.0
        scores[i, measured] = second.scores[j, measured] - shift
        status[i, measured] = second.status[j, measured]
        times[i, measured] = second.wall_times[j, measured]
    return replace(first, scores=scores.astype(first.scores.dtype), status=status, wall_times=times,
                   cpu_hours=first.cpu_hours + second.cpu_hours)
