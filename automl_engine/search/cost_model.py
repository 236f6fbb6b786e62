"""Predicted seconds of every pipeline's evaluation on *this* table, corrected by the run's own timings.

The knowledge times each pipeline on samples of at most 800 rows (3 folds). Each family declares
how its cost grows with rows ``n`` and columns ``d`` (``cost ~ n^rows * d^cols``, the catalogue's
``family_costs``): an RBF SVM grows with the square of the rows, a forest about linearly. So the
knowledge's timings are brought to one reference size per dataset, their median per pipeline is
scaled to this table's training rows, columns and folds, and as the run's own evaluations come
in, the ratio of measured to predicted seconds corrects the predictions (per family, shrunk
towards the run's overall ratio while a family has few evaluations).

Examples
--------
>>> import numpy as np
>>> model = CostModel(np.array([1.0, 2.0]), ["a", "b"])
>>> model.observe(0, 3.0)              # family "a" ran 3x slower than predicted here
>>> np.round(model.predict(), 2).tolist()
[2.69, 4.82]
"""
from __future__ import annotations

import warnings

import numpy as np

from automl_engine.catalogue import family_costs

BUILD_ROWS, BUILD_FOLDS = 800, 3
"""The knowledge build's sample size and folds."""
OVERHEAD_QUANTILE = 0.01
"""The fastest evaluations of the knowledge are all overhead (starting a worker, building the
pipeline): this quantile of its wall times is the per-evaluation overhead that does not grow with
the table. Scaling the whole time instead predicted 855 s for a logistic regression on 900,000 rows."""
SHRINKAGE = 1.0
"""Pseudo-observations pulling a family's correction towards the run's overall one."""
OVERALL_SHRINKAGE = 0.25
"""Pseudo-observations pulling the run's overall correction towards none: the first timings of a
table far larger than the knowledge's samples say more than the extrapolation does."""


