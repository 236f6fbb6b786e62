"""Holdout diagnostics of the best pipeline: refit on a (stratified) 80 %, predict the other 20 %.

A refit rather than the search's out-of-fold predictions: those live only inside a running
search and are not stored with a run, while a refit works for any fitted model, is the same
kind of estimate a user gets from "train, then test on unseen rows", and costs one fit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import auc, confusion_matrix, roc_curve
from sklearn.model_selection import train_test_split

from automl_engine.data.intake import prepare_data
from automl_engine.evaluation import as_labels
from automl_engine.evaluation.metrics import get_metric
from automl_engine.search.ensemble import EnsembleModel

HOLDOUT = 0.2
METHOD = ("the best single pipeline refitted on a random 80 % of the rows (stratified by class for "
          "classification) and scored on the other 20 %, which it never saw")


def holdout_diagnostics(automl, frame: pd.DataFrame, target: str, exclude=(), random_state: int = 0,
                        progress=None) -> dict:
    """Confusion matrix and ROC curves (classification) or predicted/actual/residuals (regression).

    Returns a dict with ``kind`` ("classification"/"regression"), ``n_test``, ``pipeline``, ``metric``,
    ``metric_score`` (the search's metric on the holdout, oriented as the search's scores),
    ``model_metric_score`` (the same for the model in use: the ensemble, its members refitted on the
    same 80 %, when it is one), and frames for :mod:`automl_app.charts`. ``progress(fraction, message)``
    is told each step.
    """
    progress = progress or (lambda fraction, message: None)
    task = automl.task_
    progress(0.05, "preparing the table")
    prepared = prepare_data(frame, target, task=task, exclude=tuple(exclude), random_state=random_state)
    X, y = prepared.X, as_labels(prepared.y, task)
    classification = task != "regression"
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=HOLDOUT, random_state=random_state, stratify=y if classification else None)
    progress(0.15, f"refitting the best pipeline on {len(y_train):,} rows")
    model = clone(automl.best_pipeline_).fit(X_train, y_train)
    metric = get_metric(automl.metric_, task)
    out = {"kind": "classification" if classification else "regression", "n_test": int(len(y_test)),
           "pipeline": automl.best_record_["description"], "metric": metric.name,
           "metric_score": _metric_score(metric, model, X_test, y_test, classification), "model_metric_score": None}
    ensemble = getattr(automl, "model_", None)
    if getattr(automl, "ensemble_", None) and isinstance(ensemble, EnsembleModel):
        progress(0.5, f"refitting the ensemble's {len(ensemble.estimators)} pipelines on the same rows")
        members = [clone(member).fit(X_train, y_train) for member in ensemble.estimators]
        refitted = EnsembleModel(members, ensemble.weights, ensemble.task, ensemble.classes).fit(X_train, y_train)
        out["model_metric_score"] = _metric_score(metric, refitted, X_test, y_test, classification)
    else:
        out["model_metric_score"] = out["metric_score"]   # the model in use is that pipeline
    progress(0.85, f"scoring {len(y_test):,} holdout rows")
    if not classification:
        predicted = np.asarray(model.predict(X_test), dtype=float)
        actual = np.asarray(y_test, dtype=float)
        out["points"] = pd.DataFrame({"actual": actual, "predicted": predicted, "residual": actual - predicted})
        out["rmse"] = float(np.sqrt(np.mean((actual - predicted) ** 2)))
        return out
    classes = np.asarray(model.classes_)
    predicted = model.predict(X_test)
    matrix = confusion_matrix(y_test, predicted, labels=classes)
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros_like(matrix, dtype=float), where=totals > 0)
    out["confusion"] = pd.DataFrame([
        {"actual": str(a), "predicted": str(p), "count": int(matrix[i, j]), "share": float(share[i, j])}
        for i, a in enumerate(classes) for j, p in enumerate(classes)])
    out["accuracy"] = float(np.trace(matrix) / max(1, matrix.sum()))
    out["roc"] = _roc_frame(model, X_test, y_test, classes)
    return out


def _metric_score(metric, model, X_test, y_test, classification: bool) -> float | None:
    """The search's metric on the holdout (None when the pipeline cannot give what it needs)."""
    try:
        if metric.needs_proba:
            if not hasattr(model, "predict_proba"):
                return None
            return metric.score(y_test, proba=model.predict_proba(X_test), classes=np.asarray(model.classes_))
        return metric.score(y_test, model.predict(X_test))
    except ValueError:  # e.g. a class missing from the holdout
        return None


def _roc_frame(model, X_test, y_test, classes) -> pd.DataFrame:
    if not hasattr(model, "predict_proba"):
        return pd.DataFrame(columns=["curve", "fpr", "tpr"])
    proba = model.predict_proba(X_test)
    shown = classes[1:] if len(classes) == 2 else classes     # binary: the positive class only
    parts = []
    for label in shown:
        column = int(np.flatnonzero(classes == label)[0])
        truth = np.asarray(y_test) == label
        if truth.all() or not truth.any():
            continue
        fpr, tpr, _ = roc_curve(truth, proba[:, column])
        name = f"{str(label)[:40]} vs rest (AUC {auc(fpr, tpr):.3f})"
        parts.append(pd.DataFrame({"curve": name, "fpr": fpr, "tpr": tpr}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["curve", "fpr", "tpr"])
