"""Ensemble selection (Caruana et al., 2004) over out-of-fold predictions, and the fitted ensemble."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from automl_engine.evaluation.metrics import Metric
from automl_engine.task import Task


def _score(metric: Metric, y, prediction, task: str, classes) -> float:
    if task == Task.REGRESSION:
        return metric.score(y, prediction)
    labels = np.asarray(classes)[np.argmax(prediction, axis=1)]
    return metric.score(y, labels, prediction, classes)


def ensemble_selection(oof: list[np.ndarray], y, metric: Metric, task: str, classes=None,
                       n_rounds: int = 25) -> tuple[np.ndarray, float]:
    """Greedy forward selection with replacement; returns (weights over ``oof``, ensemble score).

    Parameters
    ----------
    oof : list of arrays, (n,) for regression or (n, k) class probabilities; NaN rows (unseen
        by the folds, e.g. outside a holdout) are ignored.
    y : array (n,); metric : oriented Metric (higher is better); task : task name.
    """
    y = np.asarray(y)
    rows = np.all([np.isfinite(p).reshape(len(y), -1).all(axis=1) for p in oof], axis=0)
    preds = [p[rows] for p in oof]
    y_rows = y[rows]
    counts = np.zeros(len(preds))
    total = np.zeros_like(preds[0], dtype=float)
    best_score = -np.inf
    for _ in range(n_rounds):
        trial = [
            _score(metric, y_rows, (total + p) / (counts.sum() + 1), task, classes) for p in preds
        ]
        pick = int(np.argmax(trial))
        if trial[pick] < best_score - 1e-12 and counts.sum() > 0:
            break
        counts[pick] += 1
        total = total + preds[pick]
        best_score = max(best_score, trial[pick])
    weights = counts / counts.sum()
    final = _score(metric, y_rows, sum(w * p for w, p in zip(weights, preds)), task, classes)
    return weights, float(final)


class EnsembleModel(BaseEstimator):
    """Weighted average of fitted pipelines: probabilities for classification, values for regression."""

    def __init__(self, estimators=None, weights=None, task="binary", classes=None):
        self.estimators = estimators
        self.weights = weights
        self.task = task
        self.classes = classes

    def fit(self, X, y):
        """The members are already fitted; this only records what prediction needs."""
        self.classes_ = None if self.task == Task.REGRESSION else np.asarray(self.classes)
        self.weights_ = np.asarray(self.weights, dtype=float) / np.sum(self.weights)
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "weights_")
        if self.task == Task.REGRESSION:
            raise AttributeError("a regression ensemble has no predict_proba")
        out = np.zeros((len(X), len(self.classes_)))
        for weight, estimator in zip(self.weights_, self.estimators):
            proba = estimator.predict_proba(X)
            positions = np.searchsorted(self.classes_, np.asarray(estimator.classes_))
            out[:, positions] += weight * proba
        return out

    def predict(self, X):
        check_is_fitted(self, "weights_")
        if self.task == Task.REGRESSION:
            return sum(w * np.asarray(e.predict(X), dtype=float) for w, e in zip(self.weights_, self.estimators))
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
