"""Evaluate one pipeline on one problem, in the current process: folds, scores, timings, OOF."""
from __future__ import annotations

import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from automl_engine.evaluation.metrics import get_metric
from automl_engine.evaluation.shared_data import materialize
from automl_engine.task import Task

OK, FAILED, TIMEOUT, MEMORY, CANCELLED = "ok", "failed", "timeout", "memory", "cancelled"


@dataclass
class EvaluationTask:
    """Everything a worker needs to evaluate one pipeline; picklable.

    ``pipeline`` is an unfitted scikit-learn estimator taking the raw columns of ``X``. ``X`` and ``y``
    are the data or handles to it (:mod:`.shared_data`), which the worker maps instead of unpickling.
    """

    key: str
    pipeline: object
    X: pd.DataFrame
    y: np.ndarray
    task: str
    metric: str
    folds: list
    keep_oof: bool = True
    classes: np.ndarray | None = None


@dataclass
class EvaluationResult:
    """Outcome of one evaluation; ``status`` is ok, failed, timeout or memory."""

    key: str
    status: str
    score: float = float("nan")
    score_std: float = float("nan")
    fold_scores: list = field(default_factory=list)
    fit_time: float = float("nan")       # mean seconds to fit one fold
    predict_time: float = float("nan")   # mean seconds to predict one fold
    wall_time: float = float("nan")      # seconds for the whole evaluation
    oof: np.ndarray | None = None        # out-of-fold probabilities (m, k) or values (m,) of the folds' test rows,
    #                                      fold after fold (m = all test rows; a holdout or a rung's sample: fewer)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


def as_labels(y, task: str) -> np.ndarray:
    """The target as an array; class labels that are non-integral numbers become strings."""
    values = np.asarray(y)
    if task != Task.REGRESSION and values.dtype.kind == "f":
        finite = values[np.isfinite(values)]
        if not np.all(finite == np.round(finite)):
            return np.array([f"{v:g}" for v in values], dtype=object)
        return values.astype(np.int64) if finite.size == values.size else values
    return values


def classes_of(y, task: str) -> np.ndarray | None:
    """Sorted class labels for classification, None for regression."""
    return None if task == Task.REGRESSION else np.unique(np.asarray(y))


def _aligned_proba(model, X, classes: np.ndarray) -> np.ndarray:
    """Class probabilities in the order of ``classes``, whatever the fold's model saw."""
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=float)
        model_classes = np.asarray(model.classes_)
    else:
        labels = np.asarray(model.predict(X))
        model_classes = classes
        proba = (labels[:, None] == classes[None, :]).astype(float)
    out = np.zeros((proba.shape[0], len(classes)))
    positions = np.searchsorted(classes, model_classes)
    out[:, positions] = proba
    return out


def evaluate(task: EvaluationTask) -> EvaluationResult:
    """Cross-validate ``task.pipeline``; failures are returned, never raised."""
    start = time.perf_counter()
    metric = get_metric(task.metric, task.task)
    X, y = materialize(task.X), np.asarray(materialize(task.y))
    classes = task.classes if task.classes is not None else classes_of(y, task.task)
    is_clf = task.task != Task.REGRESSION
    oof_parts = []
    fold_scores, fit_times, predict_times = [], [], []
    try:
        for train, test in task.folds:
            model = clone(task.pipeline)
            X_train, X_test = X.iloc[train], X.iloc[test]
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X_train, y[train])
                fit_times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                if is_clf:
                    proba = _aligned_proba(model, X_test, classes)
                    pred = classes[np.argmax(proba, axis=1)]
                    fold_out = proba
                else:
                    pred = np.asarray(model.predict(X_test), dtype=float)
                    proba, fold_out = None, pred
                predict_times.append(time.perf_counter() - t0)
            score = metric.score(y[test], pred, proba, classes)
            if not np.isfinite(score):
                raise ValueError(f"the metric is not finite on a fold ({score})")
            fold_scores.append(score)
            if task.keep_oof:
                oof_parts.append(fold_out)
    except MemoryError:
        return EvaluationResult(task.key, MEMORY, error="the pipeline ran out of memory (memory cap reached)",
                                wall_time=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - any pipeline failure is recorded, not raised
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return EvaluationResult(task.key, FAILED, error=last[:500], wall_time=time.perf_counter() - start)
    return EvaluationResult(
        key=task.key, status=OK,
        score=float(np.mean(fold_scores)), score_std=float(np.std(fold_scores)),
        fold_scores=[float(s) for s in fold_scores],
        fit_time=float(np.mean(fit_times)), predict_time=float(np.mean(predict_times)),
        wall_time=time.perf_counter() - start, oof=np.concatenate(oof_parts) if task.keep_oof else None,
    )
