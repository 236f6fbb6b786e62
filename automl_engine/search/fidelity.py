"""Multi-fidelity: candidates are scored on row subsamples first, and only the best get more rows.

On a large table a full evaluation of every candidate is what eats the budget. The search therefore
runs *rungs* (asynchronous successive halving, Li et al., "A System for Massively Parallel
Hyperparameter Tuning", MLSys 2020): rung 0 trains on ``MIN_RUNG_ROWS``-ish rows, each rung above
on ``ETA`` times more, the top rung on the full folds. A free worker first promotes a pipeline that
is in the best ``1/ETA`` of its rung and not yet promoted (highest rung first), and otherwise asks the
recommender for a new pipeline at rung 0.

The subsamples are nested prefixes of one stratified order of the first fold's rows, so a rung's
training rows contain those of the rung below and every pipeline at a rung is scored on the same
rows. Tables whose first fold trains on fewer than ``ETA * MIN_RUNG_ROWS`` rows get one rung: the
full folds, as without multi-fidelity.

Examples
--------
>>> import numpy as np
>>> y = np.arange(100_000) % 2
>>> folds = [(np.arange(90_000), np.arange(90_000, 100_000))]
>>> [r.train_rows for r in make_rungs(folds, y, "binary")]
[5625, 22500, 90000]
>>> halving = SuccessiveHalving(3)
>>> for index, score in enumerate([0.7, 0.9, 0.8, 0.6]):
...     halving.record(index, 0, score)
>>> halving.promotable()                  # the best quarter of rung 0 goes to rung 1
[(1, 1)]
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from automl_engine.task import Task

MIN_RUNG_ROWS = 2000
"""Training rows of the lowest rung (and the fewest validation rows of any rung). Rungs start on tables
whose first fold trains on ``ETA * MIN_RUNG_ROWS`` = 8,000 rows (about 10,000 rows with 5 folds):
chosen on meta-train tables of 13,000-20,000 rows (``benchmarks/fidelity_threshold.py``), where at
120 s on one core the searches with rungs scored 7, 8 and 2 pipelines against 0, 2 and 1 without
(docs/BENCHMARKS.md; a loaded machine, so the direction, not the figures, is what counts)."""
ETA = 4
"""Each rung trains on this many times the rows of the one below; its best ``1/ETA`` are promoted."""
MAX_RUNGS = 4
"""At most this many rungs, the full folds included (1,000,000 rows: 14k, 56k, 225k and 900k rows)."""


@dataclass(frozen=True)
class Rung:
    """One fidelity: the folds (index arrays into the full table) its evaluations use."""

    level: int
    folds: list

    @property
    def train_rows(self) -> int:
        """Mean training rows per fold: the rows a score at this rung was measured on."""
        return int(round(np.mean([len(train) for train, _ in self.folds])))

    @property
    def validation(self) -> np.ndarray:
        """The rows this rung's scores (and out-of-fold predictions) are measured on, fold after fold."""
        return np.concatenate([test for _, test in self.folds])


def make_rungs(folds: list, y, task: str, random_state: int | None = 0, min_rows: int = MIN_RUNG_ROWS,
               eta: int = ETA, max_rungs: int = MAX_RUNGS) -> list[Rung]:
    """The rungs for a table evaluated on ``folds``: subsamples of the first fold, then the full folds."""
    train, test = folds[0]
    sizes, size = [], len(train) // eta
    while size >= min_rows and len(sizes) < max_rungs - 1:
        sizes.append(size)
        size //= eta
    if not sizes:
        return [Rung(0, list(folds))]
    rng = np.random.default_rng(random_state)
    train_order = _stratified_order(train, y, task, rng)
    test_order = _stratified_order(test, y, task, rng)
    rungs = []
    for level, rows in enumerate(reversed(sizes)):
        validation = min(len(test), max(min_rows, rows // eta))
        rungs.append(Rung(level, [(np.sort(train_order[:rows]), np.sort(test_order[:validation]))]))
    return rungs + [Rung(len(rungs), list(folds))]


def _stratified_order(indices: np.ndarray, y, task: str, rng: np.random.Generator) -> np.ndarray:
    """``indices`` in an order whose every prefix keeps the class proportions (random order for regression)."""
    indices = np.asarray(indices)
    if task == Task.REGRESSION:
        return rng.permutation(indices)
    labels = np.asarray(y)[indices]
    position = np.empty(len(indices))
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        # spread each class evenly over [0, 1): the k-th of n members sits at (k + u) / n
        position[rng.permutation(members)] = (np.arange(len(members)) + rng.random(len(members))) / len(members)
    return indices[np.argsort(position, kind="stable")]


class SuccessiveHalving:
    """The rungs' results and promotions (asynchronous successive halving).

    A pipeline at rung ``k`` is promotable once it is among the best ``floor(n_k / eta)`` of the
    ``n_k`` evaluations finished at that rung and has not been promoted yet; failures never are.
    """

    def __init__(self, n_rungs: int, eta: int = ETA):
        self.n_rungs, self.eta = int(n_rungs), int(eta)
        self.scores: list[dict[int, float]] = [{} for _ in range(self.n_rungs)]
        self.promoted: list[set[int]] = [set() for _ in range(self.n_rungs)]

    def record(self, index: int, level: int, score: float) -> None:
        """Pipeline ``index`` scored ``score`` at rung ``level`` (NaN for a failure or timeout)."""
        self.scores[level][int(index)] = float(score)
        if level > 0:
            self.promoted[level - 1].add(int(index))

    def start(self, index: int, level: int) -> None:
        """Pipeline ``index`` was started at rung ``level`` (a promotion is never made twice)."""
        if level > 0:
            self.promoted[level - 1].add(int(index))

    def promotable(self) -> list[tuple[int, int]]:
        """(pipeline, rung to run it at) for every promotion due now, highest rung first, best first."""
        due = []
        for level in range(self.n_rungs - 2, -1, -1):
            finished = [(s, i) for i, s in self.scores[level].items() if math.isfinite(s)]
            n_top = len(self.scores[level]) // self.eta
            best = sorted(finished, key=lambda pair: -pair[0])[:n_top]
            due += [(i, level + 1) for _, i in best if i not in self.promoted[level]]
        return due

    def top_level(self) -> int:
        """The highest rung with a successful evaluation (0 if none)."""
        levels = [k for k, scores in enumerate(self.scores) if any(math.isfinite(s) for s in scores.values())]
        return max(levels, default=0)
