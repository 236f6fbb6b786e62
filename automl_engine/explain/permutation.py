"""Original columns and transformed features, and the permutation explainer over original columns.

Used by ``automl_engine.explain`` (see its docstring): a pipeline's column-separable *front* is
found and checked on the data being explained, and recombined rows (column ``g`` of row ``i`` from
row ``codes[i, g]``) are evaluated from the precomputed per-column transformed features.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectorMixin
from sklearn.pipeline import Pipeline

from automl_engine.catalogue.steps import BoundedPolynomialFeatures
from automl_engine.explain import budget as budget
from automl_engine.explain.budget import Sizes

THREADS = 2
"""Threads evaluating the masked model (scikit-learn, LightGBM and XGBoost predict outside the GIL)."""
_MIN_THREAD_ROWS = 256
_CHECK_ROWS = 64


# -- column-separable fronts --------------------------------------------------------------------
def _transform(steps, frame):
    out = frame
    for _, step in steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        out = step.transform(out)
    out = out.toarray() if hasattr(out, "toarray") else out
    return np.asarray(out, dtype=float)


def _is_separable_step(step) -> bool:
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return True
    if isinstance(step, BoundedPolynomialFeatures):
        return not step.active_
    return isinstance(step, (ColumnTransformer, SelectorMixin))


def _split(estimator):
    """(front steps, middle steps, final model) of a pipeline; the front maps columns one to one."""
    if not isinstance(estimator, Pipeline):
        return [], [], estimator
    steps = list(estimator.steps[:-1])
    k = 0
    if steps and isinstance(steps[0][1], ColumnTransformer):
        k = 1
        while k < len(steps) and _is_separable_step(steps[k][1]):
            k += 1
    return steps[:k], steps[k:], estimator.steps[-1][1]


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    close = np.isclose(a, b, rtol=1e-9, atol=1e-12)
    return close | (np.isnan(a) & np.isnan(b))


def decode(frame: pd.DataFrame, columns: list[str], codes: np.ndarray) -> pd.DataFrame:
    """Rows recombined from ``frame``: column ``columns[g]`` of row ``i`` comes from row ``codes[i, g]``."""
    out = {}
    for g, column in enumerate(columns):
        out[column] = frame[column].take(codes[:, g]).reset_index(drop=True)
    return pd.DataFrame(out)


def feature_groups(front, frame: pd.DataFrame, columns: list[str], random_state: int = 0):
    """Source column (index into ``columns``) of each feature the front steps output, or None.

    Parameters
    ----------
    front : list of (name, fitted transformer)
    frame : DataFrame holding ``columns``, the rows to be explained and the background.
    columns : original column names.

    Returns
    -------
    (groups, Z) : (array of int (n_features,) or None, array (n_rows, n_features))
        ``groups[k]`` is the column feature ``k`` depends on (-1: constant on ``frame``);
        None when a feature depends on several columns (the front is not separable).
    """
    Z = _transform(front, frame)
    n = len(frame)
    shifted = np.roll(np.arange(n), 1)
    groups = np.full(Z.shape[1], -1)
    for g, column in enumerate(columns):
        rolled = frame.copy()
        rolled[column] = frame[column].take(shifted).reset_index(drop=True)
        changed = ~_same(Z, _transform(front, rolled)).all(axis=0)
        if (groups[changed] >= 0).any():
            return None, Z
        groups[changed] = g
    rng = np.random.default_rng(random_state)
    codes = rng.integers(0, n, size=(min(_CHECK_ROWS, n), len(columns)))
    if not _same(_transform(front, decode(frame, columns, codes)), gather(Z, groups, codes)).all():
        return None, Z
    return groups, Z


def gather(Z: np.ndarray, groups: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Transformed features of recombined rows: feature ``k`` of row ``i`` from row ``codes[i, groups[k]]``."""
    source = codes[:, np.maximum(groups, 0)] if len(groups) else np.zeros((len(codes), 0), dtype=int)
    return Z[source, np.arange(Z.shape[1])]


