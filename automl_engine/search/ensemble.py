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


def in_class_order(proba: np.ndarray, own_classes, classes: np.ndarray) -> np.ndarray:
    """``proba`` (columns in ``own_classes`` order, which may lack some classes) as columns in ``classes``
    order; a class the producer never saw gets probability 0."""
    out = np.zeros((len(proba), len(classes)))
    out[:, np.searchsorted(classes, np.asarray(own_classes))] = proba
    return out


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
        return sum(w * proba for w, proba in zip(self.weights_, self.member_outputs(X)))

    def predict(self, X):
        check_is_fitted(self, "weights_")
        if self.task == Task.REGRESSION:
            return sum(w * values for w, values in zip(self.weights_, self.member_outputs(X)))
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def member_outputs(self, X) -> list[np.ndarray]:
        """Each member's output on ``X``: class probabilities in ``classes_`` order, or values."""
        check_is_fitted(self, "weights_")
        if self.task == Task.REGRESSION:
            return [np.asarray(e.predict(X), dtype=float) for e in self.estimators]
        return [in_class_order(e.predict_proba(X), e.classes_, self.classes_) for e in self.estimators]


def stack_features(outputs: list[np.ndarray], task: str) -> np.ndarray:
    """The level-2 inputs of a stack: members' values, or the logs of their class probabilities."""
    if task == Task.REGRESSION:
        return np.column_stack([np.asarray(o, dtype=float).ravel() for o in outputs])
    return np.hstack([np.log(np.clip(np.asarray(o, dtype=float), 1e-6, 1.0)) for o in outputs])


class StackedModel(EnsembleModel):
    """Fitted pipelines combined by a fitted linear ``combiner`` on their outputs (see ``stack_features``)."""

    def __init__(self, estimators=None, weights=None, task="binary", classes=None, combiner=None):
        super().__init__(estimators, weights, task, classes)
        self.combiner = combiner

    def predict_proba(self, X):
        if self.task == Task.REGRESSION:
            raise AttributeError("a regression stack has no predict_proba")
        proba = self.combiner.predict_proba(stack_features(self.member_outputs(X), self.task))
        return in_class_order(proba, self.combiner.classes_, self.classes_)

    def predict(self, X):
        if self.task == Task.REGRESSION:
            return np.asarray(self.combiner.predict(stack_features(self.member_outputs(X), self.task)), dtype=float)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