class CostModel:
    """Seconds each pipeline is expected to take here; :meth:`observe` feeds the run's measured times back.

    Parameters
    ----------
    base : array (n_pipelines,) — predicted seconds before any of this run's evaluations
    families : the family of each pipeline (corrections are shared within a family)
    overhead : seconds of ``base`` that do not grow with the table (starting a worker, building the pipeline)
    rows_exponents : array (n_pipelines,), optional — how each pipeline's work grows with the training rows
    train_rows, n_folds : the training rows per fold and the folds ``base`` is predicted for; with
        ``rows_exponents`` they let :meth:`predict` and :meth:`observe` work at other sizes (a multi-fidelity
        rung's subsample)
    """

    def __init__(self, base: np.ndarray, families, overhead: float = 0.0, rows_exponents=None,
                 train_rows: float | None = None, n_folds: int = 1):
        self.base = np.asarray(base, dtype=float)
        self.overhead = float(overhead)
        self.families = np.asarray(families)
        self.rows_exponents = None if rows_exponents is None else np.asarray(rows_exponents, dtype=float)
        self.train_rows, self.n_folds = train_rows, max(int(n_folds), 1)
        self._log_ratios: dict[str, list[float]] = {}

    @classmethod
    def from_knowledge(cls, knowledge, catalogue, n_rows: int, n_features: int, folds) -> "CostModel | None":
        """Scale the knowledge's timings to a table of ``n_rows`` x ``n_features`` evaluated on ``folds``."""
        walls = np.asarray(knowledge.wall_times, dtype=float)
        if walls.size == 0 or not np.isfinite(walls).any():
            return None
        exponents = family_costs(catalogue.task_type)
        rows_exp = np.array([exponents[f]["rows"] for f in catalogue.families])
        cols_exp = np.array([exponents[f]["cols"] for f in catalogue.families])
        names = list(knowledge.meta_feature_names)
        meta = np.asarray(knowledge.meta_features, dtype=float)
        build_rows = np.clip(np.nan_to_num(meta[:, names.index("n_rows")], nan=BUILD_ROWS), 10, BUILD_ROWS)
        build_cols = np.maximum(np.nan_to_num(meta[:, names.index("n_features")], nan=10.0), 1.0)
        build_train = build_rows * (BUILD_FOLDS - 1) / BUILD_FOLDS
        timed = walls[np.isfinite(walls) & (walls > 0)]
        overhead = float(np.quantile(timed, OVERHEAD_QUANTILE))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # pipelines never timed: filled below
            size = build_train[:, None] ** rows_exp[None, :] * build_cols[:, None] ** cols_exp[None, :]
            work = np.maximum(np.where(walls > 0, walls, np.nan) - overhead, 0.05 * overhead)
            per_unit = np.log(work / BUILD_FOLDS / size)
            reference = np.nanmedian(per_unit, axis=0)
        reference = _fill_by_family(reference, np.asarray(catalogue.families))
        train_rows = float(np.mean([len(train) for train, _ in folds])) if len(folds) else float(n_rows)
        work_here = np.exp(reference) * train_rows ** rows_exp * max(n_features, 1) ** cols_exp * max(len(folds), 1)
        return cls(overhead + work_here, catalogue.families, overhead, rows_exp, train_rows, len(folds))

    def _base_at(self, train_rows: float | None, n_folds: int | None) -> np.ndarray:
        """``base`` for ``n_folds`` folds of ``train_rows`` training rows (``base`` itself when not given)."""
        if train_rows is None or self.rows_exponents is None or not self.train_rows:
            return self.base
        folds = self.n_folds if n_folds is None else max(int(n_folds), 1)
        work = np.maximum(self.base - self.overhead, 0.0)
        scale = (float(train_rows) / float(self.train_rows)) ** self.rows_exponents * folds / self.n_folds
        return self.overhead + work * scale

    @property
    def observed_families(self) -> set[str]:
        """Families this run has timed: their predictions are checked on this table."""
        return set(self._log_ratios)

    @property
    def n_observed(self) -> int:
        """Evaluations of this run fed back so far."""
        return sum(len(ratios) for ratios in self._log_ratios.values())

    def observe(self, index: int, seconds: float, train_rows: float | None = None, n_folds: int | None = None,
                at_least: bool = False) -> None:
        """Record that pipeline ``index`` took ``seconds`` here (an evaluation that finished), on ``n_folds``
        folds of ``train_rows`` rows when given (the size ``base`` is for otherwise).

        ``at_least``: ``seconds`` is a lower bound (a timeout); it counts only if above the prediction, since a
        try cut short says nothing about a pipeline predicted to take longer than it was given."""
        predicted = self._base_at(train_rows, n_folds)[int(index)]
        if at_least and not seconds > predicted:
            return
        if np.isfinite(seconds) and seconds > 0 and np.isfinite(predicted) and predicted > 0:
            self._log_ratios.setdefault(str(self.families[int(index)]), []).append(float(np.log(seconds / predicted)))

    def predict(self, train_rows: float | None = None, n_folds: int | None = None) -> np.ndarray:
        """Predicted seconds of every pipeline, corrected by this run's evaluations so far; on ``n_folds`` folds
        of ``train_rows`` training rows when given, else at the size ``base`` is for."""
        all_ratios = [r for ratios in self._log_ratios.values() for r in ratios]
        overall = sum(all_ratios) / (len(all_ratios) + OVERALL_SHRINKAGE)
        correction = np.full(len(self.base), overall)
        for family, ratios in self._log_ratios.items():
            correction[self.families == family] = (sum(ratios) + SHRINKAGE * overall) / (len(ratios) + SHRINKAGE)
        return self._base_at(train_rows, n_folds) * np.exp(correction)


def _fill_by_family(log_values: np.ndarray, families: np.ndarray) -> np.ndarray:
    """Pipelines never timed take their family's median, else the median over all pipelines."""
    out = log_values.copy()
    overall = np.nanmedian(out) if np.isfinite(out).any() else 0.0
    for family in np.unique(families):
        mask = families == family
        known = out[mask][np.isfinite(out[mask])]
        out[mask & ~np.isfinite(out)] = np.median(known) if known.size else overall
    return out