# -- model-agnostic explainer ------------------------------------------------------------------
@dataclass
class _Member:
    """One pipeline of the explained model, ready to be evaluated on recombined rows."""

    weight: float
    output: Callable  # transformed (or raw) rows -> output
    groups: np.ndarray | None = None
    Z: np.ndarray | None = None
    rest: list = field(default_factory=list)

    def __call__(self, codes: np.ndarray, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
        if self.groups is None:
            return self.weight * self.output(decode(frame, columns, codes))
        return self.weight * self.output(_transform(self.rest, gather(self.Z, self.groups, codes)))


def canonical_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """(n_rows, n_columns) codes: for each cell, the first row of ``frame`` with the same value in that column.

    Equal values get equal codes, so shap's delta masking skips coalitions that change nothing
    (an explained row and a background row sharing a category, say).
    """
    out = np.empty((len(frame), len(columns)), dtype=int)
    for g, column in enumerate(columns):
        labels, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        first = np.full(len(uniques), -1)
        rows = np.arange(len(frame))
        first[labels[::-1]] = rows[::-1]  # the last write wins: the first occurrence
        out[:, g] = first[labels]
    return out


class _Permutation:
    """shap.PermutationExplainer over integer row codes per column; the masked model runs on threads.

    Rows are positions in ``frame`` (explained rows first, then background rows); use as a context
    manager (the thread pool is shut down and numpy's global generator, which shap seeds, restored).
    """

    def __init__(self, members, frame: pd.DataFrame, columns: list[str], random_state: int):
        self.members, self.frame, self.columns, self.random_state = members, frame, columns, random_state
        self.canonical = canonical_rows(frame, columns)
        self.per_row = 2 * len(columns) + 1

    def __enter__(self):
        self.state = np.random.get_state()
        self.pool = ThreadPoolExecutor(max_workers=THREADS)
        return self

    def __exit__(self, *exc):
        self.pool.shutdown(wait=True)
        np.random.set_state(self.state)

    def _evaluate(self, codes):
        return sum(member(codes, self.frame, self.columns) for member in self.members)

    def model_fn(self, codes):
        codes = np.asarray(codes).astype(int)
        if len(codes) < 2 * _MIN_THREAD_ROWS:
            return self._evaluate(codes)
        return np.concatenate(list(self.pool.map(self._evaluate, np.array_split(codes, THREADS))))

    def explainer(self, background_rows: np.ndarray):
        import shap

        codes_bg = self.canonical[background_rows]
        return shap.PermutationExplainer(self.model_fn, shap.maskers.Independent(codes_bg, max_samples=len(codes_bg)),
                                         seed=self.random_state)

    def seconds_per_row(self, rows: np.ndarray, background_rows: np.ndarray) -> Callable[[Sizes], float]:
        """Measures seconds per explained row on ``rows`` with the first ``sizes.background`` background rows."""
        _warm_up()

        def measure(sizes: Sizes) -> float:
            explainer = self.explainer(background_rows[:sizes.background])
            codes = self.canonical[rows]
            return budget.timed(lambda: explainer(codes, max_evals=self.per_row * sizes.permutations,
                                                  silent=True)) / len(rows)
        return measure

    def run(self, rows: np.ndarray, background_rows: np.ndarray, permutations: int, progress,
            deadline: budget.Deadline | None = None, min_rows: int = 0):
        """(values (k, columns), base, k): SHAP values of ``rows[:k]``, explained in that order, 20 chunks.

        With a deadline, stops after the first chunk that ends past it once ``min_rows`` are done
        (``k < len(rows)``), so a slower run than timed overshoots by at most a chunk.
        """
        explainer = self.explainer(background_rows)
        codes_x, n_x = self.canonical[rows], len(rows)
        chunk = max(1, n_x // 20)
        values, bases, done = [], [], 0
        while done < n_x:
            result = explainer(codes_x[done:done + chunk], max_evals=self.per_row * permutations, silent=True)
            values.append(np.asarray(result.values, dtype=float).reshape(-1, len(self.columns)))
            bases.append(np.ravel(result.base_values))
            done = min(n_x, done + chunk)
            if progress is not None:
                progress(done / n_x, f"explained {done} of {n_x} rows")
            if deadline is not None and deadline.remaining() <= 0 and done >= min_rows:
                break
        return np.vstack(values), float(np.concatenate(bases)[0]), done


_warm = False


def _warm_up() -> None:
    """Compile shap's numba kernels once per process (seconds), so that timing the model does not count them."""
    global _warm
    if _warm:
        return
    import shap

    state = np.random.get_state()
    try:
        explainer = shap.PermutationExplainer(lambda codes: np.asarray(codes, dtype=float).sum(axis=1),
                                              shap.maskers.Independent(np.zeros((2, 2), dtype=int), max_samples=2),
                                              seed=0)
        explainer(np.ones((1, 2), dtype=int), max_evals=5, silent=True)
    finally:
        np.random.set_state(state)
    _warm = True
