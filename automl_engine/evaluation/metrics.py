"""Metrics, oriented so that higher is better everywhere (losses are negated)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn import metrics as skm

from automl_engine.task import Task

CLASSIFICATION_METRICS = ("balanced_accuracy", "accuracy", "f1_macro", "roc_auc", "log_loss")
REGRESSION_METRICS = ("r2", "rmse", "mae")
DEFAULT_METRIC = {"binary": "balanced_accuracy", "multiclass": "balanced_accuracy", "regression": "r2"}


@dataclass(frozen=True)
class Metric:
    """A metric: ``score(y_true, prediction)`` where prediction is labels, probabilities or values."""

    name: str
    needs_proba: bool
    sign: float  # +1 for scores, -1 for losses (so that higher is better)
    function: Callable

    def score(self, y_true, y_pred=None, proba=None, classes=None) -> float:
        """Oriented score: higher is better."""
        if self.needs_proba:
            return self.sign * float(self.function(y_true, proba, classes))
        return self.sign * float(self.function(y_true, y_pred))


def _roc_auc(y_true, proba, classes):
    proba = np.asarray(proba, dtype=float)
    if proba.shape[1] == 2:
        return skm.roc_auc_score(np.asarray(y_true) == classes[1], proba[:, 1])
    present = np.isin(classes, np.unique(y_true))
    sub = proba[:, present]
    sub = sub / np.clip(sub.sum(axis=1, keepdims=True), 1e-12, None)
    return skm.roc_auc_score(y_true, sub, multi_class="ovr", labels=list(np.asarray(classes)[present]))


def _log_loss(y_true, proba, classes):
    proba = np.clip(np.asarray(proba, dtype=float), 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return skm.log_loss(y_true, proba, labels=list(classes))


def _rmse(y_true, y_pred):
    return float(np.sqrt(skm.mean_squared_error(y_true, y_pred)))


METRICS: dict[str, Metric] = {
    "balanced_accuracy": Metric("balanced_accuracy", False, 1.0, skm.balanced_accuracy_score),
    "accuracy": Metric("accuracy", False, 1.0, skm.accuracy_score),
    "f1_macro": Metric("f1_macro", False, 1.0, lambda t, p: skm.f1_score(t, p, average="macro")),
    "roc_auc": Metric("roc_auc", True, 1.0, _roc_auc),
    "log_loss": Metric("log_loss", True, -1.0, _log_loss),
    "r2": Metric("r2", False, 1.0, skm.r2_score),
    "rmse": Metric("rmse", False, -1.0, _rmse),
    "mae": Metric("mae", False, -1.0, skm.mean_absolute_error),
}


def get_metric(name: str, task: str) -> Metric:
    """The metric ``name`` ("auto" → the task's default), checked against the task."""
    if name in (None, "auto"):
        name = DEFAULT_METRIC[task]
    allowed = REGRESSION_METRICS if task == Task.REGRESSION else CLASSIFICATION_METRICS
    if name not in allowed:
        raise ValueError(
            f"metric {name!r} does not apply to a {task} task; choose one of: {', '.join(allowed)}"
        )
    return METRICS[name]
